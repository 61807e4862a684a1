"""The autograded notebook: the executed notebook where nbgrader's formgrader looks for it
(COURSE/autograded/<candidate>/<exercise>/), with the submission's markdown cells put back so a
reviewer reads and grades the written finding next to the code that produced the numbers.

The executed code cells come from the trusted monitor (rebuilt from the submitted sources and the
captured text/PNG outputs); from the submission only markdown text is taken, made inert
(`inert.inert_markdown`: no image, link, HTML or math renders, under formgrader's renderer or
any other), and the nbgrader metadata of a graded cell comes from the exercise, never from the
submission. A cell's `attachments` are never copied.

The file is bounded (`bounded.Bounds`): the markdown cells share `markdown_bytes` and the code
cells' sources `code_bytes` (JSON-encoded, by water-filling: a text over its share is cut and
says so), and the whole notebook must fit `autograded_bytes`, or a short notebook that says it
was cut (holding the manual parts' cells, so formgrader can still grade them) is written instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datalit.exercise import Exercise
from datalit.grading.bounded import (
    Bounds,
    bounds,
    cut,
    file_notice,
    json_size,
    notice,
    water_level,
    within,
)
from datalit.grading.grader.jobs import MAX_SUBMISSION_BYTES
from datalit.grading.inert import Inert, inert_markdown


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


def with_markdown_cells(
    exercise: Exercise, executed_text: str, submitted: Path, *, limits: Bounds | None = None
) -> str:
    """Interleave the submission's markdown cells (made inert) with the executed code cells,
    within `limits` (by default `bounded.bounds()`)."""
    limits = limits or bounds()
    manual = {p.cell: p for p in exercise.parts if not p.auto and p.cell}
    try:
        executed = json.loads(executed_text)
        if not isinstance(executed, dict) or not isinstance(executed.get("cells"), list):
            raise ValueError("not a notebook")
    except (ValueError, RecursionError):
        return within(
            executed_text,
            limits.autograded_bytes,
            lambda: _cut_notebook({}, manual, limits),
            what="the executed notebook",
        )
    cells = _submitted_cells(submitted)
    code = iter(executed["cells"])
    out: list[dict] = []
    markdown: list[tuple[int, str]] = []  # (index in `out`, the candidate's text)
    left_out = 0
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
            if len(markdown) >= limits.markdown_cells:
                left_out += 1
                continue
            meta = cell.get("metadata", {})
            grade_id = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta, dict) else None
            part = manual.get(grade_id) if isinstance(grade_id, str) else None
            markdown.append((len(out), source))
            out.append(_markdown_cell("", part))
    out.extend(code)  # code cells beyond the submission's own (never expected)
    if left_out:
        text = f"[datalit: {left_out} more markdown cells were left out]"
        out.append(_markdown_cell(inert_markdown(text), None))
    _fill_markdown(out, markdown, limits)
    _fill_code(out, limits.code_bytes)
    executed["cells"] = out
    return within(
        json.dumps(executed, ensure_ascii=False, indent=1),
        limits.autograded_bytes,
        lambda: _cut_notebook(executed, manual, limits),
        what="the autograded notebook",
    )


def _submitted_cells(submitted: Path) -> list:
    """The submission's cells, or none when it cannot be read as a notebook."""
    try:
        with open(submitted, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
        if len(data) > MAX_SUBMISSION_BYTES:
            return []
        cells = json.loads(data.decode("utf-8")).get("cells")
    except (OSError, ValueError, AttributeError, RecursionError):
        return []
    return cells if isinstance(cells, list) else []


def _markdown_cell(source: str, part) -> dict:
    import nbformat

    md = nbformat.v4.new_markdown_cell(source)
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
    return md


def _fill_markdown(out: list[dict], markdown: list[tuple[int, str]], limits: Bounds) -> None:
    """The markdown cells' inert text. The cells share `markdown_chars` characters of text read
    (parsing is what costs time) and `markdown_bytes` of inert text written (JSON-encoded), both
    by water-filling: a short cell (the written finding) is kept whole beside huge ones."""
    lengths = [len(source) for _, source in markdown]
    read = water_level(lengths, limits.markdown_chars)
    sources = [
        source
        if len(source) <= read
        else source[:read] + "\n\n" + notice(len(source[:read].encode()))
        for _, source in markdown
    ]
    parsed = [Inert(source) for source in sources]
    texts = [p.write() for p in parsed]
    costs = [json_size(t) for t in texts]
    level = water_level(costs, limits.markdown_bytes)
    for (at, _), p, text, cost in zip(markdown, parsed, texts, costs, strict=True):
        out[at]["source"] = text if cost <= level else p.write(max_bytes=level)


def _fill_code(out: list[dict], budget: int) -> None:
    """The code cells' sources sharing `budget` bytes (JSON-encoded) by water-filling; a source
    over its share is cut and ends with a comment saying so."""
    code = [c for c in out if isinstance(c, dict) and c.get("cell_type") == "code"]
    sources = []
    for cell in code:
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(x, str) for x in source):
            source = "".join(source)
        sources.append(source if isinstance(source, str) else "")
    costs = [json_size(s) for s in sources]
    level = water_level(costs, budget)
    for cell, source, cost in zip(code, sources, costs, strict=True):
        if cost > level:
            cell["source"] = cut(source, level, json_size, suffix="\n# ")


def _cut_notebook(executed: dict, manual: dict, limits: Bounds) -> str:
    """The notebook written when the merged one is over its bound: the executed notebook's
    metadata, a cell saying so, and the manual parts' cells (so formgrader can still grade)."""
    message = file_notice("this notebook", limits.autograded_bytes) + (
        " The candidate's report and the submitted notebook hold their work."
    )
    cells = [_markdown_cell(inert_markdown(message), None)]
    cells += [_markdown_cell(inert_markdown(message), part) for part in manual.values()]
    metadata = executed.get("metadata") if isinstance(executed.get("metadata"), dict) else {}
    nb = {
        "cells": cells,
        "metadata": metadata if json_size(json.dumps(metadata)) < 64 * 1024 else {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, ensure_ascii=False, indent=1)
