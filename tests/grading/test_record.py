"""The record stage against a real nbgrader gradebook (SQLite), real `nbgrader export` and real
SIGKILLs: no mocks.

Results are built directly (`result_for`), so these tests do not depend on the other stages.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from datalit.errors import DatalitError, InvalidArgument
from datalit.exercise import Exercise, load_exercise
from datalit.grading.record import (
    ensure_course,
    gradebook_url,
    ledger_is_current,
    ledger_path,
    load_ledger,
    record,
)
from datalit.grading.results import NEEDS_MANUAL, SCORED, GradeResult, PartScore, Score
from tests.seams.fault_plan import plan_env

REPO = Path(__file__).resolve().parents[2]
NBGRADER = Path(sys.executable).parent / "nbgrader"
EXERCISE = load_exercise("orders-cleanup")
SLUG = EXERCISE.slug
MANUAL = next(p for p in EXERCISE.parts if p.kind == "manual")
AUTO = [p for p in EXERCISE.parts if p.auto]


def result_for(
    candidate: str,
    fraction: float,
    *,
    exercise: Exercise = EXERCISE,
    sha: str | None = None,
    version: str = "datalit test-1",
) -> GradeResult:
    """A graded result: every auto part earns `fraction` of its points, the manual part waits."""
    parts = []
    for p in exercise.parts:
        if p.kind == "manual":
            parts.append(PartScore(p.id, p.kind, p.title, 0.0, p.points, NEEDS_MANUAL))
        else:
            points = round(fraction * p.points, 2)
            parts.append(PartScore(p.id, p.kind, p.title, points, p.points, SCORED, "feedback"))
    return GradeResult(
        exercise=exercise.slug,
        candidate=candidate,
        submission_sha256=sha or hashlib.sha256(f"{candidate}{fraction}".encode()).hexdigest(),
        grader_version=version,
        status="graded",
        reason="",
        execution=None,
        score=Score(tuple(parts)),
    )


def expected_auto(fraction: float) -> float:
    return round(sum(round(fraction * p.points, 2) for p in AUTO), 6)


def gradebook(course: Path):
    from nbgrader.api import Gradebook

    return Gradebook(gradebook_url(course), course_id="default_course")


def grades_of(course: Path, candidate: str) -> dict[str, dict]:
    """Every Grade row of the candidate's submission, by cell name (MissingEntry if none)."""
    with gradebook(course) as gb:
        submission = gb.find_submission_notebook(SLUG, SLUG, candidate)
        return {
            g.name: {
                "auto_score": g.auto_score,
                "manual_score": g.manual_score,
                "needs_manual_grade": g.needs_manual_grade,
                "max_score": g.max_score,
                "cell_type": g.cell_type,
            }
            for g in submission.grades
        }


def assert_complete(course: Path, candidate: str, fraction: float) -> None:
    """The submission is fully recorded with `fraction` of every auto part."""
    grades = grades_of(course, candidate)
    assert set(grades) == {p.id for p in AUTO} | {MANUAL.cell or MANUAL.id}
    for p in AUTO:
        g = grades[p.id]
        assert g["auto_score"] == pytest.approx(round(fraction * p.points, 2)), (candidate, p.id)
        assert g["needs_manual_grade"] is False
        assert g["max_score"] == p.points
        assert g["cell_type"] == "code"
    g = grades[MANUAL.cell or MANUAL.id]
    assert g["auto_score"] is None
    assert g["cell_type"] == "markdown"
    assert g["max_score"] == MANUAL.points


def export(course: Path) -> dict[str, dict]:
    """`nbgrader export` run in the course folder, as an instructor would, by student id."""
    out = course / "grades.csv"
    proc = subprocess.run(
        [str(NBGRADER), "export", "--to", str(out)],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(out.read_text()))}


@pytest.fixture(scope="module")
def empty_course(tmp_path_factory) -> Path:
    """A course with an empty gradebook, created once: nbgrader's creation runs `alembic heads`
    (~2 s), so most tests start from a copy (creation itself is tested below)."""
    folder = tmp_path_factory.mktemp("template")
    ensure_course(folder)
    return folder


@pytest.fixture
def course(tmp_path, empty_course) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    for name in ("gradebook.db", "nbgrader_config.py"):
        shutil.copy2(empty_course / name, folder / name)
    return folder


# --- the gradebook nbgrader reads ------------------------------------------------------------


def test_nbgrader_export_lists_every_recorded_candidate_with_the_right_score(tmp_path):
    fractions = {"ada": 1.0, "bo": 0.5, "cy": 0.0}
    for cand, fraction in fractions.items():
        done = record(course=tmp_path, exercise=EXERCISE, result=result_for(cand, fraction))
        assert done.changed
    assert (tmp_path / "nbgrader_config.py").is_file()
    rows = export(tmp_path)
    assert set(rows) == set(fractions)
    for cand, fraction in fractions.items():
        assert rows[cand]["assignment"] == SLUG
        assert float(rows[cand]["raw_score"]) == pytest.approx(expected_auto(fraction))
        # The maximum counts the manual part too: it is in the gradebook, waiting for a reviewer.
        assert float(rows[cand]["max_score"]) == pytest.approx(EXERCISE.max_points)
        assert_complete(tmp_path, cand, fraction)
    with gradebook(tmp_path) as gb:
        waiting = gb.find_submission_notebook(SLUG, SLUG, "bo")
        assert waiting.needs_manual_grade


def test_roster_fields_and_the_submission_timestamp_reach_the_gradebook(course):
    folder = course / "submitted" / "ada" / SLUG
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2025-03-01 09:30:00.000000 UTC")
    student = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
    record(course=course, exercise=EXERCISE, result=result_for("ada", 1.0), student=student)
    with gradebook(course) as gb:
        person = gb.find_student("ada")
        assert (person.first_name, person.last_name, person.email) == tuple(student.values())
        assert str(gb.find_submission(SLUG, "ada").timestamp) == "2025-03-01 09:30:00"
    # None leaves a field as it is; a new value replaces it.
    record(
        course=course,
        exercise=EXERCISE,
        result=result_for("ada", 1.0),
        student={"first_name": None, "email": "ada@example.com"},
    )
    with gradebook(course) as gb:
        person = gb.find_student("ada")
        assert (person.first_name, person.email) == ("Ada", "ada@example.com")


def test_a_manual_grade_entered_by_a_reviewer_survives_a_regrade(course):
    record(course=course, exercise=EXERCISE, result=result_for("ada", 0.5))
    cell = MANUAL.cell or MANUAL.id
    with gradebook(course) as gb:  # what formgrader does when a reviewer grades the finding
        grade = gb.find_grade(cell, SLUG, SLUG, "ada")
        grade.manual_score = 3.0
        grade.needs_manual_grade = False
        # ... and a reviewer may also override an auto part.
        override = gb.find_grade(AUTO[0].id, SLUG, SLUG, "ada")
        override.manual_score = 0.25
        gb.db.commit()

    # A new grader version regrades with different auto scores.
    done = record(
        course=course, exercise=EXERCISE, result=result_for("ada", 1.0, version="datalit test-2")
    )
    assert done.changed
    grades = grades_of(course, "ada")
    assert grades[cell]["manual_score"] == 3.0
    assert grades[cell]["needs_manual_grade"] is False
    assert grades[cell]["auto_score"] is None
    assert grades[AUTO[0].id]["manual_score"] == 0.25
    assert grades[AUTO[1].id]["auto_score"] == AUTO[1].points
    with gradebook(course) as gb:  # the total nbgrader exports: a manual score takes precedence
        expected = expected_auto(1.0) - AUTO[0].points + 0.25 + 3.0
        assert gb.find_submission(SLUG, "ada").score == pytest.approx(expected)


def test_recording_the_same_result_twice_changes_nothing(course):
    first = record(course=course, exercise=EXERCISE, result=result_for("ada", 0.5))
    record(course=course, exercise=EXERCISE, result=result_for("bo", 0.25))
    db = course / "gradebook.db"
    before = db.read_bytes()
    ledger_before = first.ledger.read_bytes()
    again = record(course=course, exercise=EXERCISE, result=result_for("ada", 0.5))
    assert again.changed is False
    assert again.written == ()
    assert db.read_bytes() == before
    assert first.ledger.read_bytes() == ledger_before

    # A changed score is a change, and only that submission's row moves.
    bo_before = grades_of(course, "bo")
    changed = record(course=course, exercise=EXERCISE, result=result_for("ada", 0.75))
    assert changed.changed
    assert set(changed.written) == {db, first.ledger}
    assert db.read_bytes() != before
    assert_complete(course, "ada", 0.75)
    assert grades_of(course, "bo") == bo_before


def test_the_ledger_keeps_what_the_gradebook_has_no_column_for(course):
    result = result_for("ada", 0.5, sha="ab" * 32)
    record(course=course, exercise=EXERCISE, result=result)
    entry = load_ledger(course, SLUG, "ada")
    assert entry["submission_sha256"] == "ab" * 32
    assert entry["grader_version"] == "datalit test-1"
    assert entry["auto_points"] == pytest.approx(expected_auto(0.5))
    assert {p["id"]: p["points"] for p in entry["parts"]}[MANUAL.id] is None
    assert ledger_path(course, SLUG, "ada") == course / ".datalit/results/orders-cleanup/ada.json"

    assert ledger_is_current(course, SLUG, "ada", "ab" * 32, "datalit test-1")
    assert ledger_is_current(course, EXERCISE, "ada", "ab" * 32, "datalit test-1")
    assert not ledger_is_current(course, SLUG, "ada", "cd" * 32, "datalit test-1")
    assert not ledger_is_current(course, SLUG, "ada", "ab" * 32, "datalit test-2")
    assert not ledger_is_current(course, SLUG, "bo", "ab" * 32, "datalit test-1")
    # An exercise whose points changed makes the entry stale.
    edited = dataclasses.replace(
        EXERCISE,
        parts=tuple(
            dataclasses.replace(p, points=p.points + 1) if p.id == AUTO[1].id else p
            for p in EXERCISE.parts
        ),
    )
    assert not ledger_is_current(course, edited, "ada", "ab" * 32, "datalit test-1")
    # A damaged ledger is not current: the submission is simply recorded again.
    ledger_path(course, SLUG, "ada").write_text("{not json")
    assert load_ledger(course, SLUG, "ada") is None
    assert not ledger_is_current(course, SLUG, "ada", "ab" * 32, "datalit test-1")
    assert record(course=course, exercise=EXERCISE, result=result).written == (
        ledger_path(course, SLUG, "ada"),
    )


def test_points_and_maxima_come_from_the_exercise_not_the_result(course):
    result = result_for("ada", 1.0)
    inflated = Score(
        tuple(
            dataclasses.replace(p, points=p.points * 10, max_points=99.0)
            if p.kind != "manual"
            else p
            for p in result.score.parts
        )
    )
    record(course=course, exercise=EXERCISE, result=dataclasses.replace(result, score=inflated))
    assert_complete(course, "ada", 1.0)


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(InvalidArgument, match="candidate id"):
        record(course=tmp_path, exercise=EXERCISE, result=result_for("../escape", 1.0))
    with pytest.raises(InvalidArgument, match="not 'orders-cleanup'"):
        record(
            course=tmp_path,
            exercise=EXERCISE,
            result=dataclasses.replace(result_for("ada", 1.0), exercise="other"),
        )
    missing_part = result_for("ada", 1.0)
    missing_part = dataclasses.replace(missing_part, score=Score(missing_part.score.parts[1:]))
    with pytest.raises(InvalidArgument, match="do not match the parts"):
        record(course=tmp_path, exercise=EXERCISE, result=missing_part)
    with pytest.raises(InvalidArgument, match="unknown student field 'phone'"):
        record(
            course=tmp_path,
            exercise=EXERCISE,
            result=result_for("ada", 1.0),
            student={"phone": "1"},
        )
    assert not (tmp_path / "gradebook.db").exists()


def test_an_existing_nbgrader_config_decides_the_course_id(course):
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "ds101"\nc.CourseDirectory.root = "."\n'
    )
    done = record(course=course, exercise=EXERCISE, result=result_for("ada", 1.0))
    assert done.course_id == "ds101"
    with sqlite3.connect(course / "gradebook.db") as con:
        assert con.execute("SELECT course_id FROM assignment").fetchall() == [("ds101",)]


def test_a_config_pointing_nbgrader_at_another_gradebook_is_refused(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.root = "/somewhere/else"\n'
    )
    with pytest.raises(InvalidArgument, match=r"CourseDirectory\.root"):
        record(course=tmp_path, exercise=EXERCISE, result=result_for("ada", 1.0))


def test_an_assignment_nbgrader_created_gets_complete_submissions(course):
    """`nbgrader generate_assignment` may have created the assignment with the finding as a
    graded markdown solution cell (its own points): our submission gets the Comment row
    formgrader needs, and the points from the exercise."""
    cell = MANUAL.cell or MANUAL.id
    with gradebook(course) as gb:
        gb.update_or_create_assignment(SLUG)
        gb.add_notebook(SLUG, SLUG)
        gb.add_solution_cell(cell, SLUG, SLUG)
        gb.add_grade_cell(cell, SLUG, SLUG, max_score=99.0, cell_type="markdown")
        gb.update_or_create_assignment("other-exercise")
        gb.add_notebook("other-exercise", "other-exercise")
    record(course=course, exercise=EXERCISE, result=result_for("ada", 1.0))
    assert_complete(course, "ada", 1.0)
    with gradebook(course) as gb:
        assert gb.find_comment(cell, SLUG, SLUG, "ada") is not None
        assert gb.find_grade_cell(cell, SLUG, SLUG).max_score == MANUAL.points
        assert gb.find_assignment("other-exercise").num_submissions == 0


# --- creating a gradebook ----------------------------------------------------------------------


def test_a_new_gradebook_needs_no_alembic_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    record(course=tmp_path, exercise=EXERCISE, result=result_for("ada", 1.0))
    assert os.environ["PATH"] == "/nonexistent"
    with sqlite3.connect(tmp_path / "gradebook.db") as con:
        assert con.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_a_failed_creation_leaves_no_gradebook_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(DatalitError, match="alembic"):
        record(course=tmp_path, exercise=EXERCISE, result=result_for("ada", 1.0))
    assert not (tmp_path / "gradebook.db").exists()
    assert not [p for p in tmp_path.iterdir() if "gradebook" in p.name]
    assert not ledger_path(tmp_path, SLUG, "ada").exists()


def test_a_half_created_gradebook_is_reported_not_used(tmp_path):
    from nbgrader.api import Base
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'gradebook.db'}")
    Base.metadata.create_all(engine)  # what nbgrader leaves when `alembic` is missing
    engine.dispose()
    with pytest.raises(DatalitError, match="half-created"):
        record(course=tmp_path, exercise=EXERCISE, result=result_for("ada", 1.0))


# --- crashes and concurrency ------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from tests.grading.test_record import EXERCISE, result_for
    from datalit.grading.record import record
    course = Path(sys.argv[1])
    for spec in sys.argv[2:]:
        cand, fraction = spec.split("=")
        record(course=course, exercise=EXERCISE, result=result_for(cand, float(fraction)))
        print("recorded", cand, flush=True)
    """
)


def child(tmp_path: Path, course: Path, *specs: str, env: dict | None = None) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(repo=str(REPO)))
    return subprocess.Popen(
        [sys.executable, str(script), str(course), *specs],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the child exited early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("timed out waiting for the child")
        time.sleep(0.005)


def assert_gradebook_sound(course: Path) -> None:
    with sqlite3.connect(course / "gradebook.db") as con:  # rolls back a hot journal
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("case", ["new submission", "changed submission"])
def test_sigkill_inside_the_transaction_records_nothing_of_that_submission(tmp_path, course, case):
    record(course=course, exercise=EXERCISE, result=result_for("ada", 1.0))
    record(course=course, exercise=EXERCISE, result=result_for("bo", 0.5))
    victim, fraction = ("cy", 0.25) if case == "new submission" else ("bo", 0.75)

    proc = child(tmp_path, course, f"{victim}={fraction}", env=plan_env(pause_in_record=60))
    journal = course / "gradebook.db-journal"
    # The rows are flushed into the open transaction once SQLite has a journal.
    wait_for(journal.exists, proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()

    assert_gradebook_sound(course)
    assert_complete(course, "ada", 1.0)
    assert_complete(course, "bo", 0.5)  # a changed submission keeps its old, complete record
    if case == "new submission":
        from nbgrader.api import MissingEntry

        with gradebook(course) as gb, pytest.raises(MissingEntry):
            gb.find_student("cy")
        assert load_ledger(course, SLUG, "cy") is None
    else:
        assert load_ledger(course, SLUG, "bo")["auto_points"] == pytest.approx(expected_auto(0.5))
    # Recording again completes it.
    record(course=course, exercise=EXERCISE, result=result_for(victim, fraction))
    assert_complete(course, victim, fraction)


def test_sigkill_during_a_loop_of_records_leaves_every_submission_whole_or_absent(tmp_path, course):
    specs = {f"c{i:02d}": (i % 7) / 6 for i in range(50)}
    proc = child(tmp_path, course, *(f"{c}={f}" for c, f in specs.items()))
    results = course / ".datalit" / "results" / SLUG
    wait_for(lambda: len(list(results.glob("*.json"))) >= 5, proc)
    time.sleep(0.137)  # somewhere in the middle of a later record
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()

    assert_gradebook_sound(course)
    with gradebook(course) as gb:
        students = {s.id for s in gb.students}
    ledgers = {p.stem for p in results.glob("*.json")}
    assert 5 <= len(students) < 50, "the kill should land mid-loop"
    assert ledgers <= students  # a ledger entry is written only after the gradebook commit
    assert len(students - ledgers) <= 1  # at most the one killed between commit and ledger
    for cand in students:
        assert_complete(course, cand, specs[cand])
    for cand in set(specs) - students:
        assert load_ledger(course, SLUG, cand) is None


def _record_many(course: str, candidates: list[str], start) -> None:
    start.wait()
    for cand in candidates:
        record(course=Path(course), exercise=EXERCISE, result=result_for(cand, 0.5))


def test_two_processes_recording_at_once_lose_nothing(tmp_path):
    course = tmp_path / "course"  # no gradebook yet: both processes race to create it
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    groups = [[f"a{i}" for i in range(12)], [f"b{i}" for i in range(12)]]
    procs = [ctx.Process(target=_record_many, args=(str(course), g, start)) for g in groups]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert_gradebook_sound(course)
    rows = export(course)
    assert set(rows) == set(groups[0] + groups[1])
    for row in rows.values():
        assert float(row["raw_score"]) == pytest.approx(expected_auto(0.5))
