"""The slow batch (`make test-slow`): submissions that attack the grader's own time and memory
with outputs at the exercise's limits, graded by the real `datalit grade`. Each takes tens of
seconds of a worker; the default batch (test_hostile.py) covers every other attack."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import GRADER_PEAK_BOUND, MAX_AUTO, PARTS, MiB, fixtures

pytestmark = pytest.mark.slow

SLOW = sorted(fixtures(slow=True))
EXPECTED = {
    "h16-many-rows": "public checks passed",
    "h16-wide-table": "exactly the raw orders' columns",
}


def test_the_slow_fixtures_are_the_expected_ones():
    assert sorted(EXPECTED) == SLOW


@pytest.mark.parametrize("candidate", SLOW)
def test_a_table_at_the_limits_is_graded_with_reasons(slow_batch, candidate):
    """2,000,000 rows, or 1000 columns, in 50 MB: graded (not refused, not crashed), the checks
    fail with their messages, the maxima are the exercise's."""
    ledger = slow_batch.ledger(candidate)
    assert ledger["status"] == "graded", ledger["reason"]
    assert ledger["max_auto_points"] == MAX_AUTO
    assert {p["id"]: p["max_points"] for p in ledger["parts"]} == PARTS
    report = {p["id"]: p for p in slow_batch.report(candidate)["parts"]}
    assert report["clean_orders"]["status"] == "scored"
    assert EXPECTED[candidate] in report["clean_orders"]["feedback"]
    assert report["clean_orders"]["points"] < PARTS["clean_orders"]
    assert slow_batch.points(candidate) <= slow_batch.points("reference")


def test_the_grader_stays_within_its_memory_bound_at_the_limits(slow_batch):
    peak = max(slow_batch.grader_peak_rss.values())
    print(f"grader peak RSS per process at the output limits: {peak / MiB:.0f} MiB")
    assert peak <= GRADER_PEAK_BOUND
    assert slow_batch.grade.returncode == 0, slow_batch.grade.stderr[-3000:]
    assert slow_batch.leftover_processes == []
