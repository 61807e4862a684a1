"""Manual grading closes the loop: what a reviewer gives in formgrader is read back from the
gradebook, and `release-feedback` will not release a candidate whose written finding nobody has
graded unless told to. The reviewer's score and comment are written the way formgrader writes
them, through nbgrader's own `Gradebook` API, on the rows datalit created."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datalit.exercise import load_exercise
from datalit.grading.manual import manual_grades

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"


def datalit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), *args], capture_output=True, text=True, timeout=600, check=False
    )


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


def grade_in_formgrader(course: Path, candidate: str, score: float, comment: str) -> None:
    """What formgrader's "Submit" does for a manual part: set the Grade's manual_score and the
    Comment's manual_comment, through nbgrader's API."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("finding", EX, EX, candidate)
        grade.manual_score = score
        gb.find_comment("finding", EX, EX, candidate).manual_comment = comment
        gb.db.commit()


def test_release_feedback_refuses_while_a_finding_is_ungraded(course):
    refused = datalit("release-feedback", EX, "--course", str(course))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "2 candidate(s) have a manual part nobody has graded yet: ann, bob" in refused.stderr
    assert "--no-require-manual" in refused.stderr
    assert not (course / "feedback" / "ann").exists()


def test_a_reviewers_score_and_comment_are_read_back_and_unblock_the_release(course):
    grade_in_formgrader(course, "bob", 3.0, "Names the duplicates, misses the orphans.")
    grades = manual_grades(course, load_exercise(EX))
    (bob,) = grades["bob"]
    assert (bob.part, bob.points, bob.max_points) == ("finding", 3.0, 4.0)
    assert bob.comment == "Names the duplicates, misses the orphans."  # the comment persisted
    assert [g.points for g in grades["ann"]] == [None]

    released = datalit("release-feedback", EX, "--course", str(course), "--candidate", "bob")
    assert released.returncode == 0, released.stderr
    assert released.stdout.strip() == "released feedback of orders-cleanup to 1 candidate(s)"
    assert (course / "feedback" / "bob" / EX / "report.html").is_file()

    anyway = datalit("release-feedback", EX, "--course", str(course), "--no-require-manual")
    assert anyway.returncode == 0, anyway.stderr
    assert "released without a manual grade" in anyway.stderr
    assert anyway.stderr.strip().endswith(": ann")
