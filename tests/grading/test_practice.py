"""Practice mode: the release ships the grader's public checks (not a copy of them) with
escalating hints; hidden checks never leave the grader. Assessment mode holds feedback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datalit.exercise import list_exercises, load_exercise
from datalit.grading.course import release
from datalit.grading.extract import extract
from datalit.grading.validate import load_suite, validate

EXERCISE = load_exercise("orders-cleanup")
SUITE = load_suite(EXERCISE)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    roster = course / "roster.csv"
    roster.write_text("id\nann\n", encoding="utf-8")
    release(exercise=EXERCISE, course=course, roster=roster, mode="practice")
    return course, course / "release" / "ann" / "orders-cleanup"


def run_checks(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "practice/checks.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "false"},
    )


def test_only_public_checks_and_their_parameters_are_shipped(practice):
    course, folder = practice
    shipped = json.loads((folder / "practice" / "public_checks.json").read_text())
    public = [e["id"] for e in SUITE["expectations"] if e["meta"]["visibility"] == "public"]
    assert [e["id"] for e in shipped["expectations"]] == public
    assert shipped["parameters"] == {}  # the public checks of orders-cleanup use none
    hidden = [e for e in SUITE["expectations"] if e["meta"]["visibility"] == "hidden"]
    text = (folder / "practice" / "public_checks.json").read_text()
    assert all(e["id"] not in text and e["meta"]["feedback"] not in text for e in hidden)
    # The grader's own typing module, byte for byte.
    assert (folder / "practice" / "table_typing.py").read_bytes() == (
        REPO / "grading" / "table_typing.py"
    ).read_bytes()
    assert "great-expectations==" in (folder / "requirements.txt").read_text()
    notebook = json.loads((folder / EXERCISE.notebook).read_text())
    assert notebook["cells"][-1]["id"] == "practice-checks"
    key = json.loads((course / "keys" / "ann" / "orders-cleanup" / "answers.json").read_text())
    assert key["mode"] == "practice"


def test_checks_agree_with_the_grader_and_hints_escalate(practice, tmp_path):
    _, folder = practice
    raw = pd.read_csv(folder / "data" / "orders.csv", dtype=str, keep_default_na=False)
    (folder / "outputs").mkdir(exist_ok=True)
    raw.to_csv(folder / "outputs" / "orders_clean.csv", index=False)

    first = run_checks(folder)
    assert first.returncode == 1, first.stdout + first.stderr
    grader = validate(
        EXERCISE, extract(EXERCISE, folder), parameters={"customer_ids": [], "clean_order_rows": 0}
    )
    verdicts = {r.id: r.success for r in grader.results if r.public}
    for e in SUITE["expectations"]:
        if e["id"] in verdicts:
            word = "PASS" if verdicts[e["id"]] else "FAIL"
            assert f"{word}  {e['meta']['feedback']}" in first.stdout
    unique = next(e for e in SUITE["expectations"] if e["type"].endswith("_be_unique"))
    hints = unique["meta"]["hints"]
    assert f"hint 1 of {len(hints)}: {hints[0]}" in first.stdout
    second = run_checks(folder)
    assert f"hint 2 of {len(hints)}: {hints[1]}" in second.stdout

    fixed = raw.assign(status=raw["status"].str.strip().str.lower()).drop_duplicates("order_id")
    fixed.to_csv(folder / "outputs" / "orders_clean.csv", index=False)
    passed = run_checks(folder)
    assert passed.returncode == 0, passed.stdout
    assert f"{len(verdicts)} of {len(verdicts)} public checks passed" in passed.stdout


def test_an_unknown_mode_is_refused(tmp_path):
    from datalit.errors import InvalidArgument

    roster = tmp_path / "roster.csv"
    roster.write_text("id\nann\n", encoding="utf-8")
    with pytest.raises(InvalidArgument, match="assessment, practice"):
        release(exercise=EXERCISE, course=tmp_path / "c", roster=roster, mode="exam")


@pytest.mark.parametrize("slug", list_exercises())
def test_practice_checks_pass_on_the_reference_outputs_of_every_exercise(slug, tmp_path):
    """A candidate in practice mode who solves the exercise sees every public check pass: the
    shipped checks, parameters and typing agree with the grader on each exercise."""
    import nbclient
    import nbformat

    exercise = load_exercise(slug)
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nann\n", encoding="utf-8")
    course = tmp_path / "course"
    release(exercise=exercise, course=course, roster=roster, mode="practice")
    folder = course / "release" / "ann" / slug
    missing = run_checks(folder)
    assert missing.returncode == 1
    assert "does not exist yet" in missing.stdout
    nb = nbformat.read(exercise.solution_folder / exercise.notebook, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, resources={"metadata": {"path": str(folder)}}
    ).execute()
    solved = run_checks(folder)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "FAIL" not in solved.stdout
