"""Authoring: the release notebook is built from the nbgrader source with nbgrader's preprocessors,
keeps no solution, and the committed release never drifts from its source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbclient
import nbformat
import pytest
from nbformat import v4

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.generators.engine import generate
from datalit.generators.output import write_generated
from datalit.grading.authoring import (
    CODE_STUB,
    TEXT_STUB,
    ReleaseOutOfDate,
    build_release_notebook,
    check_release_current,
    main,
    release_notebook_path,
    source_notebook_path,
    write_release_notebook,
)

SLUG = "orders-cleanup"


@pytest.fixture(scope="module")
def exercise():
    return load_exercise(SLUG)


def nbgrader_meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def write_source(path: Path, *cells) -> Path:
    nb = v4.new_notebook(
        cells=list(cells),
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
    )
    nbformat.write(nb, path)
    return path


def test_committed_release_notebook_is_current(exercise):
    check_release_current(exercise)


def test_every_solution_cell_is_nbgraders_stub(exercise):
    source = nbformat.read(source_notebook_path(exercise), as_version=4)
    release = build_release_notebook(source_notebook_path(exercise))
    assert [c.get("id") for c in release.cells] == [c.get("id") for c in source.cells]
    solution_cells = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    code = [c for c in solution_cells if c.cell_type == "code"]
    assert len(code) == 3
    assert all(c.source == CODE_STUB for c in code)
    for cell in release.cells:
        assert "BEGIN SOLUTION" not in cell.source
        assert "END SOLUTION" not in cell.source
        assert cell.get("outputs", []) == []
        assert cell.get("execution_count") is None


def test_finding_cell_matches_the_exercise(exercise):
    release = build_release_notebook(source_notebook_path(exercise))
    part = next(p for p in exercise.parts if p.kind == "manual")
    cells = [
        c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == part.cell
    ]
    assert len(cells) == 1
    cell = cells[0]
    meta = cell.metadata["nbgrader"]
    assert cell.cell_type == "markdown"
    assert (meta["grade"], meta["solution"], meta["points"]) == (True, True, part.points)
    assert "Which problem would have changed the revenue figure most" in cell.source
    assert cell.source.endswith(TEXT_STUB)
    # LockCells ran: the finding cannot be deleted, instructions cannot be edited.
    assert cell.metadata["deletable"] is False
    intro = release.cells[0]
    assert intro.metadata["editable"] is False
    assert len(meta["checksum"]) == 32


def test_reference_code_and_sample_answer_stay_out_of_the_release(exercise):
    source_text = source_notebook_path(exercise).read_text(encoding="utf-8")
    release_text = release_notebook_path(exercise).read_text(encoding="utf-8")
    for secret in (
        'drop_duplicates(subset=\\"order_id\\"',
        "one_row_per_customer",
        "The customers entered twice changed revenue most",
    ):
        assert secret in source_text
        assert secret not in release_text


def test_untouched_release_writes_no_outputs(exercise, tmp_path):
    spec = exercise.generate
    generated = generate(spec.recipe, seed=5, rows=spec.rows, plants=spec.plants)
    write_generated(generated, tmp_path / "gen")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(tmp_path / "gen" / "data", work / "data")
    nb = nbformat.read(release_notebook_path(exercise), as_version=4)
    nbclient.NotebookClient(
        nb, timeout=60, allow_errors=True, resources={"metadata": {"path": str(work)}}
    ).execute()
    errors = [
        o["ename"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o["output_type"] == "error"
    ]
    assert errors == ["NotImplementedError"] * 3
    written = [p for p in (work / "outputs").rglob("*") if p.is_file()]
    assert written == []


def test_drift_is_detected_and_regeneration_fixes_it(exercise, tmp_path):
    for part in ("exercises", "solutions"):
        shutil.copytree(exercise.folder.parent.parent / part / SLUG, tmp_path / part / SLUG)
    copy = load_exercise(SLUG, root=tmp_path)
    check_release_current(copy)
    source = nbformat.read(source_notebook_path(copy), as_version=4)
    source.cells[2].source += "\n\nOne more instruction."
    nbformat.write(source, source_notebook_path(copy))
    with pytest.raises(ReleaseOutOfDate, match=r"cell 2 \(task-clean\) differs.*authoring"):
        check_release_current(copy)
    write_release_notebook(copy)
    check_release_current(copy)
    assert "One more instruction." in release_notebook_path(copy).read_text(encoding="utf-8")


def test_missing_release_notebook_is_drift(exercise, tmp_path):
    for part in ("exercises", "solutions"):
        shutil.copytree(exercise.folder.parent.parent / part / SLUG, tmp_path / part / SLUG)
    copy = load_exercise(SLUG, root=tmp_path)
    release_notebook_path(copy).unlink()
    with pytest.raises(ReleaseOutOfDate, match="is missing"):
        check_release_current(copy)


def test_formatting_only_difference_is_not_drift(exercise, tmp_path):
    for part in ("exercises", "solutions"):
        shutil.copytree(exercise.folder.parent.parent / part / SLUG, tmp_path / part / SLUG)
    copy = load_exercise(SLUG, root=tmp_path)
    path = release_notebook_path(copy)
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=4))
    check_release_current(copy)


def test_solution_region_outside_a_solution_cell_is_refused(tmp_path):
    path = write_source(
        tmp_path / "s.ipynb",
        v4.new_markdown_cell("Intro"),
        v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION"),
    )
    with pytest.raises(InvalidArgument, match="non-solution cell"):
        build_release_notebook(path)


def test_stray_end_marker_is_refused(tmp_path):
    # ClearSolutions silently drops a lone END line and keeps the answer written above it.
    path = write_source(
        tmp_path / "s.ipynb",
        v4.new_markdown_cell("the answer is 42\n### END SOLUTION"),
    )
    with pytest.raises(InvalidArgument, match="'END SOLUTION' without 'BEGIN SOLUTION'"):
        build_release_notebook(path)


def test_unclosed_region_is_refused(tmp_path):
    path = write_source(
        tmp_path / "s.ipynb",
        v4.new_code_cell("### BEGIN SOLUTION\ny = 2", metadata=nbgrader_meta("a", solution=True)),
    )
    with pytest.raises(InvalidArgument, match="no end solution"):
        build_release_notebook(path)


def test_duplicate_grade_ids_are_refused(tmp_path):
    path = write_source(
        tmp_path / "s.ipynb",
        v4.new_code_cell("1", metadata=nbgrader_meta("same", solution=True)),
        v4.new_code_cell("2", metadata=nbgrader_meta("same", solution=True)),
    )
    with pytest.raises(InvalidArgument, match="metadata"):
        build_release_notebook(path)


def test_grade_cell_without_points_is_refused(tmp_path):
    path = write_source(
        tmp_path / "s.ipynb",
        v4.new_markdown_cell("answer", metadata=nbgrader_meta("f", solution=True, grade=True)),
    )
    with pytest.raises(InvalidArgument, match="metadata"):
        build_release_notebook(path)


def test_not_a_notebook_is_refused(tmp_path):
    path = tmp_path / "s.ipynb"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidArgument, match="not a valid notebook"):
        build_release_notebook(path)


def test_command_line_check(capsys):
    assert main([SLUG, "--check"]) == 0
    assert "is current" in capsys.readouterr().out
    assert main(["no-such-exercise", "--check"]) == 2
    assert "unknown exercise" in capsys.readouterr().err
