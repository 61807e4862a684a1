"""The autograded notebook formgrader shows: the submission's markdown made inert and every part
of the file within its bound, however the candidate's text is escaped."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from datalit.exercise import load_exercise
from datalit.grading.autograded import with_markdown_cells
from datalit.grading.bounded import Bounds, json_size
from tests.grading.rendered import formgrader_problems

EXERCISE = load_exercise("orders-cleanup")
EVIL = "http://evil.example/pixel.png"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def executed(*sources: str, output: str = "done\n") -> str:
    """An executed notebook as the sandbox's monitor writes it: code cells with text and PNG
    outputs."""
    cells = []
    for k, source in enumerate(sources, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=k)
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=output),
            nbformat.v4.new_output("display_data", data={"image/png": PNG}),
        ]
        cells.append(cell)
    return json.dumps(nbformat.v4.new_notebook(cells=cells))


def submitted(tmp_path: Path, cells: list[dict]) -> Path:
    path = tmp_path / "submitted.ipynb"
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def markdown(source: str, **metadata) -> dict:
    return {"cell_type": "markdown", "metadata": metadata, "source": source}


def code(source: str = "x = 1") -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": source,
    }


def finding(text: str) -> dict:
    """The written finding's cell, its nbgrader metadata forged (500 points)."""
    meta = {"grade": True, "grade_id": "finding", "points": 500, "solution": True, "locked": False}
    return markdown(text, nbgrader=meta)


def markdown_sources(nb: dict) -> list[str]:
    return [c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_the_issue_case_100_cells_of_ampersands_no_longer_make_a_100_mb_notebook(tmp_path):
    """A 20 MB submission of 100 markdown cells of `&` wrote a 100 MB autograded notebook (each
    `&` escaped to `&amp;`). With the default bounds the markdown is read up to markdown_chars and
    written within markdown_bytes, every cut says so, and the finding keeps its place."""
    cells = [markdown("&" * 200_000) for _ in range(100)] + [code(), finding("My finding.")]
    path = submitted(tmp_path, cells)
    assert 19 * 1024**2 < path.stat().st_size < 20 * 1024**2
    started = time.monotonic()
    text = with_markdown_cells(EXERCISE, executed("x = 1"), path)
    seconds = time.monotonic() - started
    limits = Bounds()
    assert len(text.encode()) < limits.markdown_bytes + 64 * 1024  # was 100 MB
    nb = json.loads(text)
    nbformat.validate(nbformat.from_dict(nb))
    sources = markdown_sources(nb)
    assert sum(json_size(s) for s in sources) <= limits.markdown_bytes
    assert len(sources) == 101
    assert all("datalit: this text was cut at" in s for s in sources[:100])
    assert sources[100] == "My finding."
    assert seconds < 10


def test_small_cells_are_kept_whole_beside_huge_ones(tmp_path):
    cells = [
        markdown("# Notes\n\nShort intro."),
        markdown("<" * 100_000),
        finding("**Revenue** fell."),
    ]
    limits = Bounds(markdown_bytes=64 * 1024)
    nb = json.loads(
        with_markdown_cells(EXERCISE, executed(), submitted(tmp_path, cells), limits=limits)
    )
    sources = markdown_sources(nb)
    assert sources[0] == "# Notes\n\nShort intro."
    assert sources[2] == "**Revenue** fell."
    assert "datalit: this text was cut at" in sources[1]
    assert sum(json_size(s) for s in sources) <= 64 * 1024
    grade = nb["cells"][2]["metadata"]["nbgrader"]
    assert grade["points"] == 4  # from the exercise, not the submission's 500


def test_code_sources_share_their_own_budget(tmp_path):
    limits = Bounds(code_bytes=10_000)
    text = with_markdown_cells(
        EXERCISE,
        executed("small = 1", 'big = "' + '\\"' * 50_000 + '"'),
        submitted(tmp_path, [code(), code()]),
        limits=limits,
    )
    nb = json.loads(text)
    sources = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert sources[0] == "small = 1"
    assert sources[1].endswith("]")
    assert "\n# [datalit: this text was cut at" in sources[1]
    assert sum(json_size(s) for s in sources) <= 10_000


def test_a_notebook_over_its_bound_is_replaced_by_a_short_valid_one(tmp_path):
    limits = Bounds(autograded_bytes=20_000)
    cells = [code(), markdown("text"), finding("My finding.")]
    text = with_markdown_cells(
        EXERCISE, executed("x = 1", output="o" * 100_000), submitted(tmp_path, cells), limits=limits
    )
    assert len(text.encode()) <= 20_000
    nb = json.loads(text)
    nbformat.validate(nbformat.from_dict(nb))
    assert "this notebook was cut" in "".join(markdown_sources(nb))
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in graded] == ["finding"]
    assert not formgrader_problems(nb)


def test_an_unreadable_executed_notebook_is_bounded_too(tmp_path):
    limits = Bounds(autograded_bytes=1000)
    text = with_markdown_cells(EXERCISE, "x" * 5000, submitted(tmp_path, []), limits=limits)
    assert len(text.encode()) <= 1000
    assert json.loads(text)["nbformat"] == 4


ATTACKS = [
    f"![pixel]({EVIL}) and [click]({EVIL}) and <{EVIL}> and {EVIL}",
    f"![ref][p] [link][p]\n\n[p]: {EVIL}",
    "![attached](attachment:pixel.png)",
    f'<img src="{EVIL}"> <a href="{EVIL}">x</a> &lt;img src={EVIL}&gt; &#60;img src=x&#62;',
    "![x](data:image/png;base64," + PNG + ")",
    "$\\href{http://evil.example}{click}$ $$\\style{background:url(http://evil.example)}{x}$$",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formgrader_shows_no_image_or_link_of_the_candidate(tmp_path, attack):
    cells = [markdown(attack), code(), finding(attack)]
    cells[0]["attachments"] = {"pixel.png": {"image/png": PNG}}
    nb = json.loads(with_markdown_cells(EXERCISE, executed("x = 1"), submitted(tmp_path, cells)))
    assert all("attachments" not in c for c in nb["cells"])
    assert formgrader_problems(nb) == []
    # The same page made from the candidate's markdown as it was does show them.
    raw = json.loads(executed("x = 1"))
    raw["cells"] = [nbformat.v4.new_markdown_cell(attack), *raw["cells"]]
    raw["cells"][0]["attachments"] = {"pixel.png": {"image/png": PNG}}
    assert formgrader_problems(raw), attack
