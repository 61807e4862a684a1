"""The whole loop through the real command line: release, collect, grade, nbgrader export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    r = run("datalit", "demo", "--course", str(course))
    assert r.returncode == 0, r.stdout + r.stderr
    return course, r.stdout


def ledger(course: Path, candidate: str) -> dict:
    path = course / ".datalit" / "results" / "orders-cleanup" / f"{candidate}.json"
    return json.loads(path.read_text())


def auto_points(course: Path, candidate: str) -> float:
    report = json.loads(
        (course / "feedback" / candidate / "orders-cleanup" / "report.json").read_text()
    )
    return report["total"]["auto_points"], report["total"]["max_auto_points"]


def test_reference_full_marks_naive_between_untouched_zero(demo_course):
    course, stdout = demo_course
    ref, maximum = auto_points(course, "reference")
    naive, _ = auto_points(course, "naive")
    untouched, _ = auto_points(course, "untouched")
    assert maximum == 24.75
    assert ref == maximum, stdout
    assert 0 < naive < maximum, stdout
    assert untouched == 0, stdout


def test_nbgrader_export_lists_all_three(demo_course):
    course, _ = demo_course
    r = run("nbgrader", "export", cwd=course)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO((course / "grades.csv").read_text())))
    by_student = {row["student_id"]: row for row in rows}
    assert set(by_student) == {"reference", "naive", "untouched"}
    assert float(by_student["reference"]["raw_score"]) == 24.75
    assert float(by_student["untouched"]["raw_score"]) == 0


def test_regrading_an_unchanged_course_changes_nothing(demo_course):
    course, _ = demo_course
    db = (course / "gradebook.db").read_bytes()
    r = run("datalit", "grade", "orders-cleanup", "--course", str(course))
    assert r.returncode == 0, r.stderr
    assert "unchanged, not regraded" in r.stdout
    assert (course / "gradebook.db").read_bytes() == db


def test_autograded_notebook_keeps_the_written_finding_for_formgrader(demo_course):
    course, _ = demo_course
    nb = json.loads(
        (
            course / "autograded" / "reference" / "orders-cleanup" / "orders-cleanup.ipynb"
        ).read_text()
    )
    finding = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "finding"
    ]
    assert len(finding) == 1
    assert (
        finding[0]["metadata"]["nbgrader"]["points"] == 4
    )  # from the exercise, not the submission
    assert len("".join(finding[0]["source"])) > 20
    assert any(c["cell_type"] == "code" for c in nb["cells"])


def test_assessment_feedback_is_held_until_the_reviewer_releases_it(tmp_path):
    course = tmp_path / "course"
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nann,Ann van Lee,ann@example.org\n", encoding="utf-8")
    assert (
        run(
            "datalit", "release", "orders-cleanup", "--course", str(course), "--roster", str(roster)
        ).returncode
        == 0
    )
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    solution = Path(__file__).resolve().parents[1] / "solutions" / "orders-cleanup"
    (incoming / "ann.ipynb").write_bytes((solution / "naive.ipynb").read_bytes())
    assert (
        run(
            "datalit", "collect", "orders-cleanup", str(incoming), "--course", str(course)
        ).returncode
        == 0
    )
    graded = run("datalit", "grade", "orders-cleanup", "--course", str(course))
    assert graded.returncode == 0
    assert "held in" in graded.stdout
    assert "release-feedback" in graded.stdout
    held = course / "reports" / "orders-cleanup" / "held" / "ann" / "report.json"
    feedback = course / "feedback" / "ann" / "orders-cleanup"
    assert held.is_file()
    assert not feedback.exists()

    unknown = run(
        "datalit",
        "release-feedback",
        "orders-cleanup",
        "--course",
        str(course),
        "--candidate",
        "bob",
    )
    assert unknown.returncode != 0
    assert "no held feedback for bob" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert not feedback.exists()

    waiting = held.read_bytes()
    # Nobody graded ann's finding: released only when asked to, with a warning naming her
    # (tests/test_cli_manual.py covers the default, which refuses).
    r = run(
        "datalit",
        "release-feedback",
        "orders-cleanup",
        "--course",
        str(course),
        "--no-require-manual",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "released feedback of orders-cleanup to 1 candidate(s)"
    assert "released without a manual grade" in r.stderr
    assert "ann" in r.stderr
    assert (feedback / "report.json").read_bytes() == waiting
    assert not held.parent.exists()
    assert (feedback / "report.html").is_file()

    # The roster's name and email reach nbgrader's gradebook (formgrader, nbgrader export).
    assert run("nbgrader", "export", cwd=course).returncode == 0
    (row,) = csv.DictReader(io.StringIO((course / "grades.csv").read_text()))
    assert (row["student_id"], row["first_name"], row["last_name"], row["email"]) == (
        "ann",
        "Ann",
        "van Lee",
        "ann@example.org",
    )
