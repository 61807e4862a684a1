"""Fault-injection seams: the named points where the fault tests act on a real grader run.

The crash-safety and bounds tests must kill a worker mid-grading, pause inside the gradebook
transaction, or lower the write bounds, in `datalit grade` processes they start. Production code
only names those points (`reach`, `value`); nothing happens at them unless a plan has been
installed with `install`, and no production code installs one. The tests do, in every Python
process they start, through `tests/seams/sitecustomize.py` (on the test's PYTHONPATH; Python
imports it at start-up, in the pool's worker processes too). The grader reads no test variable
itself, and the sandbox starts candidate code from a scrubbed environment.
"""

from __future__ import annotations

from typing import Any, Protocol

WORKER_GRADING = "worker_grading"
"""A worker starts a candidate's sandboxed run (context: candidate)."""
IN_RECORD_TRANSACTION = "in_record_transaction"
"""The gradebook rows of a submission are flushed, not yet committed."""
BOUNDS = "bounds"
"""`value`: the write bounds (a dict of `datalit.grading.bounded.Bounds` fields) to use."""


class Plan(Protocol):
    def reach(self, point: str, **context: Any) -> None: ...

    def value(self, name: str, default: Any) -> Any: ...


_plan: Plan | None = None


def install(plan: Plan | None) -> None:
    """Use `plan` at the seams from now on (None: none)."""
    global _plan
    _plan = plan


def reach(point: str, **context: Any) -> None:
    """A seam the code passes; a plan may act here (kill the process, sleep)."""
    if _plan is not None:
        _plan.reach(point, **context)


def value(name: str, default: Any) -> Any:
    """A setting a plan may override (`default` when there is no plan)."""
    return default if _plan is None else _plan.value(name, default)
