"""Two real `datalit grade` processes on one course, started together.

"No lost or duplicated result": every candidate ends with exactly one ledger and one submission
(with one grade per cell) in the gradebook, with the right score; and no candidate is graded by
both processes (each candidate is claimed by one process, the other skips it), so the two
processes' score tables are disjoint and together hold every candidate.
"""

from __future__ import annotations

import os

import pytest

from tests.faults._helpers import (
    EXERCISE,
    Tracker,
    assert_export_matches_ledgers,
    assert_record_consistent,
    build_course,
    claims_free,
    grade_env,
    graded_in_output,
    ledger_identities,
    ledgers,
    leftover_work,
    start_grade,
    submission_counts,
    ticks_now,
    wait_gone,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root")


def kinds_for(n: int) -> dict[str, str]:
    kinds = {f"c{i:02d}": "reference" for i in range(n)}
    kinds["c01"] = "naive"
    kinds["c02"] = "untouched"
    return kinds


def grade_twice_at_once(course, work, *extra: str):
    """Start two graders together, wait for both; returns their (returncode, stdout) pairs."""
    env = grade_env(work)
    runs = [start_grade(course, env, *extra), start_grade(course, env, *extra)]
    trackers = [Tracker(r.pid) for r in runs]
    codes = [r.wait(timeout=1800) for r in runs]
    for t in trackers:
        t.stop()
    assert all(not wait_gone(t, ticks_now()) for t in trackers)
    for code, run in zip(codes, runs, strict=True):
        assert code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return [r.stdout for r in runs]


def assert_one_correct_result_each(course, kinds) -> None:
    entries = ledgers(course)
    assert set(entries) == set(kinds)
    assert submission_counts(course) == dict.fromkeys(kinds, 1)
    assert_record_consistent(course)  # also: one grade per cell, ledger == gradebook
    assert_export_matches_ledgers(course)
    for cand, entry in entries.items():
        assert entry["status"] == "graded", (cand, entry["reason"])
        if kinds[cand] == "reference":
            assert entry["auto_points"] == EXERCISE.max_auto_points, cand
        elif kinds[cand] == "untouched":
            assert entry["auto_points"] == 0, cand
        else:
            assert 0 < entry["auto_points"] < EXERCISE.max_auto_points, cand
    assert claims_free(course)


def check_two_graders(tmp_path, n: int) -> None:
    kinds = kinds_for(n)
    course = build_course(tmp_path / "course", kinds)
    work = tmp_path / "work"
    first, second = grade_twice_at_once(course, work)
    a, b = graded_in_output(first), graded_in_output(second)
    assert not a & b, f"graded by both processes: {sorted(a & b)}"
    assert a | b == set(kinds)
    assert_one_correct_result_each(course, kinds)
    assert leftover_work(work) == []
    return course, kinds, work


def test_two_graders_on_one_course_lose_and_duplicate_nothing(tmp_path):
    check_two_graders(tmp_path, 6)


@pytest.mark.slow
def test_two_graders_on_a_20_submission_course_then_two_regrades_at_once(tmp_path):
    course, kinds, work = check_two_graders(tmp_path, 20)
    before = {c: e["auto_points"] for c, e in ledgers(course).items()}
    identities = ledger_identities(course)
    # Two --regrade runs at once: a candidate may be graded by both (a regrade cannot tell a
    # fresh result of the other process from an old one unless it saw the claim), but the
    # record stays one result per candidate, with the same scores: grading is deterministic.
    first, second = grade_twice_at_once(course, work, "--regrade")
    assert graded_in_output(first) | graded_in_output(second) == set(kinds)
    assert {c: e["auto_points"] for c, e in ledgers(course).items()} == before
    assert ledger_identities(course) == identities  # an unchanged result rewrites no ledger
    assert_one_correct_result_each(course, kinds)
