"""The report stage: what a candidate may see, what a reviewer sees, the cohort.

Results are built directly with realistic contents (the real orders-cleanup suite, its hidden
checks and parameters, answer-key details as the score stage writes them), so these tests do not
depend on the other stages.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.grading.report import cohort_report, csv_cell, report
from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    SCORED,
    ExpectationResult,
    GradeResult,
    PartScore,
    Score,
    Validation,
)
from datalit.grading.sandbox import Execution

EXERCISE = load_exercise("orders-cleanup")
SUITE = json.loads(EXERCISE.suite_path.read_text())["expectations"]
KIT = [p.anomaly for p in EXERCISE.generate.plants]

# The answer key of this candidate's variant (what must never reach the candidate).
TRUE_REVENUE = {"DE": 48213.57, "FR": 30977.21, "GB": 27105.94}
TRUE_ORPHANS = [100417, 100981]
TRUE_DUPLICATE_ORDERS = [100208, 100733]
TRUE_DUPLICATE_CUSTOMERS = ["C07731", "C08452"]
SUITE_PARAMETERS = {"clean_order_rows": 1873, "customer_ids": ["C01127", "C01318", "C07731"]}
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("evil.example","click")'
BIDI = "abc\u202edef"
SHA = "ab" * 32


def expectation(index: int, success: bool, **extra) -> ExpectationResult:
    """The suite's expectation `index` as validate would return it."""
    e = SUITE[index]
    meta = e["meta"]
    return ExpectationResult(
        id=e["id"],
        part=meta["part"],
        type=e["type"],
        kwargs=e["kwargs"],
        points=float(meta["points"]),
        public=meta["visibility"] == "public",
        feedback=meta["feedback"],
        success=success,
        **extra,
    )


def hidden(type_: str) -> int:
    return next(
        i for i, e in enumerate(SUITE) if e["type"] == type_ and e["meta"]["visibility"] == "hidden"
    )


def public(type_: str, column: str | None = None) -> int:
    return next(
        i
        for i, e in enumerate(SUITE)
        if e["type"] == type_
        and e["meta"]["visibility"] == "public"
        and (column is None or e["kwargs"].get("column") == column)
    )


UNIQUE = public("expect_column_values_to_be_unique", "order_id")
STATUS = public("expect_column_values_to_be_in_set", "status")
CUSTOMERS = hidden("expect_column_values_to_be_in_set")
ROWS = hidden("expect_table_row_count_to_equal")
PUBLIC = [i for i, e in enumerate(SUITE) if e["meta"]["visibility"] == "public"]
HIDDEN = [i for i, e in enumerate(SUITE) if e["meta"]["visibility"] != "public"]


def validation() -> Validation:
    """Every check of the suite passes except two: statuses not normalized (candidate values with
    markup and formulas) and orphans kept (a hidden check). The row count (hidden) is right."""
    failing = {
        STATUS: {
            "unexpected_count": 74,
            "unexpected_sample": ("Delivered", SCRIPT, FORMULA, BIDI),
        },
        CUSTOMERS: {"unexpected_count": 2, "unexpected_sample": ("C99901", "C99902")},
    }
    results = []
    for i in range(len(SUITE)):
        if i in failing:
            results.append(expectation(i, False, **failing[i]))
        elif i == ROWS:
            results.append(expectation(i, True, observed=SUITE_PARAMETERS["clean_order_rows"]))
        else:
            results.append(expectation(i, True, unexpected_count=0))
    return Validation(results=tuple(results))


def part_scores(val: Validation, fraction: float = 1.0) -> Score:
    passed = sum(r.points for r in val.results if r.success)
    suite_feedback = (
        f"{len(PUBLIC) - 1} of {len(PUBLIC)} public checks passed.\n- "
        + SUITE[STATUS]["meta"]["feedback"]
    )
    out = []
    for p in EXERCISE.parts:
        if p.kind == "suite":
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    passed,
                    p.points,
                    SCORED,
                    suite_feedback,
                    details={"failed": [{"id": SUITE[CUSTOMERS]["id"], "public": False}]},
                )
            )
        elif p.id == "orphan_orders":
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    0.0,
                    p.points,
                    SCORED,
                    "You flagged 0 orders; some orders that should be flagged are missing.",
                    details={"precision": 1.0, "recall": 0.0, "missed_sample": TRUE_ORPHANS},
                )
            )
        elif p.id == "duplicate_orders":
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    p.points * fraction,
                    p.points,
                    SCORED,
                    "You flagged 2 orders, all of them correctly.",
                    details={"precision": 1.0, "recall": 1.0, "true_sample": TRUE_DUPLICATE_ORDERS},
                )
            )
        elif p.id == "duplicate_customers":
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    1.2,
                    p.points,
                    SCORED,
                    "You flagged 3 customers; one of them is not a duplicate.",
                    details={
                        "precision": 0.667,
                        "recall": 1.0,
                        "false_positive_sample": ["C01127"],
                        "true_sample": TRUE_DUPLICATE_CUSTOMERS,
                    },
                )
            )
        elif p.kind == "numeric":
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    2.0,
                    p.points,
                    SCORED,
                    "2 of 3 countries are within 0.5% of the true revenue; DE is not.",
                    details={
                        "compared": {k: {"given": 1.0, "true": v} for k, v in TRUE_REVENUE.items()}
                    },
                )
            )
        else:
            out.append(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    0.0,
                    p.points,
                    NEEDS_MANUAL,
                    "A reviewer grades this part.",
                    details={"cell": p.cell},
                )
            )
    return Score(tuple(out))


def execution(**changes) -> Execution:
    base = Execution(
        status="completed",
        reason="all 12 code cells ran",
        cells_total=12,
        cells_completed=12,
        failed_cell=None,
        duration_s=3.2,
        executed_notebook=None,
        stream_tail=f"cleaning...\n{SCRIPT}\nstatus values: {FORMULA}\n",
        sandboxed=True,
    )
    return dataclasses.replace(base, **changes)


def graded(candidate: str = "ada", **changes) -> GradeResult:
    val = validation()
    result = GradeResult(
        exercise=EXERCISE.slug,
        candidate=candidate,
        submission_sha256=SHA,
        grader_version="datalit 0.1.0",
        status="graded",
        reason="all 12 code cells ran",
        execution=execution(),
        score=part_scores(val),
        validation=val,
        duration_s=4.1,
    )
    return dataclasses.replace(result, **changes)


def forbidden() -> list[str]:
    """Text that only the answer key, the hidden checks or the suite parameters hold."""
    out = [str(v) for v in TRUE_REVENUE.values()]
    out += [str(v) for v in TRUE_ORPHANS + TRUE_DUPLICATE_ORDERS] + TRUE_DUPLICATE_CUSTOMERS
    out += [str(SUITE_PARAMETERS["clean_order_rows"])] + SUITE_PARAMETERS["customer_ids"]
    out += ["customer_ids", "clean_order_rows", "$PARAMETER"]  # the hidden kwargs
    out += [e["meta"]["feedback"] for e in SUITE if e["meta"]["visibility"] == "hidden"]
    out += ["expect_table_row_count_to_equal", "C99901"]  # hidden check type, its failing values
    out += ["precision", "recall", "missed_sample"]  # part details
    return out


def texts(*paths: Path) -> list[str]:
    """The files' text with HTML entities resolved (so escaping cannot hide a leak)."""
    return [html.unescape(p.read_text(encoding="utf-8")) for p in paths]


# --- the candidate view -----------------------------------------------------------------------


def test_the_candidate_view_holds_no_key_value_hidden_check_or_parameter(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    assert paths.candidate_html == tmp_path / "feedback/ada/orders-cleanup/report.html"
    page, data = texts(paths.candidate_html, paths.candidate_json)
    reviewer_page, reviewer_data = texts(paths.reviewer_html, paths.reviewer_json)
    for secret in forbidden():
        assert secret not in page, secret
        assert secret not in data, secret
    # The same search finds them in the reviewer view: the check above can fail.
    for secret in [str(TRUE_ORPHANS[0]), "clean_order_rows", SUITE[CUSTOMERS]["meta"]["feedback"]]:
        assert secret in reviewer_page
        assert secret in reviewer_data
    # Candidate text never appears there either (their failing values are for the reviewer).
    assert SCRIPT not in page
    assert FORMULA not in data


def test_the_candidate_view_shows_every_public_check_and_hidden_ones_as_a_count(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    page, raw = texts(paths.candidate_html, paths.candidate_json)
    data = json.loads(raw)
    for e in SUITE:
        if e["meta"]["visibility"] == "public":
            assert e["meta"]["feedback"] in page
            assert e["meta"]["feedback"] in raw
    suite_part = next(p for p in data["parts"] if p["kind"] == "suite")
    assert suite_part["hidden_checks"] == {"total": len(HIDDEN), "passed": len(HIDDEN) - 1}
    assert f"{len(HIDDEN)} hidden checks: {len(HIDDEN) - 1} passed" in page
    assert [c["passed"] for c in suite_part["checks"]] == [i != STATUS for i in PUBLIC]
    assert suite_part["checks"][PUBLIC.index(STATUS)]["failing_values"] == 74
    for part in data["parts"]:
        assert set(part) >= {"title", "points", "max_points", "status", "feedback"}
        assert "details" not in part


def test_the_candidate_view_has_totals_parts_and_how_the_notebook_ran(tmp_path):
    result = graded(
        execution=execution(
            status="cell_error",
            reason="cell 7 raised KeyError: 'country'",
            cells_completed=6,
            failed_cell=7,
        ),
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=result, kit_anomalies=KIT)
    page, raw = texts(paths.candidate_html, paths.candidate_json)
    data = json.loads(raw)
    expected_auto = sum(p.points for p in result.score.parts if p.status != NEEDS_MANUAL)
    assert data["total"]["auto_points"] == pytest.approx(expected_auto)
    assert data["total"]["max_auto_points"] == EXERCISE.max_auto_points
    assert data["total"]["manual_points_pending"] == 4
    assert f"{expected_auto:g} / {EXERCISE.max_auto_points:g} automatic points" in page
    assert data["execution"]["status"] == "cell_error"
    assert "cell 7 raised KeyError: 'country'" in page
    assert "6 of 12 ran without an error (stopped at code cell 7)" in page
    assert "stream_tail" not in data["execution"]  # the output tail is for reviewers
    for part in EXERCISE.parts:
        assert part.title in page
    manual = next(p for p in data["parts"] if p["kind"] == "manual")
    assert manual["points"] is None
    assert manual["status"] == NEEDS_MANUAL


def test_anomaly_classes_are_reported_as_caught_partly_or_missed(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    data = json.loads(paths.candidate_json.read_text())
    status = {a["anomaly"]: a["status"] for a in data["anomalies"]}
    assert list(status) == list(dict.fromkeys(KIT))
    # exact_duplicates: uniqueness and row count passed, the duplicate ids part full, but the
    # revenue part (which lists every anomaly) got half.
    assert status["exact_duplicates"] == "partly caught"
    # orphans: the hidden customer check failed, the orphan ids part got nothing, revenue half.
    assert status["orphans"] == "partly caught"
    # inconsistent_case: the status check failed, revenue half.
    assert status["inconsistent_case"] == "partly caught"
    reviewer = json.loads(paths.reviewer_json.read_text())
    scores = {a["anomaly"]: a["score"] for a in reviewer["anomalies"]}
    # The rows part (also listing them) is left for a reviewer in these made-up results: 0.
    assert scores["orphans"] == pytest.approx((0 + 0 + 0 + 0.5) / 4, abs=1e-4)
    assert scores["exact_duplicates"] == pytest.approx((1 + 1 + 1 + 0 + 0.5) / 5, abs=1e-4)

    perfect = dataclasses.replace(
        graded(),
        validation=Validation(
            tuple(dataclasses.replace(r, success=True) for r in validation().results)
        ),
        score=Score(
            tuple(
                dataclasses.replace(p, points=p.max_points) if p.kind != "manual" else p
                for p in part_scores(validation()).parts
            )
        ),
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=perfect, kit_anomalies=KIT)
    data = json.loads(paths.candidate_json.read_text())
    assert {a["status"] for a in data["anomalies"]} == {"caught"}

    blank = dataclasses.replace(
        graded(),
        validation=Validation((), skipped_reason="outputs/orders_clean.csv was not written"),
        score=Score(
            tuple(
                dataclasses.replace(p, points=0.0, status=NOT_ATTEMPTED)
                if p.kind != "manual"
                else p
                for p in part_scores(validation()).parts
            )
        ),
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=blank, kit_anomalies=KIT)
    data = json.loads(paths.candidate_json.read_text())
    assert {a["status"] for a in data["anomalies"]} == {"missed"}


def test_the_unsafe_sandbox_warning_appears_only_when_the_sandbox_was_off(tmp_path):
    safe = report(course=tmp_path / "a", exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    unsafe = report(
        course=tmp_path / "b",
        exercise=EXERCISE,
        result=graded(unsafe_no_sandbox=True, execution=execution(sandboxed=False)),
        kit_anomalies=KIT,
    )
    for path in (unsafe.candidate_html, unsafe.reviewer_html):
        assert "WITHOUT the sandbox" in path.read_text()
    assert json.loads(unsafe.candidate_json.read_text())["warnings"]
    for path in (safe.candidate_html, safe.reviewer_html):
        assert "WITHOUT the sandbox" not in path.read_text()
    assert json.loads(safe.candidate_json.read_text())["warnings"] == []


def test_a_submission_that_never_ran_still_gets_both_reports(tmp_path):
    reason = "no notebook named orders-cleanup.ipynb was submitted"
    result = graded(
        status="missing_notebook",
        reason=reason,
        execution=None,
        validation=None,
        score=Score(
            tuple(
                PartScore(
                    p.id,
                    p.kind,
                    p.title,
                    0.0,
                    p.points,
                    NEEDS_MANUAL if p.kind == "manual" else NOT_ATTEMPTED,
                    reason,
                )
                for p in EXERCISE.parts
            )
        ),
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=result, kit_anomalies=KIT)
    page = html.unescape(paths.candidate_html.read_text())
    assert f"The notebook did not run: {reason}" in page
    assert json.loads(paths.candidate_json.read_text())["total"]["auto_points"] == 0
    assert "<svg" in paths.reviewer_html.read_text()


# --- the reviewer view ------------------------------------------------------------------------


def test_the_reviewer_view_shows_everything_with_candidate_text_escaped(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    page = paths.reviewer_html.read_text()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "\u202e" not in page
    assert "abc&lt;U+202E&gt;def" in page
    data = json.loads(paths.reviewer_json.read_text())
    checks = [c for p in data["parts"] for c in p["checks"]]
    assert len(checks) == len(SUITE)
    hidden_rows = next(c for c in checks if c["id"] == SUITE[ROWS]["id"])
    assert hidden_rows["visibility"] == "hidden"
    assert hidden_rows["observed"] == 1873
    status = next(c for c in checks if c["id"] == SUITE[STATUS]["id"])
    assert status["unexpected_sample"] == ["Delivered", SCRIPT, FORMULA, "abc<U+202E>def"]
    numeric = next(p for p in data["parts"] if p["kind"] == "numeric")
    assert numeric["details"]["compared"]["DE"]["true"] == TRUE_REVENUE["DE"]
    assert "cleaning..." in data["execution"]["stream_tail"]


def test_csv_exports_neutralize_formulas(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    with paths.reviewer_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(SUITE)
    sample = next(r for r in rows if r["check_id"] == SUITE[STATUS]["id"])["unexpected_sample"]
    assert sample.startswith("Delivered | ")
    # The cell holding the formula starts with text, so it is inert; a cell that IS a formula
    # gets the apostrophe, as the cohort table below shows.
    assert "=HYPERLINK" in sample

    for name in ("=2+3", "+cmd", "-1", "@SUM(A1)"):
        report(course=tmp_path, exercise=EXERCISE, result=graded(candidate=name), kit_anomalies=KIT)
    cohort_report(course=tmp_path, exercise=EXERCISE, results=[])
    with (tmp_path / "reports/orders-cleanup/cohort.csv").open(newline="") as fh:
        names = {r["candidate"] for r in csv.DictReader(fh)}
    assert names == {"ada", "'=2+3", "'+cmd", "'-1", "'@SUM(A1)"}


def test_a_result_of_another_exercise_is_refused(tmp_path):
    other = graded(exercise="another-exercise")
    with pytest.raises(InvalidArgument, match="not 'orders-cleanup'"):
        report(course=tmp_path, exercise=EXERCISE, result=other, kit_anomalies=KIT)
    with pytest.raises(InvalidArgument, match="not 'orders-cleanup'"):
        cohort_report(course=tmp_path, exercise=EXERCISE, results=[other])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_prefixes_every_formula_start(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_csv_cell_leaves_plain_text_and_numbers_alone():
    assert csv_cell("Delivered") == "Delivered"
    assert csv_cell(-3.5) == -3.5
    assert csv_cell(None) is None


# --- pages ---------------------------------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(""", re.I)


def assert_self_contained(page: str) -> None:
    plots = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert plots
    for svg in plots:  # well-formed, so a browser draws it rather than an error box
        ElementTree.fromstring(svg)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page


def test_every_page_has_a_plot_and_loads_nothing_from_elsewhere(tmp_path):
    results = [graded("ada"), graded("bo"), graded("cy", unsafe_no_sandbox=True)]
    pages = []
    for r in results:
        paths = report(course=tmp_path, exercise=EXERCISE, result=r, kit_anomalies=KIT)
        pages += [paths.candidate_html, paths.reviewer_html]
    pages.append(cohort_report(course=tmp_path, exercise=EXERCISE, results=results))
    for path in pages:
        assert_self_contained(path.read_text())


def test_reporting_an_unchanged_result_rewrites_nothing(tmp_path):
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    files = [getattr(paths, f.name) for f in dataclasses.fields(paths)]
    before = {p: p.stat().st_mtime_ns for p in files}
    again = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    assert again == paths
    assert {p: p.stat().st_mtime_ns for p in files} == before
    assert not list(tmp_path.rglob("*.tmp"))


# --- the cohort ------------------------------------------------------------------------------------


def test_the_cohort_report_summarizes_every_candidate(tmp_path):
    good = graded("ada")
    weak = graded("bo", score=part_scores(validation(), fraction=0.5))
    blank = graded(
        "<i>eve",
        validation=Validation((), skipped_reason="no table"),
        score=Score(
            tuple(
                dataclasses.replace(p, points=0.0, status=NOT_ATTEMPTED)
                if p.kind != "manual"
                else p
                for p in part_scores(validation()).parts
            )
        ),
    )
    for r in (good, weak, blank):
        report(course=tmp_path, exercise=EXERCISE, result=r, kit_anomalies=KIT)
    path = cohort_report(course=tmp_path, exercise=EXERCISE, results=[good, weak, blank])
    assert path == tmp_path / "reports/orders-cleanup/cohort.html"
    data = json.loads(path.with_suffix(".json").read_text())
    assert data["count"] == 3
    totals = sorted(r["auto_points"] for r in data["candidates"])
    assert totals[0] == 0
    assert data["mean_auto_points"] == pytest.approx(sum(totals) / 3, abs=0.01)
    assert sum(b["count"] for b in data["distribution"]) == 3
    dup = next(p for p in data["parts"] if p["id"] == "duplicate_orders")
    assert dup["mean"] == pytest.approx((2 + 1 + 0) / 3, abs=0.01)
    manual = next(p for p in data["parts"] if p["kind"] == "manual")
    assert manual["mean"] is None
    assert manual["pending"] == 3
    orphans = next(a for a in data["anomalies"] if a["anomaly"] == "orphans")
    assert orphans["checked"] == 3
    assert orphans["caught"] == 0
    page = path.read_text()
    assert "&lt;i&gt;eve" in page
    assert "<i>eve" not in page
    assert_self_contained(page)

    # A later run that regraded only one candidate still reports the whole cohort.
    better = graded("bo")
    again = cohort_report(course=tmp_path, exercise=EXERCISE, results=[better])
    data = json.loads(again.with_suffix(".json").read_text())
    assert {r["candidate"] for r in data["candidates"]} == {"ada", "bo", "<i>eve"}
    bo = next(r for r in data["candidates"] if r["candidate"] == "bo")
    assert bo["auto_points"] == pytest.approx(
        sum(p.points for p in better.score.parts if p.status != NEEDS_MANUAL)
    )
    only = cohort_report(
        course=tmp_path, exercise=EXERCISE, results=[better], include_earlier=False
    )
    assert json.loads(only.with_suffix(".json").read_text())["count"] == 1


def test_released_candidates_who_did_not_submit_are_listed_but_counted_nowhere(tmp_path):
    for candidate in ("ada", "bo", "cy"):
        (tmp_path / "release" / candidate / EXERCISE.slug).mkdir(parents=True)
    keys = tmp_path / "keys" / "bo" / EXERCISE.slug
    keys.mkdir(parents=True)
    (keys / "answers.json").write_text(json.dumps({"due": "2026-01-01T10:00:00Z"}))
    submitted = tmp_path / "submitted" / "bo" / EXERCISE.slug
    submitted.mkdir(parents=True)
    (submitted / "timestamp.txt").write_text("2026-01-01 12:30:00.000000 UTC\n")
    (tmp_path / "submitted" / "cy" / EXERCISE.slug).mkdir(parents=True)  # not graded yet
    ada, bo = graded("ada"), graded("bo", score=part_scores(validation(), fraction=0.5))
    for r in (ada, bo):
        report(course=tmp_path, exercise=EXERCISE, result=r, kit_anomalies=KIT)
    path = cohort_report(course=tmp_path, exercise=EXERCISE, results=[])
    data = json.loads(path.with_suffix(".json").read_text())
    by_id = {r["candidate"]: r for r in data["candidates"]}
    assert sorted(by_id) == ["ada", "bo"]  # cy submitted: not graded yet is not "not submitted"
    assert (data["count"], data["not_submitted"]) == (2, 0)

    shutil.rmtree(tmp_path / "submitted" / "cy")
    data = json.loads(
        cohort_report(course=tmp_path, exercise=EXERCISE, results=[])
        .with_suffix(".json")
        .read_text()
    )
    by_id = {r["candidate"]: r for r in data["candidates"]}
    assert by_id["cy"]["status"] == "not submitted"
    assert by_id["cy"]["auto_points"] is None
    assert (data["count"], data["not_submitted"]) == (2, 1)
    totals = [ada.score.auto_points, bo.score.auto_points]
    assert data["mean_auto_points"] == pytest.approx(sum(totals) / 2, abs=0.01)
    assert sum(b["count"] for b in data["distribution"]) == 2
    assert next(p for p in data["parts"] if p["kind"] == "manual")["pending"] == 2
    assert all(a["checked"] == 2 for a in data["anomalies"] if a["checked"])
    assert (by_id["bo"]["submitted_at"], by_id["bo"]["late"]) == ("2026-01-01T12:30:00Z", True)
    assert by_id["bo"]["late_by"] == "2 h 30 min"
    assert (by_id["ada"]["submitted_at"], by_id["ada"]["late"]) == ("", False)
    with (tmp_path / "reports/orders-cleanup/cohort.csv").open(newline="") as fh:
        rows = {r["candidate"]: r for r in csv.DictReader(fh)}
    assert rows["cy"]["status"] == "not submitted"
    assert rows["cy"]["auto_points"] == rows["cy"]["total_points"] == ""
    assert (rows["bo"]["submitted_at"], rows["bo"]["late"]) == ("2026-01-01T12:30:00Z", "yes")
    assert rows["ada"]["late"] == ""
    page = path.read_text()
    assert "1 released, not submitted" in page
    assert "late by 2 h 30 min" in page
    assert 'href="cy.html"' not in page  # no reviewer page to link to
    assert_self_contained(page)


@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
    reason="no Chromium here to render the page (`make test` installs it when run as root)",
)
def test_a_report_renders_in_a_headless_browser(tmp_path):
    browser = next(
        shutil.which(b)
        for b in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(b)
    )
    paths = report(course=tmp_path, exercise=EXERCISE, result=graded(), kit_anomalies=KIT)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            paths.reviewer_html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 10_000
    # What the browser built from the candidate's page: every part, the total, the inline plot.
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            paths.candidate_html.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "<svg" in dom
    for part in EXERCISE.parts:
        assert html.escape(part.title, quote=False) in dom, part.title
