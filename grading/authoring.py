"""Authoring: build an exercise's release notebook from its nbgrader source notebook.

The source notebook (`solutions/<slug>/<notebook>`) carries nbgrader cell metadata (`grade_id`,
`points`, `solution`, `locked`, schema version 3) and `### BEGIN SOLUTION` / `### END SOLUTION`
regions. The release notebook (`exercises/<slug>/<notebook>`) is what candidates get: it is built
with nbgrader's own preprocessors, in the order `nbgrader generate_assignment` runs them, minus the
ones that need nbgrader's course database or in-notebook tests (datalit keeps tests out of the
candidate's notebook altogether).

The release notebook is committed, so candidates and reviewers can read it without running
anything; `check_release_current` (called by a test and by `release`) makes sure it never drifts
from its source. Regenerate it with::

    python -m datalit.grading.authoring orders-cleanup
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import nbformat

from datalit.errors import DatalitError, InvalidArgument
from datalit.exercise import Exercise, load_exercise

MAX_SOURCE_BYTES = 5 * 1024**2
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
# nbgrader's default stubs: what every solution cell becomes in the release.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


class ReleaseOutOfDate(DatalitError):
    """The committed release notebook is not what its source notebook builds."""


def source_notebook_path(exercise: Exercise) -> Path:
    """The instructor's nbgrader source notebook, with solutions."""
    return exercise.solution_folder / exercise.notebook


def release_notebook_path(exercise: Exercise) -> Path:
    """The committed release notebook candidates get."""
    return exercise.folder / exercise.notebook


def _read_source(source: Path) -> nbformat.NotebookNode:
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise InvalidArgument(f"cannot read the source notebook {source}: {exc.strerror}") from None
    if size > MAX_SOURCE_BYTES:
        raise InvalidArgument(f"{source} is {size:,} bytes; a source notebook must stay small")
    try:
        text = source.read_text(encoding="utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidArgument(f"{source} is not a valid notebook: {exc}") from None
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        # nbformat would silently up-convert an old notebook; a source must be current.
        raise InvalidArgument(f"{source} is not a notebook in nbformat 4")
    try:
        nb = nbformat.reads(text, as_version=4)
        # nbformat.reads only logs schema problems; an authoring mistake should stop the build.
        nbformat.validate(nb)
    except (ValueError, TypeError, KeyError, AttributeError, nbformat.ValidationError) as exc:
        raise InvalidArgument(f"{source} is not a valid notebook: {exc}") from None
    return nb


def _check_markers(nb: nbformat.NotebookNode, source: Path) -> None:
    """Refuse an END marker without its BEGIN: ClearSolutions silently drops such a line and
    ships whatever answer came before it."""
    begin, end = SOLUTION_MARKERS
    for index, cell in enumerate(nb.cells):
        open_region = False
        for line in cell.source.split("\n"):
            if begin in line:
                open_region = True
            elif end in line:
                if not open_region:
                    raise InvalidArgument(
                        f"{source}: cell {index} has {end!r} without {begin!r} before it"
                    )
                open_region = False


def _quiet(preprocessor):
    # nbgrader logs authoring errors with the whole cell source before raising; the exception we
    # raise says the same in one line.
    preprocessor.log.setLevel(logging.CRITICAL)
    return preprocessor


def build_release_notebook(source: Path) -> nbformat.NotebookNode:
    """Build the release notebook from an nbgrader source notebook.

    Refuses an END marker without its BEGIN, runs nbgrader's LockCells, ClearSolutions, ClearOutput, CheckCellMetadata and
    ComputeChecksums (as `nbgrader generate_assignment` does, without its gradebook and hidden-test
    steps), then checks that no solution marker survived.

    Args:
        source: the source notebook (solutions/<slug>/<notebook>).

    Returns:
        The release notebook: solution code cells replaced by nbgrader's stub
        (``# YOUR CODE HERE`` / ``raise NotImplementedError()``), written answers by
        ``YOUR ANSWER HERE``, outputs and execution counts cleared.

    Raises:
        InvalidArgument: the source is not a valid notebook, a solution region is unbalanced or
            outside a solution cell, the nbgrader metadata is invalid, or a solution marker
            survived the build.
    """
    from nbgrader.nbgraderformat import ValidationError as MetadataError
    from nbgrader.nbgraderformat.common import SchemaMismatchError
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    source = Path(source)
    nb = _read_source(source)
    _check_markers(nb, source)
    resources: dict = {}
    steps = (
        LockCells,
        ClearSolutions,
        ClearOutput,
        CheckCellMetadata,
        ComputeChecksums,
        CheckCellMetadata,
    )
    try:
        for step in steps:
            nb, resources = _quiet(step()).preprocess(nb, resources)
    except (RuntimeError, ValueError, MetadataError, SchemaMismatchError) as exc:
        raise InvalidArgument(f"{source}: cannot build the release notebook: {exc}") from None
    for index, cell in enumerate(nb.cells):
        found = [m for m in SOLUTION_MARKERS if m in cell.source]
        if found:
            # ClearSolutions only strips regions in solution cells; a marker elsewhere (e.g. in a
            # plain markdown cell) would ship the solution to every candidate.
            raise InvalidArgument(
                f"{source}: cell {index} still contains {found[0]!r} after solutions were "
                "cleared; put solution regions only in cells marked as solution cells"
            )
    nbformat.validate(nb)
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The notebook as written to disk (nbformat's canonical JSON, ending in a newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write_release_notebook(exercise: Exercise) -> Path:
    """Build the release notebook of `exercise` from its source and write it (atomically)."""
    target = release_notebook_path(exercise)
    text = notebook_text(build_release_notebook(source_notebook_path(exercise)))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def _first_difference(built: dict, committed: dict) -> str:
    built_cells, committed_cells = built.get("cells", []), committed.get("cells", [])
    for index, (a, b) in enumerate(zip(built_cells, committed_cells, strict=False)):
        if a != b:
            return f"cell {index} ({a.get('id', '?')}) differs"
    if len(built_cells) != len(committed_cells):
        return f"{len(built_cells)} cells built, {len(committed_cells)} committed"
    return "the notebook metadata differs"


def check_release_current(exercise: Exercise) -> None:
    """Raise ReleaseOutOfDate unless the committed release notebook is what the source builds.

    Compares the parsed JSON (not the bytes), so a formatting-only difference is not drift.
    """
    target = release_notebook_path(exercise)
    regenerate = f"run `python -m datalit.grading.authoring {exercise.slug}` and commit the result"
    built = json.loads(notebook_text(build_release_notebook(source_notebook_path(exercise))))
    try:
        committed = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseOutOfDate(f"{target} is missing; {regenerate}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseOutOfDate(
            f"{target} is not valid notebook JSON ({exc}); {regenerate}"
        ) from None
    if built != committed:
        raise ReleaseOutOfDate(
            f"{target} is out of date with {source_notebook_path(exercise)}: "
            f"{_first_difference(built, committed)}; {regenerate}"
        )


def main(argv: list[str] | None = None) -> int:
    """`python -m datalit.grading.authoring SLUG [--check]`: write (or check) a release notebook."""
    parser = argparse.ArgumentParser(
        prog="python -m datalit.grading.authoring", description=__doc__
    )
    parser.add_argument("slugs", nargs="+", metavar="EXERCISE")
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    args = parser.parse_args(argv)
    try:
        for slug in args.slugs:
            exercise = load_exercise(slug)
            if args.check:
                check_release_current(exercise)
                print(f"{slug}: release notebook is current")
            else:
                print(f"{slug}: wrote {write_release_notebook(exercise)}")
    except DatalitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
