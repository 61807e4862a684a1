"""`kill -9` of the real `datalit grade` in the middle of a batch, then a rerun.

What must hold after the kill: every grade committed before it is intact (each ledger matches a
complete gradebook submission, `nbgrader export` opens the gradebook and agrees), no submission is
half recorded, no process of the run is left (workers, bwrap, sandboxed code), and no claim is
held. The rerun grades exactly the candidates without a current ledger (nothing twice), frees the
work dirs the killed run left, and ends with one complete result per candidate.

The CI version kills only the main process, inside a gradebook transaction (a test pause holds
the transaction open), with 8 submissions: the workers must die because their parent did. The
slow version (`make test-slow`) kills the whole process group of a 50-submission batch.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from datalit.grading.grader import grader_version
from datalit.grading.record import ledger_is_current
from tests.faults._helpers import (
    EXERCISE,
    Tracker,
    assert_export_matches_ledgers,
    assert_record_consistent,
    build_course,
    claims_free,
    grade_env,
    graded_in_output,
    integrity,
    ledger_identities,
    ledgers,
    leftover_work,
    run_grade,
    skipped_in_output,
    start_grade,
    submission_counts,
    ticks_now,
    wait_gone,
)
from tests.seams.fault_plan import plan_env

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root")


def hot_journal(path: Path) -> bool:
    """A rollback journal SQLite must play back: it exists and starts with the journal magic
    (a rolled-back journal is deleted, or its header zeroed when it could not be)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == bytes.fromhex("d9d505f920a163d7")
    except FileNotFoundError:
        return False


def kinds_for(n: int) -> dict[str, str]:
    """Mostly the reference solution, a few naive attempts and untouched releases."""
    kinds = {}
    for i in range(n):
        kinds[f"c{i:02d}"] = "naive" if i % 10 == 3 else "untouched" if i % 10 == 7 else "reference"
    return kinds


def kill_mid_batch(course: Path, env: dict, *, min_ledgers: int, group: bool, in_transaction: bool):
    """Start `datalit grade --jobs 2`, wait for `min_ledgers` ledgers (and, if asked, for an open
    gradebook transaction), SIGKILL it. Returns (tracker, kill time in clock ticks, stdout)."""
    run = start_grade(course, env)
    tracker = Tracker(run.pid)
    journal = course / "gradebook.db-journal"
    deadline = time.monotonic() + 900
    results = course / ".datalit" / "results" / EXERCISE.slug
    try:
        while True:
            assert run.proc.poll() is None, "the batch ended before the kill: " + run.stderr
            assert time.monotonic() < deadline, "no ledger appeared in time"
            count = len(list(results.glob("*.json"))) if results.is_dir() else 0
            if count >= min_ledgers and (not in_transaction or journal.exists()):
                break
            time.sleep(0.01)
        tracker.sample()
        if group:
            os.killpg(run.pid, signal.SIGKILL)
        else:
            os.kill(run.pid, signal.SIGKILL)
        killed_at = ticks_now()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
        run.wait(timeout=60)
        tracker.stop()
    return tracker, killed_at, run.stdout


def check_kill_and_resume(tmp_path: Path, n: int, *, group: bool, in_transaction: bool) -> dict:
    kinds = kinds_for(n)
    course = build_course(tmp_path / "course", kinds)
    work = tmp_path / "work"
    env = grade_env(work, **(plan_env(pause_in_record=0.4) if in_transaction else {}))
    tracker, killed_at, _ = kill_mid_batch(
        course, env, min_ledgers=max(2, n // 5), group=group, in_transaction=in_transaction
    )

    # No process of the run is left: workers (they watch their parent), bwrap, sandboxed code.
    assert any("spawn_main" in p.cmd for p in tracker.seen.values()), "no worker was seen"
    assert tracker.slot_uids, "no sandboxed process was seen"
    waited = time.monotonic()
    left = wait_gone(tracker, killed_at)
    gone_after_s = time.monotonic() - waited
    assert not left, [(p.pid, p.uid, p.cmd[:80]) for p in left]
    assert claims_free(course)

    # Every committed grade is intact; nothing is half recorded; nbgrader opens the gradebook.
    journal = course / "gradebook.db-journal"
    if in_transaction:  # the kill landed inside a transaction: its journal is left behind
        assert journal.exists()
    assert integrity(course) == "ok"
    assert not hot_journal(journal)  # the first reader rolled the killed transaction back
    unledgered = assert_record_consistent(course, allow_unledgered=1)
    assert_export_matches_ledgers(course)
    before = ledger_identities(course)
    assert 0 < len(before) < n, "the kill should land mid-batch"
    work_left_by_kill = leftover_work(work)

    # The rerun grades exactly the candidates without a current ledger, each once.
    rerun_started = time.monotonic()
    rerun = run_grade(course, grade_env(work))
    rerun_s = time.monotonic() - rerun_started
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    after = ledger_identities(course)
    rewritten = {c for c in after if before.get(c) != after[c]}
    expected = set(kinds) - set(before)
    assert rewritten == expected
    assert graded_in_output(rerun.stdout) == expected
    assert skipped_in_output(rerun.stdout) == set(before)
    assert unledgered <= expected

    # Everything is recorded once, with the right scores, and the killed run's work dirs are gone.
    assert set(after) == set(kinds)
    assert submission_counts(course) == dict.fromkeys(kinds, 1)
    assert_record_consistent(course)
    assert_export_matches_ledgers(course)
    for cand, entry in ledgers(course).items():
        assert entry["status"] == "graded", (cand, entry["reason"])
        if kinds[cand] == "reference":
            assert entry["auto_points"] == EXERCISE.max_auto_points, cand
        elif kinds[cand] == "untouched":
            assert entry["auto_points"] == 0, cand
        else:
            assert 0 < entry["auto_points"] < EXERCISE.max_auto_points, cand
    assert leftover_work(work) == []
    assert claims_free(course)
    return {
        "submissions": n,
        "recorded_before_kill": len(before),
        "unledgered_gradebook_rows": len(unledgered),
        "processes_seen": len(tracker.seen),
        "processes_gone_within_s": round(gone_after_s, 2),
        "work_dirs_left_by_kill": len(work_left_by_kill),
        "graded_by_rerun": len(expected),
        "rerun_s": round(rerun_s, 1),
    }


def test_kill_9_of_the_grader_process_mid_transaction_then_resume(tmp_path):
    """8 submissions; only the main process is killed, inside a gradebook transaction."""
    facts = check_kill_and_resume(tmp_path, 8, group=False, in_transaction=True)
    # The work dirs of the jobs in flight stay until the next run frees them (checked above).
    print(facts)


@pytest.mark.slow
def test_kill_9_of_the_process_group_in_a_50_submission_batch_then_resume(tmp_path):
    print(check_kill_and_resume(tmp_path, 50, group=True, in_transaction=False))


def test_a_worker_dying_on_a_submission_records_an_error_and_the_batch_goes_on(tmp_path):
    """A worker SIGKILLed while grading one submission (as a native crash in a parser would):
    the batch finishes, that submission is recorded once with status grader_error and 0 points,
    the submission that was in flight beside it is retried and graded normally."""
    kinds = {"c00": "untouched", "c01": "reference"}
    course = build_course(tmp_path / "course", kinds)
    work = tmp_path / "work"
    run = start_grade(course, grade_env(work, **plan_env(kill_worker="c01")))
    tracker = Tracker(run.pid)
    returncode = run.wait(timeout=900)
    tracker.stop()
    stdout = run.stdout
    assert returncode == 1, stdout + run.stderr  # a grader error is reported, never silent
    assert "grader errors" in stdout
    assert "c01" in stdout
    entries = ledgers(course)
    assert set(entries) == set(kinds)
    assert entries["c01"]["status"] == "grader_error"
    assert entries["c01"]["auto_points"] == 0
    assert "worker process died" in entries["c01"]["reason"]
    assert entries["c00"]["status"] == "graded"
    assert submission_counts(course) == dict.fromkeys(kinds, 1)
    assert_record_consistent(course)
    assert not wait_gone(tracker, ticks_now())
    assert leftover_work(work) == []
    # Recorded, but not current: the next run grades it again.
    sha = entries["c01"]["submission_sha256"]
    assert not ledger_is_current(course, EXERCISE.slug, "c01", sha, grader_version())
    assert ledger_is_current(
        course, EXERCISE.slug, "c00", entries["c00"]["submission_sha256"], grader_version()
    )


def test_staging_folders_of_a_killed_release_are_removed_by_the_next_one(tmp_path):
    """A killed `release` or `collect` leaves its staging folder (named after its pid); the next
    one removes it, and never the folder of a process that still runs."""
    course = build_course(tmp_path / "course", {"c00": "untouched"})
    staging = course / ".datalit" / "staging"
    dead = staging / "release-c00-4194999-0badc0de"  # above any pid_max: no such process
    live = staging / f"collect-c00-{os.getpid()}-0badc0de"
    for folder in (dead, live):
        (folder / "data").mkdir(parents=True)
    build_course(course, {"c00": "untouched"})
    assert not dead.exists()
    assert live.exists()
