"""What reviewers open, after the real `datalit grade` of the hostile batch: formgrader's page of
every autograded notebook and datalit's report pages show no image or link of a candidate's,
and every file the grader wrote from candidate content is within its bound and valid.

The checks of every candidate read the default batch (shared with test_hostile.py), graded with
the default bounds. The inflation checks read a small batch of their own (`few`), graded with
lowered bounds (a fault plan at `seams.BOUNDS`), so the small h28-markdown-inflation fixture reaches them:
unbounded, its `&` and `<` cells would make its autograded notebook larger than the bound (each
`&` is five bytes once escaped) and its printed `&` its reviewer page. The default bounds are
also covered by tests/grading/test_autograded.py and test_write_bounds.py.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import nbformat
import pytest

from datalit.grading.bounded import Bounds, json_size
from tests.grading.rendered import formgrader_problems
from tests.grading.test_write_bounds import page_problems
from tests.hostile.conftest import NOTEBOOK, SLUG, SUBMISSIONS, Batch, build_batch
from tests.seams.fault_plan import plan_env

BOUNDS = {
    "markdown_chars": 16 * 1024,
    "markdown_bytes": 32 * 1024,
    "autograded_bytes": 128 * 1024,
    "report_text_bytes": 32 * 1024,
    "report_bytes": 64 * 1024,
}
LIMITS = Bounds(**BOUNDS)
IMAGES = "h28-markdown-images"
INFLATION = "h28-markdown-inflation"
EVIL = "http://evil.example/pixel.png"


DEFAULTS = Bounds()


@pytest.fixture(scope="module")
def few(tmp_path_factory) -> Batch:
    """The two h28 fixtures and the baselines, graded with the lowered bounds in the
    environment of every `datalit` command."""
    return build_batch(
        tmp_path_factory,
        slow=False,
        only=(IMAGES, INFLATION),
        extra_env=plan_env(bounds=BOUNDS),
    )


def autograded(batch, candidate: str) -> Path:
    return batch.course / "autograded" / candidate / SLUG / NOTEBOOK


def written_from(batch, candidate: str) -> list[Path]:
    """Every file the grader wrote for one candidate: their feedback (or held feedback), the
    reviewer's report files and the autograded notebook."""
    reports = batch.course / "reports" / SLUG
    found = [p for p in reports.glob(f"{candidate}.*") if p.is_file()]
    for root in (batch.course / "feedback" / candidate, reports / "held" / candidate):
        found += [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    if autograded(batch, candidate).exists():
        found.append(autograded(batch, candidate))
    return found


def assert_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        nbformat.validate(nbformat.reads(text, as_version=4))
    elif path.suffix == ".json":
        json.loads(text)
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len({len(r) for r in rows}) == 1, path
    else:
        assert text.lstrip().startswith("<!DOCTYPE html>"), path
        assert text.rstrip().endswith("</html>"), path


def test_the_batch_finishes(batch):
    assert batch.grade.returncode == 0, batch.grade.stdout[-3000:] + batch.grade.stderr[-3000:]
    assert "Traceback" not in batch.grade.stderr, batch.grade.stderr[-5000:]


def test_the_small_batch_finishes(few):
    assert few.grade.returncode == 0, few.grade.stdout[-3000:] + few.grade.stderr[-3000:]
    assert sorted(few.candidates) == sorted([IMAGES, INFLATION, "naive", "reference", "untouched"])


def test_formgrader_shows_no_image_or_link_of_any_candidate(batch):
    """Every autograded notebook as formgrader renders it (nbconvert with nbgrader's formgrade
    template): no image but the sandbox's own PNG outputs, no link out, nothing MathJax would
    typeset, in any cell."""
    shown = 0
    for candidate in batch.candidates:
        path = autograded(batch, candidate)
        if not path.exists():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert all("attachments" not in c for c in nb["cells"]), candidate
        assert formgrader_problems(nb) == [], candidate
        shown += 1
    assert shown > 20


def test_markdown_images_and_links_are_shown_as_text(batch):
    nb = json.loads(autograded(batch, IMAGES).read_text(encoding="utf-8"))
    markdown = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert len(markdown) == 2
    text = "".join(c["source"] for c in markdown)
    assert f"`{EVIL}`" in text  # the address, as inline code
    assert "(image: status" in text
    assert "**The customers entered twice changed revenue most.**" in text
    finding = markdown[1]["metadata"]["nbgrader"]
    assert finding["grade_id"] == "finding"
    assert finding["points"] == 4
    # The scan can fail: the submitted cells, rendered by formgrader as they were, show them.
    submitted = json.loads((SUBMISSIONS / f"{IMAGES}.notebook.json").read_text())
    assert formgrader_problems(
        {**submitted, "cells": [c for c in submitted["cells"] if c["cell_type"] == "markdown"]}
    )


def test_report_pages_show_no_image_or_link_of_any_candidate(batch):
    reports = batch.course / "reports" / SLUG
    pages = [*reports.glob("*.html"), *(batch.course / "feedback").rglob("*.html")]
    assert len(pages) > 40
    for page in pages:
        assert page_problems(page) == [], page


def test_every_file_written_from_a_candidate_is_within_its_bound_and_valid(batch):
    for candidate in batch.candidates:
        for path in written_from(batch, candidate):
            bound = DEFAULTS.autograded_bytes if path.suffix == ".ipynb" else DEFAULTS.report_bytes
            assert path.stat().st_size <= bound, (path, path.stat().st_size)
            assert_valid(path)
    for name in ("cohort.html", "cohort.json", "cohort.csv"):
        path = batch.course / "reports" / SLUG / name
        assert path.stat().st_size <= DEFAULTS.cohort_bytes
        assert_valid(path)
    for candidate, ledger in batch.ledgers.items():
        assert json_size(ledger["reason"]) <= DEFAULTS.ledger_text_bytes, candidate


def test_every_file_written_under_lowered_bounds_is_within_them_and_valid(few):
    for candidate in few.candidates:
        for path in written_from(few, candidate):
            bound = LIMITS.autograded_bytes if path.suffix == ".ipynb" else LIMITS.report_bytes
            assert path.stat().st_size <= bound, (path, path.stat().st_size)
            assert_valid(path)


def test_escaped_markdown_cannot_inflate_the_autograded_notebook(few):
    """Unbounded, h28-markdown-inflation's cells of `&` and `<` are 5 and 4 times larger once
    escaped: more than the notebook's bound. Written, its markdown is within markdown_bytes, each
    cut says so, and the short cells (the intro, the finding) are whole."""
    submitted = json.loads((SUBMISSIONS / f"{INFLATION}.notebook.json").read_text())
    sources = ["".join(c["source"]) for c in submitted["cells"] if c["cell_type"] == "markdown"]
    escaped = sum(5 * s.count("&") + 4 * s.count("<") for s in sources)
    assert escaped > LIMITS.autograded_bytes  # the fixture does reach the bound

    path = autograded(few, INFLATION)
    assert path.stat().st_size <= LIMITS.autograded_bytes
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = [c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert len(markdown) == len(sources)
    assert sum(json_size(s) for s in markdown) <= LIMITS.markdown_bytes
    assert markdown[0] == "# Notes\n\nA short note before the padding."
    assert markdown[-1] == "My finding: **the customers entered twice** changed revenue most."
    assert all("datalit: this text was cut at" in s for s in markdown[1:-1])


def test_the_printed_output_cannot_inflate_the_reviewer_page(few):
    reviewer = few.course / "reports" / SLUG / f"{INFLATION}.html"
    assert reviewer.stat().st_size <= LIMITS.report_bytes  # unbounded: 20 000 `&`, 100 KB
    assert "[datalit: this text was cut at" in reviewer.read_text(encoding="utf-8")
    view = few.reviewer(INFLATION)
    assert "cut" not in view  # fitted, not replaced: the report is whole but for that value
    assert view["execution"]["stream_tail"].count("&") < 20_000
