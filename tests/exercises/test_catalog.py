"""Every exercise of the catalog has what issue 5 asks of it: the candidate's brief, a release
notebook built from its nbgrader source with no solution in it, a suite whose checks carry
points, feedback and escalating hints, a reference solution, a naive attempt, truth.py, and at
least one written finding with a reviewer rubric."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from datalit.exercise import list_exercises, load_exercise
from datalit.grading.authoring import (
    CODE_STUB,
    build_release_notebook,
    check_release_current,
    release_notebook_path,
    source_notebook_path,
)

SLUGS = list_exercises()


def test_the_catalog_has_the_eight_exercises():
    assert set(SLUGS) >= {
        "orders-cleanup",
        "units-and-currencies",
        "time-and-dates",
        "categories-and-outliers",
        "leakage",
        "eval-log-hygiene",
        "judge-vs-human",
        "pii-in-traces",
    }


@pytest.fixture(params=SLUGS)
def exercise(request):
    return load_exercise(request.param)


def test_every_file_is_there(exercise):
    for path in (
        exercise.folder / "README.md",
        exercise.suite_path,
        release_notebook_path(exercise),
        source_notebook_path(exercise),
        exercise.solution_folder / "naive.ipynb",
        exercise.solution_folder / "truth.py",
        exercise.solution_folder / "reviewer-notes.md",
    ):
        assert path.is_file(), f"{path} is missing"
        assert path.stat().st_size > 200, f"{path} is too small to be real"


def test_the_brief_states_the_time_budget_and_every_output(exercise):
    brief = (exercise.folder / "README.md").read_text(encoding="utf-8")
    assert f"{exercise.time_budget_minutes} minutes" in brief
    for output in exercise.outputs:
        assert output.path in brief, f"the brief never names {output.path}"


def test_the_release_is_built_from_the_source_without_solutions(exercise):
    check_release_current(exercise)
    release = build_release_notebook(source_notebook_path(exercise))
    solution_code = [
        c
        for c in release.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    assert solution_code, "the candidate has no cell to write code in"
    assert all(c.source == CODE_STUB for c in solution_code)
    text = release_notebook_path(exercise).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text
    source = nbformat.read(source_notebook_path(exercise), as_version=4)
    for cell in source.cells:
        inside, lines = False, []
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 30:
                lines.append(line.strip())
        leaked = [line for line in lines if json.dumps(line)[1:-1] in text]
        assert not leaked, f"solution lines in the release: {leaked[:3]}"


def test_at_least_one_written_finding_graded_by_hand(exercise):
    manual = [p for p in exercise.parts if p.kind == "manual"]
    assert manual
    release = build_release_notebook(source_notebook_path(exercise))
    for part in manual:
        cells = [
            c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == part.cell
        ]
        assert len(cells) == 1, f"no cell {part.cell!r} for part {part.id!r}"
        meta = cells[0].metadata["nbgrader"]
        assert cells[0].cell_type == "markdown"
        assert (meta["grade"], meta["solution"], meta["points"]) == (True, True, part.points)
    notes = (exercise.solution_folder / "reviewer-notes.md").read_text(encoding="utf-8")
    for part in manual:
        # The rubric: a section per written part, naming its points.
        assert f"## Grading the written finding ({part.points:g} points, part `{part.id}`)" in notes


def test_every_check_has_points_feedback_and_public_ones_escalating_hints(exercise):
    suite = json.loads(exercise.suite_path.read_text(encoding="utf-8"))
    parts = {p.id for p in exercise.parts if p.kind == "suite"}
    for e in suite["expectations"]:
        meta = e["meta"]
        assert meta["part"] in parts
        assert meta["points"] > 0
        assert meta["visibility"] in ("public", "hidden")
        assert len(meta["feedback"]) > 20
        if meta["visibility"] == "public":
            hints = meta.get("hints") or []
            assert 2 <= len(hints) <= 3, f"{e['id']}: public checks need 2-3 hints"
            assert len(set(hints)) == len(hints)


def _fixed_strings(value) -> list[str]:
    """The literal strings of an expectation's kwargs (not $PARAMETERs, not row conditions)."""
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return []
        return [s for k, v in value.items() if k != "row_condition" for s in _fixed_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _fixed_strings(v)]
    return [value] if isinstance(value, str) else []


def test_every_spelling_a_check_requires_is_in_the_brief(exercise):
    """Issue 10: where a check wants one particular spelling (a value set), the brief says it.
    Values that come from the candidate's data are suite parameters and are not searched."""
    brief = (exercise.folder / "README.md").read_text(encoding="utf-8")
    suite = json.loads(exercise.suite_path.read_text(encoding="utf-8"))
    missing = []
    for e in suite["expectations"]:
        if "value_set" in e["kwargs"]:
            missing += [
                v
                for v in _fixed_strings(e["kwargs"]["value_set"])
                # As a word of its own: "delivered" in "delivered_at" does not count.
                if not re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", brief)
            ]
    assert missing == [], f"{exercise.slug}: the brief never names {missing}"
