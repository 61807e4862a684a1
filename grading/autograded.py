"""The autograded notebook: the executed notebook where nbgrader's formgrader looks for it
(COURSE/autograded/<candidate>/<exercise>/), with the submission's markdown cells put back so a
reviewer reads and grades the written finding next to the code that produced the numbers.

The executed code cells come from the trusted monitor (rebuilt from the submitted sources and the
captured text/PNG outputs); from the submission only markdown text is taken, HTML-escaped, and the
nbgrader metadata of a graded cell comes from the exercise, never from the submission.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datalit.exercise import Exercise
from datalit.grading.grader import MAX_SUBMISSION_BYTES


def write_autograded(
    course: Path, exercise: Exercise, candidate: str, text: str | None, submitted: Path
) -> None:
    """The executed notebook where formgrader looks for it (written atomically), with the
    submission's markdown cells put back in place so a reviewer grades the written finding in
    formgrader. Only sources are taken from the submission; the nbgrader metadata of a manual part
    comes from the exercise (never from the submission)."""
    from datalit.grading.course import Course
    from datalit.grading.record import write_atomic

    if text is None:
        return
    merged = with_markdown_cells(exercise, text, submitted)
    folder = Course(course).autograded_dir(candidate, exercise.slug)
    write_atomic(folder / exercise.notebook, merged)


def with_markdown_cells(exercise: Exercise, executed_text: str, submitted: Path) -> str:
    """Interleave the submission's markdown cells (text only) with the executed code cells."""
    import nbformat

    try:
        executed = json.loads(executed_text)
        with open(submitted, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
        if len(data) > MAX_SUBMISSION_BYTES:
            return executed_text
        cells = json.loads(data.decode("utf-8")).get("cells")
        if not isinstance(cells, list):
            return executed_text
    except (OSError, ValueError, AttributeError, RecursionError):
        return executed_text
    manual = {p.cell: p for p in exercise.parts if p.kind == "manual" and p.cell}
    code = iter(executed.get("cells", []))
    out = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "code":
            nxt = next(code, None)
            if nxt is not None:
                out.append(nxt)
        elif cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            if isinstance(source, list) and all(isinstance(x, str) for x in source):
                source = "".join(source)
            if not isinstance(source, str):
                continue
            # formgrader renders markdown as HTML: escape it, so the candidate's text is shown as
            # text and no markup or script reaches the reviewer's browser.
            text = source[:200_000].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            md = nbformat.v4.new_markdown_cell(text)
            meta = cell.get("metadata", {})
            grade_id = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta, dict) else None
            part = manual.get(grade_id) if isinstance(grade_id, str) else None
            if part is not None:
                md.metadata["nbgrader"] = {
                    "grade": True,
                    "grade_id": part.cell,
                    "locked": False,
                    "points": part.points,
                    "schema_version": 3,
                    "solution": True,
                    "task": False,
                }
            out.append(md)
    out.extend(code)  # code cells beyond the submission's own (never expected)
    executed["cells"] = out
    return json.dumps(executed, ensure_ascii=False, indent=1)
