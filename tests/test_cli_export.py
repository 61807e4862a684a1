"""`datalit export` end to end: one course released to four candidates of orders-cleanup (one
graded and given its manual grade, as formgrader does; one late and waiting for the reviewer;
one collected but not graded; one who never submitted) and to one of them a second exercise,
exported as CSV and JSON through the real command. The export reads the gradebook and changes
nothing, so `nbgrader export` still works on it; the cohort report lists the candidate who did
not submit and when each submission came in."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import datalit as _datalit

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX, OTHER = "orders-cleanup", "units-and-currencies"
COMMENT = "Names the duplicates, misses the orphans."


def datalit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return _datalit(*args, cwd=cwd, timeout=300)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def files(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its sha256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        pytest.skip("grading needs root and bubblewrap")
    top = tmp_path_factory.mktemp("export")
    course = top / "course"
    (top / "on-time.csv").write_text(
        "id,name,email\nann,=cmd Ann,ann@example.org\nbob,Bob Builder,bob@example.org\n"
        "dan,Dan Brown,\n",
        encoding="utf-8",
    )
    (top / "late.csv").write_text("id,name\ncy,Cy Late\n", encoding="utf-8")
    on_time, late = ("--roster", str(top / "on-time.csv")), ("--roster", str(top / "late.csv"))
    ok(datalit("release", EX, "--course", str(course), *on_time, "--due", "2099-01-01"))
    ok(datalit("release", EX, "--course", str(course), *late, "--due", "2020-01-01T10:00Z"))
    ok(datalit("release", OTHER, "--course", str(course), *late))
    (top / "incoming").mkdir()
    for cand in ("ann", "cy", "dan"):
        shutil.copyfile(REPO / "solutions" / EX / "naive.ipynb", top / "incoming" / f"{cand}.ipynb")
    ok(datalit("collect", EX, str(top / "incoming"), "--course", str(course)))
    ok(datalit("grade", EX, "--course", str(course), "--candidate", "ann", "--candidate", "cy"))
    # What formgrader writes when a reviewer grades ann's finding (tests/test_cli_manual.py
    # drives formgrader itself).
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.find_grade("finding", EX, EX, "ann").manual_score = 3.0
        gb.find_comment("finding", EX, EX, "ann").manual_comment = COMMENT
        gb.db.commit()
    return course


@pytest.fixture(scope="module")
def exported(course) -> tuple[subprocess.CompletedProcess, str]:
    """The default export: every released exercise, as CSV."""
    result = ok(datalit("export", "--course", str(course)))
    return result, (course / "exports" / "scores.csv").read_text(encoding="utf-8")


def by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["candidate"], r["exercise"]): r for r in rows}


def test_one_row_per_released_candidate_and_exercise_with_its_status(course, exported):
    result, text = exported
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f"exported 5 row(s) to {course / 'exports' / 'scores.csv'}"
    assert (
        f"{EX}: 4 released: 1 graded, 1 manual pending, 1 not submitted, 1 not graded; 1 late"
        in lines
    )
    rows = by_key(csv_rows(text))
    assert {k: r["status"] for k, r in rows.items()} == {
        ("ann", EX): "graded",
        ("bob", EX): "not submitted",
        ("cy", EX): "manual pending",
        ("dan", EX): "not graded",
        ("cy", OTHER): "not submitted",
    }
    header = next(csv.reader(io.StringIO(text)))
    assert header[:14] == [
        *("candidate", "name", "email", "exercise", "status", "submitted_at", "due", "late"),
        *("late_by", "auto_points", "max_auto_points", "manual_points", "total_points"),
        "max_points",
    ]
    assert header[-2:] == ["grader_version", "unsafe_no_sandbox"]
    # orders-cleanup's and units-and-currencies' findings are both manual parts of 4 points:
    # one column; their other parts have ids of their own.
    assert header.count("part:finding") == 1
    assert {"part:duplicate_orders", "part:unknown_units", "comment:finding"} <= set(header)


def test_a_graded_candidate_has_the_reviewers_grade_and_total(course, exported):
    ann = by_key(csv_rows(exported[1]))[("ann", EX)]
    report = json.loads((course / "reports" / EX / "ann.json").read_text())
    assert float(ann["auto_points"]) == report["total"]["auto_points"]
    assert float(ann["max_auto_points"]) == report["total"]["max_auto_points"]
    assert float(ann["max_points"]) == report["total"]["max_points"]
    assert (ann["part:finding"], ann["manual_points"], ann["comment:finding"]) == (
        "3.0",
        "3.0",
        COMMENT,
    )
    assert float(ann["total_points"]) == pytest.approx(report["total"]["auto_points"] + 3.0)
    assert float(ann["part:duplicate_orders"]) == report["summary"]["parts"]["duplicate_orders"]
    assert ann["grader_version"] == report["grader_version"]
    assert ann["grader_version"].startswith("datalit ")
    assert ann["unsafe_no_sandbox"] == "False"  # graded in the sandbox
    assert ann["email"] == "ann@example.org"
    assert ann["due"] == "2099-01-01T23:59:59Z"
    assert ann["submitted_at"].endswith("Z")
    assert (ann["late"], ann["late_by"]) == ("", "")
    assert ann["part:unknown_units"] == ""  # not a part of this exercise


def test_a_late_candidate_says_by_how_much_and_waits_for_the_reviewer(exported):
    cy = by_key(csv_rows(exported[1]))[("cy", EX)]
    assert cy["due"] == "2020-01-01T10:00:00Z"
    assert cy["late"] == "yes"
    assert cy["late_by"].startswith(tuple(f"{d} d" for d in range(2000, 3000)))
    assert cy["auto_points"] != ""
    assert (cy["part:finding"], cy["manual_points"], cy["total_points"]) == ("", "", "")


def test_who_did_not_submit_or_is_not_graded_has_no_points(exported):
    rows = by_key(csv_rows(exported[1]))
    for key in (("bob", EX), ("dan", EX), ("cy", OTHER)):
        row = rows[key]
        assert row["auto_points"] == row["total_points"] == row["grader_version"] == "", key
        assert float(row["max_points"]) > 0
    assert rows[("bob", EX)]["submitted_at"] == ""
    assert rows[("dan", EX)]["submitted_at"] != ""
    assert rows[("bob", EX)]["name"] == "Bob Builder"


def test_a_name_starting_with_a_formula_sign_is_escaped(exported):
    text = exported[1]
    assert by_key(csv_rows(text))[("ann", EX)]["name"] == "'=cmd Ann"
    assert "\n=" not in text
    assert ",=" not in text


def test_json_export_of_one_exercise(course, tmp_path):
    out = tmp_path / "deep" / "scores.json"  # --format from the name; folders made
    result = ok(datalit("export", "--course", str(course), "--exercise", EX, "--out", str(out)))
    assert result.stdout.strip().splitlines()[-1] == f"exported 4 row(s) to {out}"
    data = json.loads(out.read_text())
    assert (data["format"], data["exercises"]) == (1, [EX])
    rows = {r["candidate"]: r for r in data["rows"]}
    assert sorted(rows) == ["ann", "bob", "cy", "dan"]
    ann, cy, bob = rows["ann"], rows["cy"], rows["bob"]
    assert ann["name"] == "=cmd Ann"  # JSON is not a spreadsheet: the name as it is
    assert (ann["status"], ann["parts"]["finding"], ann["comments"]["finding"]) == (
        "graded",
        3.0,
        COMMENT,
    )
    assert (cy["late"], ann["late"], bob["late"]) == (True, False, False)
    assert bob["auto_points"] is None
    assert set(ann["parts"]) == set(rows["dan"]["parts"])
    again = ok(datalit("export", "--course", str(course), "--format", "json"))
    assert again.stdout.strip().endswith(f"exported 5 row(s) to {course / 'exports/scores.json'}")


def test_the_exercise_filter_limits_rows_and_columns(course, tmp_path):
    out = tmp_path / "other.csv"
    ok(datalit("export", "--course", str(course), "--exercise", OTHER, "--out", str(out)))
    text = out.read_text()
    rows = csv_rows(text)
    assert [(r["candidate"], r["status"]) for r in rows] == [("cy", "not submitted")]
    assert "part:duplicate_orders" not in text.splitlines()[0]
    assert "part:unknown_units" in text.splitlines()[0]


def test_bad_input_exits_2_and_writes_nothing(course, tmp_path):
    before = files(course)
    refused(datalit("export", "--course", str(tmp_path / "nowhere")), "does not exist")
    refused(datalit("export", "--course", str(tmp_path)), "nothing was released")
    refused(
        datalit("export", "--course", str(course), "--exercise", "leakage"),
        "leakage was never released",
        f"released there: {EX}, {OTHER}",
    )
    refused(
        datalit("export", "--course", str(course), "--exercise", "no-such-exercise"),
        "never released",
    )
    refused(datalit("export", "--course", str(course), "--format", "xml"), "'xml'")
    refused(datalit("export", "--course", str(course), "--out", str(tmp_path)), "is a folder")
    (tmp_path / "file").write_text("")
    blocked = tmp_path / "file" / "scores.csv"  # its folder is a file
    refused(datalit("export", "--course", str(course), "--out", str(blocked)), "cannot write")
    (tmp_path / "file").unlink()
    assert files(course) == before
    assert list(tmp_path.iterdir()) == []


def test_the_gradebook_is_untouched_and_nbgrader_export_still_works(course, exported):
    before = files(course)
    out = course / "exports" / "scores.csv"
    ok(datalit("export", "--course", str(course)))
    assert files(course) == before  # the same bytes again, the gradebook untouched
    assert out.read_text() == exported[1]
    made = subprocess.run(
        [str(BIN / "nbgrader"), "export"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    grades = {r["student_id"]: r for r in csv_rows((course / "grades.csv").read_text())}
    assert sorted(grades) == ["ann", "cy"]
    ann = by_key(csv_rows(exported[1]))[("ann", EX)]
    assert float(grades["ann"]["score"]) == pytest.approx(float(ann["total_points"]))


def test_the_cohort_lists_who_did_not_submit_and_when_each_submission_came(course):
    rows = {
        r["candidate"]: r for r in csv_rows((course / "reports" / EX / "cohort.csv").read_text())
    }
    assert sorted(rows) == ["ann", "bob", "cy"]  # dan is collected, not graded yet
    assert rows["bob"]["status"] == "not submitted"
    assert rows["bob"]["auto_points"] == rows["bob"]["submitted_at"] == ""
    assert (rows["cy"]["late"], rows["ann"]["late"]) == ("yes", "")
    assert rows["ann"]["submitted_at"].endswith("Z")
    view = json.loads((course / "reports" / EX / "cohort.json").read_text())
    assert (view["count"], view["not_submitted"]) == (2, 1)
    assert sum(b["count"] for b in view["distribution"]) == 2
    page = (course / "reports" / EX / "cohort.html").read_text()
    assert "1 released, not submitted" in page
    assert "late by " in page


def test_a_course_nobody_was_graded_in_still_exports(tmp_path):
    (tmp_path / "roster.csv").write_text("id\nana\nbo\n", encoding="utf-8")
    ok(datalit("release", EX, "--course", "c", "--roster", "roster.csv", cwd=tmp_path))
    (tmp_path / "incoming").mkdir()
    shutil.copyfile(REPO / "solutions" / EX / "naive.ipynb", tmp_path / "incoming" / "bo.ipynb")
    ok(datalit("collect", EX, "incoming", "--course", "c", cwd=tmp_path))
    before = files(tmp_path / "c")
    result = ok(datalit("export", "--course", "c", cwd=tmp_path))
    scores = tmp_path / "c" / "exports" / "scores.csv"
    assert result.stdout.strip().splitlines()[-1] == f"exported 2 row(s) to {scores}"  # absolute
    rows = csv_rows(scores.read_text())
    assert [(r["candidate"], r["status"]) for r in rows] == [
        ("ana", "not submitted"),
        ("bo", "not graded"),
    ]
    after = files(tmp_path / "c")
    assert after.pop("exports/scores.csv")
    assert after == before  # nothing else made or changed


def test_a_replaced_submission_is_not_graded_and_a_failure_keeps_its_status(course, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(course, copy, symlinks=True)
    (tmp_path / "again").mkdir()
    shutil.copyfile(REPO / "solutions" / EX / f"{EX}.ipynb", tmp_path / "again" / "cy.ipynb")
    (tmp_path / "again" / "dan.ipynb").write_text("this is not a notebook", encoding="utf-8")
    ok(datalit("collect", EX, str(tmp_path / "again"), "--course", str(copy)))
    # cy's report is of the notebook collect replaced: not graded until the grader runs again.
    ok(datalit("export", "--course", str(copy)))
    rows = by_key(csv_rows((copy / "exports" / "scores.csv").read_text()))
    assert rows[("cy", EX)]["status"] == "not graded"
    assert rows[("cy", EX)]["auto_points"] == ""
    ok(datalit("grade", EX, "--course", str(copy), "--candidate", "dan"))
    ok(datalit("export", "--course", str(copy)))
    dan = by_key(csv_rows((copy / "exports" / "scores.csv").read_text()))[("dan", EX)]
    assert dan["status"] == "invalid_notebook"
    assert (dan["auto_points"], dan["total_points"]) == ("0.0", "")
    assert dan["grader_version"].startswith("datalit ")
