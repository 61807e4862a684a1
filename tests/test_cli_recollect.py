"""Collecting a new version of a submission through the real command line: collect says so,
keeps the previous submission beside it, and clears the reviewer's grades of the old notebook
(a manual score given through the gradebook, as formgrader does) so the new one is graded
again; the next `datalit grade` regrades it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"
NOTEBOOK = f"{EX}.ipynb"


def datalit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), *args], capture_output=True, text=True, timeout=600, check=False
    )


def released(top: Path) -> Path:
    course = top / "course"
    (top / "roster.csv").write_text("id\nann\nbob\n", encoding="utf-8")
    r = datalit("release", EX, "--course", str(course), "--roster", str(top / "roster.csv"))
    assert r.returncode == 0, r.stderr
    (top / "incoming").mkdir()
    return course


def hand_in(
    top: Path, course: Path, candidate: str, notebook: bytes
) -> subprocess.CompletedProcess:
    incoming = top / "incoming"
    for old in incoming.iterdir():
        old.unlink()
    (incoming / f"{candidate}.ipynb").write_bytes(notebook)
    return datalit("collect", EX, str(incoming), "--course", str(course))


def edited(notebook: bytes, text: str) -> bytes:
    nb = json.loads(notebook)
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [text]})
    return json.dumps(nb).encode()


def finding_grade(course: Path, candidate: str) -> tuple:
    con = sqlite3.connect(course / "gradebook.db")
    try:
        return con.execute(
            """SELECT g.id, g.manual_score, g.needs_manual_grade, c.manual_comment
               FROM grade g JOIN base_cell bc ON bc.id = g.cell_id
               JOIN submitted_notebook sn ON sn.id = g.notebook_id
               JOIN submitted_assignment sa ON sa.id = sn.assignment_id
               JOIN comment c ON c.notebook_id = sn.id
               JOIN base_cell sc ON sc.id = c.cell_id AND sc.name = bc.name
               WHERE sa.student_id = ? AND bc.name = 'finding'""",
            (candidate,),
        ).fetchone()
    finally:
        con.close()


def test_a_new_version_is_said_kept_and_the_old_one_left_beside_it(tmp_path):
    course = released(tmp_path)
    first = (REPO / "solutions" / EX / "naive.ipynb").read_bytes()
    assert hand_in(tmp_path, course, "ann", first).returncode == 0
    again = hand_in(tmp_path, course, "ann", first)
    assert again.returncode == 0, again.stderr
    assert "ann: the same submission as the one already collected; left as it was" in again.stdout
    assert not list((course / "submitted" / "ann").glob(".*"))

    r = hand_in(tmp_path, course, "ann", edited(first, "second version"))
    assert r.returncode == 0, r.stderr
    (kept,) = (course / "submitted" / "ann").glob(f".{EX}.replaced-*")
    assert f"ann: replaced the previous submission (kept in {kept})" in r.stdout
    assert (kept / NOTEBOOK).read_bytes() == first
    assert b"second version" in (course / "submitted" / "ann" / EX / NOTEBOOK).read_bytes()
    assert "grades" not in r.stdout  # nothing graded yet, so nothing is stale


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if os.geteuid() != 0 or shutil.which("bwrap") is None:
        pytest.skip("grading needs root and bubblewrap")
    top = tmp_path_factory.mktemp("recollect")
    course = released(top)
    first = (REPO / "solutions" / EX / "naive.ipynb").read_bytes()
    assert hand_in(top, course, "ann", first).returncode == 0
    r = datalit("grade", EX, "--course", str(course), "--candidate", "ann", "--jobs", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    return top, course, first


def test_replacing_a_graded_submission_clears_its_manual_grades(graded):
    top, course, first = graded
    grade_id, score, needs, _ = finding_grade(course, "ann")
    assert (score, needs) == (None, 1)
    # A reviewer grades the written finding, as formgrader does (manual_score, comment).
    con = sqlite3.connect(course / "gradebook.db")
    with con:
        con.execute(
            "UPDATE grade SET manual_score = 3, needs_manual_grade = 0 WHERE id = ?", (grade_id,)
        )
        con.execute(
            "UPDATE comment SET manual_comment = 'clear and right' WHERE notebook_id = "
            "(SELECT notebook_id FROM grade WHERE id = ?)",
            (grade_id,),
        )
    con.close()

    # The same notebook again, zipped with a file beside it: replaced, but the grades apply.
    for old in (top / "incoming").iterdir():
        old.unlink()
    with zipfile.ZipFile(top / "incoming" / "ann.zip", "w") as zf:
        zf.writestr(NOTEBOOK, first)
        zf.writestr("notes.txt", "my notes\n")
    same = datalit("collect", EX, str(top / "incoming"), "--course", str(course))
    assert same.returncode == 0, same.stderr
    assert "ann: replaced the previous submission" in same.stdout
    assert "no longer apply" not in same.stdout
    assert finding_grade(course, "ann")[1:] == (3, 0, "clear and right")

    r = hand_in(top, course, "ann", edited(first, "my finding, rewritten"))
    assert r.returncode == 0, r.stderr
    kept = sorted((course / "submitted" / "ann").glob(f".{EX}.replaced-*"))[-1]
    assert f"ann: replaced the previous submission (kept in {kept})" in r.stdout
    assert (
        "ann: the reviewer's grades of the previous submission no longer apply and were cleared "
        f"(finding 3/4), kept in {kept / 'manual-grades.json'}: grade the new one in formgrader "
        "after `datalit grade`"
    ) in r.stdout
    assert finding_grade(course, "ann")[1:] == (None, 1, None)
    cleared = json.loads((kept / "manual-grades.json").read_text())["cleared"]
    assert {"cell": "finding", "manual_score": 3.0, "comment": "clear and right"}.items() <= {
        k: v for row in cleared if row["cell"] == "finding" for k, v in row.items()
    }.items()

    regraded = datalit("grade", EX, "--course", str(course), "--candidate", "ann", "--jobs", "1")
    assert regraded.returncode == 0, regraded.stdout + regraded.stderr
    ledger = json.loads((course / ".datalit" / "results" / EX / "ann.json").read_text())
    notebook = (course / "submitted" / "ann" / EX / NOTEBOOK).read_bytes()
    assert ledger["submission_sha256"] == hashlib.sha256(notebook).hexdigest()
    assert finding_grade(course, "ann")[1:] == (None, 1, None)
