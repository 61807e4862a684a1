"""Imported by Python at start-up when tests/seams is on PYTHONPATH (`fault_plan.plan_env`):
installs the test's fault plan at the grader's seams. Never on the path outside the tests."""

from fault_plan import install_from_environment

install_from_environment()
