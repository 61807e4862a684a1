"""Every file the report and record stages write from candidate content stays within its bound
(measured as written, after escaping), is a valid file of its format, and never shows a
candidate's text as an image or a link."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from datalit.grading.bounded import Bounds
from datalit.grading.record import load_ledger, record
from datalit.grading.report import cohort_report, report
from datalit.grading.results import Validation
from tests.grading.test_report import EXERCISE, KIT, SUITE, execution, expectation, graded
from tests.seams.fault_plan import lower_bounds

EVIL = "http://evil.example/pixel.png"
HOSTILE_TEXT = (
    f'<img src="{EVIL}"> ![x]({EVIL}) [click]({EVIL}) <{EVIL}> javascript:alert(1) '
    f"&lt;img src={EVIL}&gt; url({EVIL})"
)


def inflating_validation(value: str) -> Validation:
    """Every check fails with the most the report keeps of candidate values: 50 observed values
    and 20 failing samples of 2000 characters each (each `"` is six bytes in a page)."""
    results = []
    for i in range(len(SUITE)):
        results.append(
            expectation(
                i,
                False,
                unexpected_count=10**6,
                unexpected_sample=tuple([value] * 20),
                observed=[value] * 50,
                error=value,
            )
        )
    return Validation(results=tuple(results))


def inflating_result(value: str):
    """A result holding `value` wherever the reviewer view shows candidate-derived values, as
    many times as the report keeps: every check's samples and observed values, every part's
    details, the output tail."""
    result = graded(
        validation=inflating_validation(value),
        execution=execution(stream_tail="&" * 200_000),
    )
    parts = tuple(
        dataclasses.replace(p, details={"values": [value] * 50, "more": [value] * 50})
        for p in result.score.parts
    )
    return dataclasses.replace(result, score=dataclasses.replace(result.score, parts=parts))


def report_files(paths) -> list[Path]:
    return [
        paths.candidate_html,
        paths.candidate_json,
        paths.reviewer_html,
        paths.reviewer_json,
        paths.reviewer_csv,
    ]


class _Page(HTMLParser):
    """The tags and attributes of a page, checked for what loads or links elsewhere."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tags = 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        if tag in ("img", "image", "iframe", "script", "object", "embed", "link", "base", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name in ("src", "srcset", "xlink:href", "action", "background", "poster"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "href" and not re.fullmatch(r"[\w.%-]+\.(csv|html)", value):
                self.found.append(f"<{tag} href={value!r}>")  # only our sibling files
            if name == "style" and "url(" in value:
                self.found.append(f"<{tag} style={value!r}>")


def page_problems(path: Path) -> list[str]:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert page.tags > 10, path
    return page.found


def assert_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        json.loads(text)
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows
        assert len({len(r) for r in rows}) == 1
    else:
        assert text.lstrip().startswith("<!DOCTYPE html>")
        assert text.rstrip().endswith("</html>")


def test_reports_stay_within_their_bound_by_default(tmp_path):
    """Unbounded, the reviewer page of this result is about 14 MB (its JSON 5 MB): every file is
    now within `report_bytes`, the long values are cut and say so, the short ones are whole."""
    result = inflating_result('"' * 3000)
    paths = report(course=tmp_path, exercise=EXERCISE, result=result, kit_anomalies=KIT)
    limit = Bounds().report_bytes
    for path in report_files(paths):
        assert path.stat().st_size <= limit, path
        assert_valid(path)
    reviewer = json.loads(paths.reviewer_json.read_text())
    assert "cut" not in reviewer  # the strings were fitted: no fallback needed
    check = reviewer["parts"][0]["checks"][0]
    assert "[datalit: this text was cut at" in check["observed"][0]
    assert check["feedback"] == SUITE[0]["meta"]["feedback"]  # short values kept whole
    page = paths.reviewer_html.read_text()
    assert paths.reviewer_html.stat().st_size > limit // 8  # the values are there, cut
    for e in SUITE:
        assert e["meta"]["feedback"].replace("'", "&#39;").replace('"', "&#34;") in page


def test_a_report_over_its_bound_is_a_short_valid_report_that_says_so(tmp_path, monkeypatch):
    lower_bounds(monkeypatch, report_bytes=24_000)
    result = graded(validation=inflating_validation("&" * 2000))
    paths = report(course=tmp_path, exercise=EXERCISE, result=result, kit_anomalies=KIT)
    for path in report_files(paths):
        assert path.stat().st_size <= 24_000, (path, path.stat().st_size)
        assert_valid(path)
    reviewer = json.loads(paths.reviewer_json.read_text())
    assert reviewer["cut"].startswith("[datalit: the reviewer's report was cut")
    assert reviewer["total"]["max_auto_points"] == EXERCISE.max_auto_points
    assert "the reviewer&#39;s report was cut" in paths.reviewer_html.read_text()
    rows = list(csv.DictReader(io.StringIO(paths.reviewer_csv.read_text())))
    assert rows[0]["part"].startswith("[datalit: the table of checks was cut")
    # A cohort report still reads the cut reviewer JSON back.
    cohort = cohort_report(course=tmp_path, exercise=EXERCISE, results=[])
    assert (
        "ada" in json.loads(cohort.with_suffix(".json").read_text())["candidates"][0]["candidate"]
    )


def test_the_cohort_files_are_bounded(tmp_path, monkeypatch):
    lower_bounds(monkeypatch, cohort_bytes=40_000)
    results = [graded(candidate=f"candidate-{i:03}") for i in range(200)]
    html = cohort_report(course=tmp_path, exercise=EXERCISE, results=results)
    for path in (html, html.with_suffix(".json"), html.with_suffix(".csv")):
        assert path.stat().st_size <= 40_000, path
        assert_valid(path)
    view = json.loads(html.with_suffix(".json").read_text())
    assert view["count"] == 200
    assert view["cut"].startswith("[datalit: the cohort report was cut")


def test_no_report_page_shows_candidate_text_as_an_image_or_a_link(tmp_path):
    result = graded(
        reason=HOSTILE_TEXT,
        validation=inflating_validation(HOSTILE_TEXT),
        execution=execution(stream_tail=HOSTILE_TEXT, reason=HOSTILE_TEXT),
    )
    result = dataclasses.replace(
        result,
        score=dataclasses.replace(
            result.score,
            parts=tuple(
                dataclasses.replace(p, feedback=HOSTILE_TEXT, details={"x": HOSTILE_TEXT})
                for p in result.score.parts
            ),
        ),
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=result, kit_anomalies=KIT)
    html = cohort_report(course=tmp_path, exercise=EXERCISE, results=[result])
    for page in (paths.candidate_html, paths.reviewer_html, html):
        assert page_problems(page) == [], page
    for page in (paths.candidate_html, paths.reviewer_html):
        assert EVIL in page.read_text()  # shown, as text


def test_the_ledger_keeps_a_bounded_reason(tmp_path):
    result = dataclasses.replace(graded(), reason='"' * 1_000_000)
    record(course=tmp_path, exercise=EXERCISE, result=result)
    ledger = load_ledger(tmp_path, EXERCISE, "ada")
    reason = ledger["reason"]
    assert len(json.dumps(reason)) <= Bounds().ledger_text_bytes + 2
    assert re.search(r"\[datalit: this text was cut at 3\.\d+ KB\]$", reason), reason[-60:]
    # Recording it again changes nothing: the cut is the same every time.
    assert not record(course=tmp_path, exercise=EXERCISE, result=result).changed


@pytest.mark.parametrize("limit", [2000, 50_000])
def test_a_report_is_never_written_half(tmp_path, monkeypatch, limit):
    lower_bounds(monkeypatch, report_bytes=limit)
    paths = report(
        course=tmp_path,
        exercise=EXERCISE,
        result=graded(validation=inflating_validation("<" * 2000)),
        kit_anomalies=KIT,
    )
    for path in report_files(paths):
        assert_valid(path)
