"""Manual grading closes the loop: a reviewer grades the written finding in nbgrader's
formgrader (a real Jupyter server with nbgrader's extension, driven through formgrader's HTTP
API, the calls its grading page makes), the score and comment are read back from the gradebook,
and `release-feedback` will not release a candidate whose finding nobody has graded unless told
to. formgrader lists the exercise from its home page (Manage Assignments)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datalit.exercise import load_exercise
from datalit.grading.manual import manual_grades
from tests.cli import datalit as _datalit
from tests.formgrader_api import grade_in_formgrader as grade_finding
from tests.formgrader_api import running_formgrader

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"


def datalit(*args: str) -> subprocess.CompletedProcess:
    return _datalit(*args)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        pytest.skip("grading needs root and bubblewrap")
    top = tmp_path_factory.mktemp("manual")
    course = top / "course"
    (top / "roster.csv").write_text("id\nann\nbob\n", encoding="utf-8")
    released = datalit("release", EX, "--course", str(course), "--roster", str(top / "roster.csv"))
    assert released.returncode == 0, released.stderr
    (top / "incoming").mkdir()
    for cand in ("ann", "bob"):
        shutil.copyfile(REPO / "solutions" / EX / "naive.ipynb", top / "incoming" / f"{cand}.ipynb")
    assert datalit("collect", EX, str(top / "incoming"), "--course", str(course)).returncode == 0
    graded = datalit("grade", EX, "--course", str(course))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return course


@pytest.fixture(scope="module")
def formgrader(course):
    with running_formgrader(course) as call:
        yield call


def grade_in_formgrader(call, candidate: str, score: float, comment: str) -> None:
    grade_finding(call, EX, candidate, score, comment)


def test_formgrader_lists_the_exercise_from_its_home_page(formgrader):
    assert [a["name"] for a in formgrader("/formgrader/api/assignments")] == [EX]
    submissions = formgrader(f"/formgrader/api/submissions/{EX}")
    assert sorted(s["student"] for s in submissions) == ["ann", "bob"]
    assert "Manage Assignments" in formgrader("/formgrader")


def test_release_feedback_refuses_while_a_finding_is_ungraded(course):
    refused = datalit("release-feedback", EX, "--course", str(course))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "2 candidate(s) have a manual part nobody has graded yet: ann, bob" in refused.stderr
    assert "--no-require-manual" in refused.stderr
    assert not (course / "feedback" / "ann").exists()


def test_a_reviewers_score_and_comment_are_read_back_and_unblock_the_release(course, formgrader):
    grade_in_formgrader(formgrader, "bob", 3.0, "Names the duplicates, misses the orphans.")
    grades = manual_grades(course, load_exercise(EX))
    (bob,) = grades["bob"]
    assert (bob.part, bob.points, bob.max_points) == ("finding", 3.0, 4.0)
    assert bob.comment == "Names the duplicates, misses the orphans."  # the comment persisted
    assert [g.points for g in grades["ann"]] == [None]

    released = datalit("release-feedback", EX, "--course", str(course), "--candidate", "bob")
    assert released.returncode == 0, released.stderr
    assert released.stdout.strip() == "released feedback of orders-cleanup to 1 candidate(s)"
    # The released view carries the reviewer's score and comment, and the total.
    view = json.loads((course / "feedback" / "bob" / EX / "report.json").read_text())
    (finding,) = [p for p in view["parts"] if p["id"] == "finding"]
    assert (finding["points"], finding["status"]) == (3.0, "graded_by_reviewer")
    assert "Names the duplicates, misses the orphans." in finding["feedback"]
    assert view["total"]["total_points"] == pytest.approx(view["total"]["auto_points"] + 3.0)
    page = (course / "feedback" / "bob" / EX / "report.html").read_text()
    assert "with the reviewer&#39;s grade" in page or "with the reviewer's grade" in page
    # The reviewer view, written at grading time, now has the grade and the total too.
    reviewer = json.loads((course / "reports" / EX / "bob.json").read_text())
    (finding,) = [p for p in reviewer["parts"] if p["id"] == "finding"]
    assert finding["points"] == 3.0
    assert finding["status"] == "graded_by_reviewer"
    assert reviewer["total"]["total_points"] == view["total"]["total_points"]
    assert (
        "Names the duplicates, misses the orphans."
        in (course / "reports" / EX / "bob.html").read_text()
    )
    # And the cohort table, rewritten, has bob's finding and total, ann's still pending.
    rows = {
        r["candidate"]: r
        for r in csv.DictReader(io.StringIO((course / "reports" / EX / "cohort.csv").read_text()))
    }
    assert rows["bob"]["part:finding"] == "3.0"
    assert rows["bob"]["needs_manual"] == ""
    assert rows["ann"]["needs_manual"] == "finding"
    assert rows["ann"]["total_points"] == ""

    anyway = datalit("release-feedback", EX, "--course", str(course), "--no-require-manual")
    assert anyway.returncode == 0, anyway.stderr
    assert "released without a manual grade" in anyway.stderr
    assert anyway.stderr.strip().endswith(": ann")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_nbgraders_own_feedback_tools_leave_datalits_files_alone(course):
    """`nbgrader generate_feedback --force` once replaced feedback/<id>/<exercise>/ (datalit's
    candidate views) and failed; the course's nbgrader_config.py sends it elsewhere."""
    before = _files(course / "feedback")
    assert before  # bob's released view, at least
    made = subprocess.run(
        [str(BIN / "nbgrader"), "generate_feedback", EX, "--force"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert _files(course / "feedback") == before
    assert (
        (course / "nbgrader-feedback" / "bob" / EX / f"{EX}.ipynb").with_suffix(".html").is_file()
    )


def test_an_older_course_config_gets_nbgraders_folders_set_apart(tmp_path):
    from datalit.grading.record import CONFIG
    from datalit.grading.record.config import _ensure_config, _read_config

    (tmp_path / CONFIG).write_text(
        "c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = 'hr-2026'\n",
        encoding="utf-8",
    )
    assert _ensure_config(tmp_path, None) == ("hr-2026", True)
    settings = _read_config(tmp_path)
    assert settings["feedback_directory"] == "nbgrader-feedback"
    assert settings["release_directory"] == "nbgrader-release"
    assert _ensure_config(tmp_path, None) == ("hr-2026", False)  # once
