"""The report stage: what a candidate may see, what a reviewer needs, and the cohort.

Three views, each an HTML page plus a JSON file holding the same facts (the page is rendered from
that very JSON-able dict, so the two cannot drift apart):

- candidate: COURSE/feedback/<candidate>/<exercise>/report.html and report.json. Built from an
  allowlist: totals, per-part points and feedback, the PUBLIC checks (their feedback and whether
  they passed), hidden checks only as a count ("3 hidden checks: 2 passed"), which planted
  anomaly classes were caught, how the notebook ran, the unsafe-sandbox warning. Never a
  check's kwargs (they may name suite parameters), never an observed value or failing-value
  sample (GX's observations can echo a parameter, and samples are better read by a reviewer),
  never `PartScore.details` (precision/recall and the compared true values).
- reviewer: COURSE/reports/<exercise>/<candidate>.html, .json and .csv (the checks with the
  failing values GX found): everything, hidden checks included; checks by title, the values the
  candidate's data required (their suite parameters, from COURSE/keys/<c>/<ex>/answers.json), the
  written finding (from COURSE/autograded/<c>/<ex>/), and a link to the rubric, copied to
  COURSE/reports/<exercise>/reviewer-notes.md and .html.
- cohort: COURSE/reports/<exercise>/cohort.html, .json and .csv: every graded candidate, and
  every released candidate who has not submitted (status "not submitted", counted in no mean,
  median, distribution or catch rate), with when each submission came in and whether it was late.

Everything that came from a candidate is untrusted text: Jinja2 autoescapes every value, text is
cleaned of control and bidi-override characters (which can make a reviewer misread a value),
long values are cut, and every CSV cell that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) gets a leading apostrophe. Pages are self-contained (inline
CSS, inline SVG plots, no script, no external reference) and carry a Content-Security-Policy
that forbids scripts and remote loads, so they render offline and nothing in them can run.

Plots are inline SVG drawn by `bar_chart` and `histogram` below: a few dozen lines, no
dependency, byte-for-byte reproducible output; bar labels wrap, never cut. Anomaly types are
shown by their human titles (`ANOMALY_TITLES`). An anomaly's status reads the parts the candidate
attempted and names the ones they did not (a part left out is not evidence of a miss).

Every file is bounded (`bounded.Bounds`): the strings of a view share `report_text_bytes`
(`cohort_text_bytes`), each measured as its page shows it, by water-filling (a value over its
share is cut and says so; small values are never cut for a huge neighbour), and each rendered
file must fit `report_bytes` (`cohort_bytes`); a view over it is written as a short view of the
same shape that says it was cut (totals and the cohort summary kept), so every file stays valid
JSON, HTML or CSV. Nothing in a page is a link or an image made from candidate text: values are
escaped text, and the only links are the pages' own (the CSV next to a page, a candidate's page
in the cohort table, by a file name that cannot hold a `/`).

Files are written atomically and only when their content changed (the pages hold no
timestamps, so re-reporting an unchanged result rewrites nothing).
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import logging
import math
import re
import statistics
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.bounded import (
    bounds,
    file_notice,
    fit_strings,
    page_size,
    size_text,
    within,
)
from datalit.grading.course.handout import (
    format_time,
    late_text,
    lateness,
    recorded_due,
    submission_time,
)
from datalit.grading.manual import manual_grades
from datalit.grading.parts import REGISTRY, kind_of
from datalit.grading.record import check_candidate, write_atomic
from datalit.grading.results import NEEDS_MANUAL, NOT_ATTEMPTED, GradeResult, PartScore
from datalit.grading.table_typing import resolve_parameter

log = logging.getLogger(__name__)

REPORT_FORMAT = 1
TEMPLATES = Path(__file__).with_name("templates")
MAX_TEXT = 2000
"""Characters kept of one candidate-derived value in a report."""
MAX_ITEMS = 50
"""Items kept of a candidate-derived list or dict."""
MAX_STREAM = 64 * 1024
"""Characters of the notebook's output tail kept in the reviewer view."""
MAX_DEPTH = 6
MAX_FINDING = 20_000
"""Characters kept of a written finding in the reviewer view."""
RUBRIC_MD, RUBRIC_HTML = "reviewer-notes.md", "reviewer-notes.html"
"""The rubric (solutions/<slug>/reviewer-notes.md) as copied next to the reviewer views."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_SUBMITTED = "not submitted"
"""The cohort status of a released candidate with no submission (COURSE/submitted/<c>/<ex>/)."""
STATUS_WORDS = {
    "scored": "scored",
    "not_attempted": "not attempted",
    "unreadable": "unreadable",
    NEEDS_MANUAL: "graded by a reviewer",
}
# Catch status of an anomaly class, from the mean of its evidence (checks pass 1/fail 0; parts
# their fraction of points).
CAUGHT, PARTLY, MISSED, NOT_CHECKED = "caught", "partly caught", "missed", "not checked"
# Human titles of the anomaly types, from what each plants (docs/anomalies.md, generated from
# generators/anomalies/); a type without one is shown by its name with spaces.
ANOMALY_TITLES = {
    "careless_labeler": "One careless labeler",
    "dated_before_parent": "Dated before the record it belongs to",
    "disguised_missing": "Missing values disguised as placeholders",
    "duplicates_across_splits": "The same rows in the train and test splits",
    "epoch_timestamps": "Dates written as Unix timestamps",
    "exact_duplicates": "Exact duplicate rows",
    "fan_out": "A key listed twice, so joins fan out",
    "fd_violations": "One key mapped to two values",
    "future_dates": "Dates far in the future (typos in the year)",
    "impossible_orderings": "Events in an impossible order",
    "inconsistent_case": "The same text in different letter cases",
    "label_noise": "Wrong labels",
    "lost_leading_zeros": "Codes that lost their leading zeros",
    "missing_mar": "Values missing more often in some rows (missing at random)",
    "missing_mcar": "Values missing completely at random",
    "missing_records": "Rows lost from the export",
    "mixed_date_formats": "Dates written in mixed formats",
    "mojibake": "Text with encoding damage (mojibake)",
    "near_duplicates": "Records entered twice with small differences",
    "numbers_as_text": "Numbers written as formatted text",
    "orphans": "References to records that do not exist",
    "outliers": "Outliers",
    "pattern_violations": "Values that break the column's format",
    "pii_in_text": "Personal data in free text",
    "plausible_wrong_value": "Plausible but wrong values",
    "scale_error": "Numbers in the wrong unit",
    "sentinel_dates": "Placeholder dates meaning unknown or never",
    "small_noise": "Numbers slightly off",
    "stray_whitespace": "Stray whitespace in text",
    "swapped_columns": "Values swapped between two columns",
    "timezone_mixup": "Timestamps in the wrong time zone",
    "typos": "Typos in text",
}


def anomaly_title(anomaly: str) -> str:
    """The human title of an anomaly type ("missing_mcar" -> "Values missing completely at
    random"); an unknown type reads as its name with spaces."""
    return ANOMALY_TITLES.get(anomaly) or str(anomaly).replace("_", " ")


# Bidi overrides/isolates: shown as <U+202E> etc. so a value cannot reorder what is displayed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Reports:
    """The files `report` wrote for one submission."""

    candidate_html: Path
    """COURSE/feedback/<candidate>/<exercise>/report.html: what the candidate may see."""
    candidate_json: Path
    """The same facts as candidate_html, machine-readable."""
    reviewer_html: Path
    """COURSE/reports/<exercise>/<candidate>.html: everything, hidden checks included."""
    reviewer_json: Path
    reviewer_csv: Path
    """Every check with the failing values GX found (formula-escaped)."""


# --- entry points ---------------------------------------------------------------------------


def report(
    *,
    course: Path,
    exercise: Exercise,
    result: GradeResult,
    kit_anomalies: list[str],
    hold_feedback: bool = False,
) -> Reports:
    """Write the candidate view and the reviewer view of one graded submission.

    Args:
        course: The course folder.
        exercise: The exercise graded (titles, maxima, the suite's anomaly tags).
        result: The grader's result for one submission.
        kit_anomalies: The anomaly types planted in this exercise's data, in plant order.
        hold_feedback: Assessment mode: write the candidate view to
            COURSE/reports/<exercise>/held/<candidate>/ until `release_feedback` copies it to
            COURSE/feedback/<candidate>/<exercise>/ (the reviewer decides when).

    Returns:
        The paths written.
    """
    course = Path(course)
    candidate = check_candidate(result.candidate)
    _check_exercise(exercise, [result])
    facts = _Facts(exercise, result, kit_anomalies, course)
    reviewer_dir = course / "reports" / exercise.slug
    feedback_dir = (
        held_feedback_dir(course, exercise.slug, candidate)
        if hold_feedback
        else course / "feedback" / candidate / exercise.slug
    )
    paths = Reports(
        candidate_html=feedback_dir / "report.html",
        candidate_json=feedback_dir / "report.json",
        reviewer_html=reviewer_dir / f"{candidate}.html",
        reviewer_json=reviewer_dir / f"{candidate}.json",
        reviewer_csv=reviewer_dir / f"{candidate}.csv",
    )
    limits = bounds()
    plot = facts.plot()
    _write_view(
        facts.candidate_view(),
        paths.candidate_json,
        paths.candidate_html,
        lambda view: _render("candidate.html.j2", view, plot=plot),
        text_bytes=limits.report_text_bytes,
        file_bytes=limits.report_bytes,
        what="the candidate's report",
    )
    _write_view(
        facts.reviewer_view(),
        paths.reviewer_json,
        paths.reviewer_html,
        lambda view: _render("reviewer.html.j2", view, plot=plot, csv_name=paths.reviewer_csv.name),
        text_bytes=limits.report_text_bytes,
        file_bytes=limits.report_bytes,
        what="the reviewer's report",
    )
    write_rubric(course=course, exercise=exercise)
    rows = fit_strings(facts.check_rows(), limits.report_text_bytes, page_size)
    _write(
        paths.reviewer_csv,
        _bounded_csv(_CHECK_COLUMNS, rows, limits.report_bytes, what="the table of checks"),
    )
    return paths


def write_rubric(*, course: Path, exercise: Exercise) -> Path | None:
    """Copy the exercise's rubric (solutions/<slug>/reviewer-notes.md) to
    COURSE/reports/<exercise>/reviewer-notes.md with a page of it, reviewer-notes.html, that
    every reviewer view links to. Returns the page, or None when the exercise has no rubric."""
    text = _rubric(exercise)
    if text is None:
        return None
    folder = Path(course) / "reports" / exercise.slug
    _write(folder / RUBRIC_MD, text)
    page = _render(
        "rubric.html.j2",
        {"exercise": {"slug": exercise.slug, "title": _text(exercise.title)}},
        rubric=_markdown_html(text),
    )
    _write(folder / RUBRIC_HTML, page)
    return folder / RUBRIC_HTML


def _rubric(exercise: Exercise) -> str | None:
    try:
        return (exercise.solution_folder / RUBRIC_MD).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def _markdown_html(text: str) -> Markup:
    """The rubric's markdown as HTML, raw HTML in it escaped (it is trusted text, but a page of
    ours runs nothing)."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table"])
    return Markup(render(_text(text, limit=len(text))))


def held_feedback_dir(course: Path, slug: str, candidate: str) -> Path:
    """Where an assessment's candidate view waits for the reviewer to release it."""
    return Path(course) / "reports" / slug / "held" / candidate


def cohort_report(
    *,
    course: Path,
    exercise: Exercise,
    results: list[GradeResult],
    include_earlier: bool = True,
) -> Path:
    """Write COURSE/reports/<exercise>/cohort.html, cohort.json and cohort.csv.

    Args:
        course: The course folder.
        exercise: The exercise.
        results: Results of this run; they replace earlier reports of the same candidates.
        include_earlier: Also include candidates graded in earlier runs, read back from their
            reviewer JSON in the same folder (a run that regraded one candidate, or skipped
            unchanged ones, still gives a cohort of everyone), and the released candidates who
            have not submitted (status "not submitted", left out of every statistic).

    Returns:
        The path of cohort.html.
    """
    _check_exercise(exercise, results)
    limits = bounds()
    folder = Path(course) / "reports" / exercise.slug
    anomalies = _planted(exercise)
    rows: dict[str, dict] = {}
    if include_earlier and folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            summary = _earlier_summary(path, exercise)
            if summary is not None:
                rows[summary["candidate"]] = summary
    for result in results:
        rows[result.candidate] = _Facts(exercise, result, anomalies, course).summary()
    # Earlier rows were written before a reviewer may have graded: the gradebook says now.
    graded = manual_grades(course, exercise)
    for candidate, row in rows.items():
        _with_manual(exercise, row, graded.get(candidate, []))
    if include_earlier:
        for candidate in _not_submitted(Path(course), exercise.slug, rows):
            rows[candidate] = _not_submitted_row(exercise, candidate)
    for candidate, row in rows.items():
        row.update(submission_timing(Path(course), exercise.slug, candidate))
    view = _cohort_view(exercise, [rows[c] for c in sorted(rows)], anomalies)
    write_rubric(course=course, exercise=exercise)
    _write_view(
        view,
        folder / "cohort.json",
        folder / "cohort.html",
        lambda v: _render("cohort.html.j2", v, plots=_cohort_plots(v)),
        text_bytes=limits.cohort_text_bytes,
        file_bytes=limits.cohort_bytes,
        what="the cohort report",
    )
    columns = ["candidate", "status", "auto_points", "max_auto_points"]
    columns += [f"part:{p['id']}" for p in view["parts"]]
    columns += ["total_points", "needs_manual", "unsafe_no_sandbox", "submitted_at", "late"]
    table = [
        {
            "candidate": r["candidate"],
            "status": r["status"],
            "auto_points": r["auto_points"],
            "max_auto_points": r["max_auto_points"],
            **{f"part:{k}": v for k, v in r["parts"].items()},
            "total_points": r.get("total_points"),
            "needs_manual": " ".join(r["needs_manual"]),
            "unsafe_no_sandbox": r["unsafe_no_sandbox"],
            "submitted_at": r.get("submitted_at", ""),
            "late": "yes" if r.get("late") else "",
        }
        for r in view["candidates"]
    ]
    table = fit_strings(table, limits.cohort_text_bytes, page_size)
    _write(
        folder / "cohort.csv",
        _bounded_csv(columns, table, limits.cohort_bytes, what="the cohort table"),
    )
    return folder / "cohort.html"


def _with_manual(exercise: Exercise, row: dict, grades: list) -> None:
    """A cohort row with the manual parts the gradebook has grades for, and its total (auto
    plus manual) once nothing is pending."""
    points = {g.part: g.points for g in grades if g.points is not None}
    for part in exercise.parts:
        if not part.auto and part.id in points:
            row["parts"][part.id] = _number(min(max(float(points[part.id]), 0.0), part.points))
    row["needs_manual"] = [k for k, v in row["parts"].items() if v is None]
    manual = [(row["parts"].get(p.id), p.points) for p in exercise.parts if not p.auto]
    row["total_points"] = sum_up(row["auto_points"], manual)["total_points"]


def _not_submitted(course: Path, slug: str, rows: dict[str, dict]) -> list[str]:
    """The released candidates of `slug` with neither a row nor a submission."""
    from datalit.grading.course import Course

    return [
        c
        for c in Course(course).released_candidates(slug)
        if c not in rows and not (course / "submitted" / c / slug).is_dir()
    ]


def _not_submitted_row(exercise: Exercise, candidate: str) -> dict:
    """The cohort row of a released candidate who has not submitted: no points, no evidence."""
    return {
        "candidate": candidate,
        "status": NOT_SUBMITTED,
        "auto_points": None,
        "max_auto_points": _number(exercise.max_auto_points),
        "parts": {},
        "needs_manual": [],
        "total_points": None,
        "anomalies": {},
        "unsafe_no_sandbox": False,
    }


def submission_timing(course: Path, slug: str, candidate: str) -> dict[str, Any]:
    """When a candidate's submission came in and whether it was late: "submitted_at" and "due"
    (ISO 8601 UTC, "" when unknown), "late" (bool) and "late_by" ("2 h 5 min", "" when on
    time). The due time is the one recorded at release in keys/<c>/<ex>/answers.json; the
    submission's time is collect's timestamp.txt (handout.submission_time)."""
    from datalit.grading.course import CANDIDATE_ID

    if not CANDIDATE_ID.match(candidate):  # no folder of the course can be this candidate's
        return {"submitted_at": "", "due": "", "late": False, "late_by": ""}
    due = recorded_due(Path(course) / "keys" / candidate / slug / "answers.json")
    submitted = submission_time(Path(course), slug, candidate)
    late = lateness(submitted, due)
    return {
        "submitted_at": format_time(submitted),
        "due": format_time(due),
        "late": late is not None,
        "late_by": late_text(late),
    }


def refresh_views(*, course: Path, exercise: Exercise, candidate: str) -> list[Path]:
    """Rewrite a candidate's reviewer view and held candidate view (assessment mode) with the
    manual grades the gradebook has now: both were written at grading time, before a reviewer
    graded the finding in formgrader. `release-feedback` calls it before releasing. Returns the
    views that changed (a view that is not one of ours is left as it is)."""
    candidate = check_candidate(candidate)
    grades = {g.part: g for g in manual_grades(course, exercise).get(candidate, [])}
    limits = bounds()
    reviewer = Path(course) / "reports" / exercise.slug
    held = held_feedback_dir(course, exercise.slug, candidate)
    targets = (
        (reviewer / f"{candidate}.json", reviewer / f"{candidate}.html", "reviewer.html.j2",
         {"csv_name": f"{candidate}.csv"}, "the reviewer's report"),
        (held / "report.json", held / "report.html", "candidate.html.j2", {},
         "the candidate's report"),
    )  # fmt: skip
    changed = []
    for json_path, html_path, template, extra, what in targets:
        try:
            view = json.loads(json_path.read_text(encoding="utf-8"))
            parts = view["parts"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not _with_reviewer_grades(parts, grades):
            continue
        manual = [
            (p["points"], p["max_points"]) for p in parts if not _graded_by_auto(p.get("kind"))
        ]
        view["total"].update(sum_up(view["total"]["auto_points"], manual))
        rows = [
            (p["title"], p["points"], float(p["max_points"]))
            for p in parts
            if p["points"] is not None
        ]
        plot = bar_chart(rows, title="Points per part")
        _write_view(
            view,
            json_path,
            html_path,
            lambda v, t=template, e=extra, g=plot: _render(t, v, plot=g, **e),
            text_bytes=limits.report_text_bytes,
            file_bytes=limits.report_bytes,
            what=what,
        )
        changed.append(json_path)
    return changed


def _with_reviewer_grades(parts: list[dict], grades: dict) -> bool:
    """Put the reviewer's score and comment into a view's manual parts; whether any changed."""
    changed = False
    for item in parts:
        grade = grades.get(item.get("id"))
        if _graded_by_auto(item.get("kind")) or grade is None or grade.points is None:
            continue
        update = {
            "points": _number(min(max(float(grade.points), 0.0), float(item["max_points"]))),
            "status": "graded_by_reviewer",
            "feedback": _text(f"The reviewer's comment: {grade.comment}" if grade.comment else ""),
        }
        if any(item.get(k) != v for k, v in update.items()):
            item.update(update)
            changed = True
    return changed


def sum_up(auto_points: float, manual: Iterable[tuple[float | None, float]]) -> dict[str, Any]:
    """A view's totals from its auto points and its manual parts' (points or None while nobody
    graded it, maximum): the one rule every view, the cohort and the export total by."""
    manual = list(manual)
    graded = sum(points or 0.0 for points, _ in manual)
    pending = [maximum for points, maximum in manual if points is None]
    return {
        "manual_points": _number(graded),
        "manual_points_pending": _number(sum(pending)),
        "total_points": None if pending else _number(float(auto_points) + graded),
    }


def _graded_by_auto(kind: Any) -> bool:
    """Whether a part kind named in a view written earlier is graded automatically (a kind no
    longer registered counts as automatic: its points are the grader's)."""
    return kind not in REGISTRY or REGISTRY[kind].auto


def _check_exercise(exercise: Exercise, results: Iterable[GradeResult]) -> None:
    for result in results:
        check_candidate(result.candidate)
        if result.exercise != exercise.slug:
            raise InvalidArgument(
                f"the result of {result.candidate!r} is for exercise {result.exercise!r}, "
                f"not {exercise.slug!r}"
            )


# --- the facts of one result ----------------------------------------------------------------


class _Facts:
    """One result, read once, with the exercise's titles, maxima and anomaly tags."""

    def __init__(
        self,
        exercise: Exercise,
        result: GradeResult,
        kit_anomalies: Iterable[str],
        course: Path | None = None,
    ):
        self.exercise = exercise
        self.result = result
        self.course = course
        self.scores: dict[str, PartScore] = {p.id: p for p in result.score.parts}
        validation = result.validation
        self.checks = tuple(validation.results) if validation is not None else ()
        self.skipped_reason = validation.skipped_reason if validation is not None else ""
        self.tags = _suite_anomaly_tags(exercise)
        self.check_titles = _suite_check_titles(exercise)
        planted = list(dict.fromkeys(kit_anomalies))
        if not planted:  # the recipe's default plants: report what the exercise checks for
            referenced = [a for p in exercise.parts for a in p.anomalies]
            planted = list(dict.fromkeys(referenced + list(self.tags.values())))
        self.planted = planted
        # What reviewers gave the manual parts in formgrader (read back from the gradebook),
        # so every view written after a reviewer graded shows the score and the comment.
        graded = manual_grades(course, exercise).get(result.candidate, []) if course else []
        self.manual = {g.part: g for g in graded if g.points is not None}

    # parts ---------------------------------------------------------------------------------

    def _parts(self) -> list[tuple[Any, PartScore | None]]:
        """The exercise's parts with their scores (maxima always from the exercise)."""
        return [(part, self.scores.get(part.id)) for part in self.exercise.parts]

    def _points(self, part, ps: PartScore | None) -> float | None:
        if not part.auto and part.id in self.manual:
            return _number(min(max(float(self.manual[part.id].points), 0.0), float(part.points)))
        if ps is None:
            return 0.0
        if not part.auto and ps.status == NEEDS_MANUAL:
            return None
        return _number(min(max(float(ps.points), 0.0), float(part.points)))

    def _status(self, part, ps: PartScore | None) -> str:
        if not part.auto and part.id in self.manual:
            return "graded_by_reviewer"
        return ps.status if ps else "not_attempted"

    def _feedback(self, part, ps: PartScore | None) -> str:
        grade = self.manual.get(part.id) if not part.auto else None
        if grade is not None:
            return _text(f"The reviewer's comment: {grade.comment}" if grade.comment else "")
        return _text(ps.feedback if ps else "")

    def totals(self) -> dict[str, Any]:
        auto = [(p, s) for p, s in self._parts() if p.auto]
        manual = [(self._points(p, s), p.points) for p, s in self._parts() if not p.auto]
        auto_points = sum(self._points(p, s) or 0.0 for p, s in auto)
        return {
            "auto_points": _number(auto_points),
            "max_auto_points": _number(self.exercise.max_auto_points),
            **sum_up(auto_points, manual),
            "max_points": _number(self.exercise.max_points),
        }

    # anomalies -----------------------------------------------------------------------------

    def anomalies(self) -> list[dict[str, Any]]:
        """Per planted anomaly class: the evidence (the checks tagged with it in suite.json and
        the non-suite parts that list it; a suite part counts only when its checks did not
        run) and the resulting status."""
        out = []
        ran_parts = {r.part for r in self.checks}
        for anomaly in self.planted:
            evidence = []
            not_attempted = []
            for r in self.checks:
                if self.tags.get(r.id) == anomaly:
                    evidence.append(
                        {
                            "kind": "check",
                            "id": r.id,
                            "title": _text(self.check_titles.get(r.id) or r.type),
                            "part": r.part,
                            "value": float(r.success),
                            "attempted": True,
                        }
                    )
            for part, ps in self._parts():
                if anomaly not in part.anomalies or not part.auto:
                    continue
                if kind_of(part).scored_by_checks and part.id in ran_parts:
                    continue
                attempted = ps is not None and ps.status != NOT_ATTEMPTED
                if not attempted:
                    not_attempted.append(_text(part.title))
                fraction = (self._points(part, ps) or 0.0) / part.points if part.points else 0.0
                evidence.append(
                    {
                        "kind": "part",
                        "id": part.id,
                        "title": _text(part.title),
                        "value": _number(fraction, 4),
                        "attempted": attempted,
                    }
                )
            # A part left out says nothing about whether the candidate caught the problem in
            # the parts they did: the status reads the attempted evidence and names the rest.
            # With nothing attempted, nothing was caught (missed, and the parts are named).
            counted = [e for e in evidence if e["attempted"]] or evidence
            score = _number(statistics.fmean(e["value"] for e in counted), 4) if counted else None
            out.append(
                {
                    "anomaly": anomaly,
                    "title": _text(anomaly_title(anomaly)),
                    "status": _catch_status(score),
                    "score": score,
                    "not_attempted": not_attempted,
                    "evidence": evidence,
                }
            )
        return out

    # views ---------------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        r = self.result
        return {
            "format": REPORT_FORMAT,
            "exercise": {"slug": self.exercise.slug, "title": _text(self.exercise.title)},
            "candidate": r.candidate,
            "submission_sha256": r.submission_sha256,
            "grader_version": _text(r.grader_version),
            "status": _text(r.status),
            "reason": _text(r.reason),
            "unsafe_no_sandbox": bool(r.unsafe_no_sandbox),
            "warnings": _warnings(r),
            "total": self.totals(),
        }

    def _execution(self, full: bool) -> dict[str, Any] | None:
        ex = self.result.execution
        if ex is None:
            return None
        facts = {
            "status": _text(getattr(ex, "status", "")),
            "reason": _text(getattr(ex, "reason", "")),
            "cells_total": getattr(ex, "cells_total", None),
            "cells_completed": getattr(ex, "cells_completed", None),
            "failed_cell": getattr(ex, "failed_cell", None),
            "sandboxed": bool(getattr(ex, "sandboxed", False)),
        }
        if full:
            facts["duration_s"] = _number(getattr(ex, "duration_s", 0.0) or 0.0, 2)
            tail = str(getattr(ex, "stream_tail", "") or "")
            facts["stream_tail_truncated"] = len(tail) > MAX_STREAM
            facts["stream_tail"] = _text(tail[-MAX_STREAM:], limit=MAX_STREAM)
        return facts

    def candidate_view(self) -> dict[str, Any]:
        """The allowlisted facts a candidate may see (see the module docstring)."""
        parts = []
        for part, ps in self._parts():
            mine = [r for r in self.checks if r.part == part.id]
            public = [r for r in mine if r.public]
            hidden = [r for r in mine if not r.public]
            parts.append(
                {
                    "id": part.id,
                    "title": _text(part.title),
                    "kind": part.kind,
                    "points": self._points(part, ps),
                    "max_points": _number(part.points),
                    "status": self._status(part, ps),
                    "feedback": self._feedback(part, ps),
                    "checks": [
                        {
                            "feedback": _text(r.feedback),
                            "passed": bool(r.success),
                            "points": _number(r.points),
                            "could_not_run": bool(r.error),
                            "failing_values": None if r.success else _plain(r.unexpected_count),
                        }
                        for r in public
                    ],
                    "hidden_checks": (
                        {"total": len(hidden), "passed": sum(bool(r.success) for r in hidden)}
                        if hidden
                        else None
                    ),
                }
            )
        return {
            "view": "candidate",
            **self._common(),
            "execution": self._execution(full=False),
            "parts": parts,
            "anomalies": [
                {
                    "anomaly": a["anomaly"],
                    "title": a["title"],
                    "status": a["status"],
                    "not_attempted": a["not_attempted"],
                }
                for a in self.anomalies()
            ],
        }

    def reviewer_view(self) -> dict[str, Any]:
        """Everything: hidden checks, kwargs, observed values, failing samples, part details."""
        parts = []
        for part, ps in self._parts():
            parts.append(
                {
                    "id": part.id,
                    "title": _text(part.title),
                    "kind": part.kind,
                    "points": self._points(part, ps),
                    "max_points": _number(part.points),
                    "status": self._status(part, ps),
                    "feedback": self._feedback(part, ps),
                    "anomalies": list(part.anomalies),
                    "details": self._titled(_plain(ps.details if ps else {})),
                    "checks": [self._check(r) for r in self.checks if r.part == part.id],
                    "finding": None,
                    **kind_of(part).reviewer_facts(part, self),
                }
            )
        return {
            "view": "reviewer",
            **self._common(),
            "duration_s": _number(self.result.duration_s or 0.0, 2),
            "execution": self._execution(full=True),
            "validation_skipped_reason": _text(self.skipped_reason),
            "parts": parts,
            "anomalies": self.anomalies(),
            "summary": self.summary(),
            "rubric": RUBRIC_HTML if _rubric(self.exercise) is not None else None,
        }

    def _titled(self, value: Any) -> Any:
        """Part details with each check cited by its title rather than its id."""
        if isinstance(value, list):
            return [self._titled(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: self._titled(v) for k, v in value.items()}
        if isinstance(out.get("id"), str) and out["id"] in self.check_titles:
            out = {"check": _text(self.check_titles[out.pop("id")]), **out}
        return out

    def finding(self, part) -> dict[str, Any]:
        """The candidate's written answer to a manual part: the markdown cell with the part's
        grade_id, read from the autograded notebook (candidate text: shown escaped)."""
        cell = part.cell or ""
        notebook = self._autograded_notebook()
        if notebook is None:
            return {"cell": cell, "text": None, "note": "the graded notebook was not found"}
        for c in notebook.get("cells") or []:
            meta = c.get("metadata") if isinstance(c, dict) else None
            nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
            if isinstance(nbgrader, dict) and nbgrader.get("grade_id") == cell:
                source = c.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                # autograded/ holds it made inert with character references (`4&#46;`): shown
                # as text (escaped again by the template), it reads as the candidate wrote it.
                text = html.unescape(text)
                return {"cell": cell, "text": _text(text, limit=MAX_FINDING), "note": ""}
        return {"cell": cell, "text": None, "note": f"no cell {cell!r} in the graded notebook"}

    def _autograded_notebook(self) -> dict | None:
        """COURSE/autograded/<candidate>/<exercise>/<notebook> (written just before the report),
        else the executed notebook the result carries."""
        texts = []
        if self.course is not None:
            from datalit.grading.course import Course

            try:
                path = (
                    Course(self.course).autograded_dir(self.result.candidate, self.exercise.slug)
                    / self.exercise.notebook
                )
                if path.stat().st_size <= bounds().autograded_bytes:
                    texts.append(path.read_text(encoding="utf-8", errors="replace"))
            except (OSError, InvalidArgument):  # an id no course folder can hold has none
                pass
        if self.result.executed_notebook:
            texts.append(self.result.executed_notebook)
        for text in texts:
            try:
                notebook = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(notebook, dict):
                return notebook
        return None

    @functools.cached_property
    def parameters(self) -> dict[str, Any] | None:
        """This candidate's suite parameters (COURSE/keys/<c>/<ex>/answers.json), or None."""
        if self.course is None:
            return None
        from datalit.grading.course import Course

        try:
            path = Course(self.course).keys_dir(self.result.candidate, self.exercise.slug)
            answers = json.loads((path / "answers.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError, InvalidArgument):
            return None
        values = answers.get("suite_parameters") if isinstance(answers, dict) else None
        return values if isinstance(values, dict) else None

    def _required(self, kwargs: dict) -> list[dict[str, Any]]:
        """The kwargs filled from this candidate's data ($PARAMETERs), with their values
        (resolved as validate does); reviewer view only, as these are hidden values."""
        out = []
        for name, value in (kwargs or {}).items():
            if not (isinstance(value, dict) and set(value) == {"$PARAMETER"}):
                continue
            parameter = str(value["$PARAMETER"])
            known = self.parameters is not None and parameter in self.parameters
            out.append(
                {
                    "kwarg": _text(name, 200),
                    "parameter": _text(parameter, 200),
                    "value": _plain(resolve_parameter(value, self.parameters)) if known else None,
                    "found": known,
                }
            )
        return out

    def _check(self, r) -> dict[str, Any]:
        return {
            "id": r.id,
            "title": _text(self.check_titles.get(r.id) or _type_title(r.type, r.kwargs)),
            "type": _text(r.type),
            "visibility": "public" if r.public else "hidden",
            "anomaly": self.tags.get(r.id),
            "kwargs": _plain(r.kwargs),
            "required": self._required(r.kwargs),
            "feedback": _text(r.feedback),
            "passed": bool(r.success),
            "points": _number(r.points),
            "observed": _plain(r.observed),
            "unexpected_count": _plain(r.unexpected_count),
            "unexpected_sample": _plain(list(r.unexpected_sample)),
            "error": _text(r.error),
        }

    def check_rows(self) -> list[dict[str, Any]]:
        rows = []
        for r in self.checks:
            c = self._check(r)
            rows.append(
                {
                    "part": r.part,
                    "check_id": c["id"],
                    "title": c["title"],
                    "type": c["type"],
                    "visibility": c["visibility"],
                    "anomaly": c["anomaly"] or "",
                    "passed": c["passed"],
                    "points": c["points"],
                    "unexpected_count": ""
                    if c["unexpected_count"] is None
                    else c["unexpected_count"],
                    "unexpected_sample": " | ".join(_cell_text(v) for v in c["unexpected_sample"]),
                    "observed": _cell_text(c["observed"]),
                    "error": c["error"],
                    "feedback": c["feedback"],
                    "required": " | ".join(
                        f"{q['kwarg']}={_cell_text(q['value']) if q['found'] else '?'}"
                        for q in c["required"]
                    ),
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        """One cohort row (also stored in the reviewer JSON for later cohort reports)."""
        totals = self.totals()
        return {
            "candidate": self.result.candidate,
            "status": _text(self.result.status),
            "auto_points": totals["auto_points"],
            "max_auto_points": totals["max_auto_points"],
            "parts": {p.id: self._points(p, s) for p, s in self._parts()},
            "needs_manual": [p.id for p, s in self._parts() if self._points(p, s) is None],
            "total_points": totals["total_points"],
            "anomalies": {a["anomaly"]: a["score"] for a in self.anomalies()},
            "unsafe_no_sandbox": bool(self.result.unsafe_no_sandbox),
        }

    def plot(self) -> Markup:
        rows = [
            (p.title, self._points(p, s) or 0.0, float(p.points))
            for p, s in self._parts()
            if self._points(p, s) is not None
        ]
        return bar_chart(rows, title="Points per part")


_CHECK_COLUMNS = [
    "part",
    "check_id",
    "title",
    "type",
    "visibility",
    "anomaly",
    "passed",
    "points",
    "unexpected_count",
    "unexpected_sample",
    "observed",
    "error",
    "feedback",
    "required",
]


def _warnings(result: GradeResult) -> list[str]:
    warnings = []
    if result.unsafe_no_sandbox:
        warnings.append(
            "This notebook was run WITHOUT the sandbox (--unsafe-no-sandbox, for local practice): "
            "its code could read and change files on the grading machine. Do not use these "
            "scores for an assessment."
        )
    return warnings


def _catch_status(score: float | None) -> str:
    if score is None:
        return NOT_CHECKED
    if score >= 0.999:
        return CAUGHT
    if score <= 0.001:
        return MISSED
    return PARTLY


def _planted(exercise: Exercise) -> list[str]:
    plants = exercise.generate.plants or ()
    return list(dict.fromkeys(p.anomaly for p in plants))


@functools.lru_cache(maxsize=32)
def _suite_meta_cached(path: str, mtime_ns: int) -> dict[str, dict[str, str]]:
    """Per expectation id: the anomaly its meta tags and its title (meta.title, else one made
    from its type and column)."""
    try:
        suite = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"tags": {}, "titles": {}}
    tags, titles = {}, {}
    for e in suite.get("expectations", []) if isinstance(suite, dict) else []:
        if not isinstance(e, dict) or not e.get("id"):
            continue
        meta = e.get("meta") if isinstance(e.get("meta"), dict) else {}
        if isinstance(meta.get("anomaly"), str):
            tags[str(e["id"])] = meta["anomaly"]
        kwargs = e.get("kwargs") if isinstance(e.get("kwargs"), dict) else {}
        title = meta.get("title")
        titles[str(e["id"])] = (
            title if isinstance(title, str) and title else _type_title(e.get("type", ""), kwargs)
        )
    return {"tags": tags, "titles": titles}


def _suite_meta(exercise: Exercise) -> dict[str, dict[str, str]]:
    try:
        mtime = exercise.suite_path.stat().st_mtime_ns
    except OSError:
        return {"tags": {}, "titles": {}}
    return _suite_meta_cached(str(exercise.suite_path), mtime)


def _suite_anomaly_tags(exercise: Exercise) -> dict[str, str]:
    """Expectation id -> the anomaly class its suite.json meta says it catches."""
    return _suite_meta(exercise)["tags"]


def _suite_check_titles(exercise: Exercise) -> dict[str, str]:
    """Expectation id -> the title a reviewer reads it by."""
    return _suite_meta(exercise)["titles"]


def _type_title(type_: str, kwargs: dict | None) -> str:
    """A check's title from its GX type and column, for suites whose meta has no title:
    expect_column_values_to_be_unique on order_id -> "order_id: values are unique"."""
    words = str(type_).removeprefix("expect_").removeprefix("column_").replace("_", " ")
    words = words.replace(" to be ", " are ").replace(" to ", " ")
    column = (kwargs or {}).get("column")
    return f"{column}: {words}" if isinstance(column, str) else words


# --- the cohort -----------------------------------------------------------------------------


def reviewer_record(path: Path, exercise: Exercise) -> dict | None:
    """A candidate's reviewer JSON (COURSE/reports/<exercise>/<candidate>.json) read back, if it
    is one of ours and well formed: its "summary" is the cohort row, its top level says which
    notebook was graded ("submission_sha256") by which grader ("grader_version")."""
    if path.name.startswith("cohort"):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        summary = data["summary"]
        ok = (
            data.get("format") == REPORT_FORMAT
            and data.get("view") == "reviewer"
            and data["exercise"]["slug"] == exercise.slug
            and summary["candidate"] == path.stem
            and isinstance(summary["parts"], dict)
            and isinstance(summary["anomalies"], dict)
        )
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        return None
    return data if ok else None


def _earlier_summary(path: Path, exercise: Exercise) -> dict | None:
    """The summary stored in a candidate's reviewer JSON, if it is one of ours and well formed."""
    data = reviewer_record(path, exercise)
    return data["summary"] if data is not None else None


def _cohort_view(exercise: Exercise, listed: list[dict], anomalies: list[str]) -> dict[str, Any]:
    # Candidates who have not submitted are listed, but no statistic counts them.
    rows = [r for r in listed if r["status"] != NOT_SUBMITTED]
    totals = [r["auto_points"] for r in rows]
    parts = []
    for part in exercise.parts:
        values = [r["parts"].get(part.id) for r in rows]
        scored = [v for v in values if v is not None]
        parts.append(
            {
                "id": part.id,
                "title": _text(part.title),
                "kind": part.kind,
                "max_points": _number(part.points),
                "mean": _number(statistics.fmean(scored)) if scored else None,
                "pending": len(values) - len(scored),
            }
        )
    caught = []
    seen = list(dict.fromkeys(anomalies + [a for r in rows for a in r["anomalies"]]))
    for anomaly in seen:
        scores = [r["anomalies"].get(anomaly) for r in rows]
        checked = [s for s in scores if s is not None]
        caught.append(
            {
                "anomaly": anomaly,
                "title": _text(anomaly_title(anomaly)),
                "checked": len(checked),
                "caught": sum(s >= 0.999 for s in checked),
                "catch_rate": _number(sum(s >= 0.999 for s in checked) / len(checked), 4)
                if checked
                else None,
                "mean_score": _number(statistics.fmean(checked), 4) if checked else None,
            }
        )
    return {
        "format": REPORT_FORMAT,
        "view": "cohort",
        "exercise": {"slug": exercise.slug, "title": _text(exercise.title)},
        "max_auto_points": _number(exercise.max_auto_points),
        "count": len(rows),
        "not_submitted": len(listed) - len(rows),
        "mean_auto_points": _number(statistics.fmean(totals)) if totals else None,
        "median_auto_points": _number(statistics.median(totals)) if totals else None,
        "distribution": _bins(totals, float(exercise.max_auto_points)),
        "parts": parts,
        "anomalies": caught,
        "candidates": listed,
        "rubric": RUBRIC_HTML if _rubric(exercise) is not None else None,
    }


def _bins(values: Sequence[float], maximum: float, count: int = 10) -> list[dict[str, Any]]:
    """`count` equal bins over [0, maximum]; the last bin includes the maximum."""
    if maximum <= 0:
        return []
    width = maximum / count
    counts = [0] * count
    for v in values:
        counts[min(int(max(v, 0.0) / width), count - 1)] += 1
    return [
        {"from": _number(i * width), "to": _number((i + 1) * width), "count": n}
        for i, n in enumerate(counts)
    ]


def _cohort_plots(view: dict) -> dict[str, Markup]:
    return {
        "distribution": histogram(
            view["distribution"], title=f"Automatic points ({view['count']} candidates)"
        ),
        "parts": bar_chart(
            [
                (p["title"], p["mean"], p["max_points"])
                for p in view["parts"]
                if p["mean"] is not None and _graded_by_auto(p["kind"])
            ],
            title="Mean points per part",
        ),
        "anomalies": bar_chart(
            [
                (a["title"], a["catch_rate"], 1.0)
                for a in view["anomalies"]
                if a["catch_rate"] is not None
            ],
            title="Share of candidates who caught each anomaly",
            percent=True,
        ),
    }


# --- plots (inline SVG) ------------------------------------------------------------------------

_INK, _MUTED, _TRACK = "#1f2933", "#52606d", "#e4e7eb"
_GOOD, _SOME, _NONE = "#2f855a", "#b7791f", "#c53030"


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold" fill="{_INK}">{escape(title)}</text>',
    ]


def _lines(label: str, width: int = 30) -> list[str]:
    """A label wrapped at spaces into lines of at most `width` characters (a longer word is
    split), so the whole label is shown within the label column."""
    return textwrap.wrap(label, width, break_on_hyphens=False) or [""]


def bar_chart(
    rows: Sequence[tuple[str, float, float]], *, title: str, percent: bool = False
) -> Markup:
    """Horizontal bars, one per (label, value, maximum): a grey track as long as the maximum,
    filled in green (full), amber (part) or red (nothing). Every text is escaped."""
    # 30 characters of 13 px sans-serif fit in the 240 px label column (about 7 px each).
    label_w, bar_w, line_h, bar_h, top = 240, 300, 16, 16, 28
    wrapped = [_lines(str(label)) for label, _, _ in rows]
    heights = [max(26, line_h * len(lines) + 10) for lines in wrapped]
    width, height = label_w + bar_w + 90, top + (sum(heights) if rows else 26) + 6
    out = _svg_open(width, height, title)
    if not rows:
        out.append(f'<text x="0" y="{top + 16}" fill="{_MUTED}">no data</text>')
    y = top
    for (_label, value, maximum), lines, row_h in zip(rows, wrapped, heights, strict=True):
        fraction = min(max(value / maximum, 0.0), 1.0) if maximum > 0 else 0.0
        color = _GOOD if fraction >= 0.999 else _NONE if fraction <= 0.001 else _SOME
        shown = f"{fraction:.0%}" if percent else f"{_fmt(value)} / {_fmt(maximum)}"
        middle = y + row_h / 2
        first = middle - line_h * (len(lines) - 1) / 2 + 4.5
        spans = "".join(
            f'<tspan x="{label_w - 8}" y="{first + k * line_h:g}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        out += [
            f'<text class="label" text-anchor="end" fill="{_INK}">{spans}</text>',
            f'<rect x="{label_w}" y="{middle - bar_h / 2:g}" width="{bar_w}" height="{bar_h}" '
            f'fill="{_TRACK}"/>',
            f'<rect x="{label_w}" y="{middle - bar_h / 2:g}" width="{bar_w * fraction:.1f}" '
            f'height="{bar_h}" fill="{color}"/>',
            f'<text x="{label_w + bar_w + 8}" y="{middle + 4.5:g}" fill="{_INK}">'
            f"{escape(shown)}</text>",
        ]
        y += row_h
    out.append("</svg>")
    return Markup("\n".join(out))


def histogram(bins: Sequence[dict], *, title: str) -> Markup:
    """Vertical bars, one per bin ({"from", "to", "count"}), count on top, range below."""
    left, top, plot_h, bar_w, gap = 8, 34, 140, 52, 6
    width = left + len(bins) * (bar_w + gap) + 8
    height = top + plot_h + 40
    out = _svg_open(max(width, 320), height, title)
    tallest = max((b["count"] for b in bins), default=0)
    base = top + plot_h
    for i, b in enumerate(bins):
        x = left + i * (bar_w + gap)
        h = plot_h * b["count"] / tallest if tallest else 0.0
        out += [
            f'<rect x="{x}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" fill="#3b6ea5"/>',
            f'<text x="{x + bar_w / 2}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'fill="{_INK}">{b["count"]}</text>',
            f'<text x="{x + bar_w / 2}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="{_MUTED}">{escape(_fmt(b["from"]))}–{escape(_fmt(b["to"]))}</text>',
        ]
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - 8}" y2="{base}" stroke="{_MUTED}"/>')
    out.append("</svg>")
    return Markup("\n".join(out))


# --- values, text, files --------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    """Points as people write them: 3, 1.5, 1.33."""
    if value is None:
        return "–"
    return f"{round(float(value), 2):g}"


def _number(value: float, digits: int = 2) -> float:
    value = float(value)
    return round(value, digits) if math.isfinite(value) else 0.0


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """Candidate-derived text made safe to show: no control characters (newline and tab kept),
    bidi overrides made visible, unpaired surrogates replaced, cut at `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more characters]"
    return text


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON-safe, size-bounded copy of a value (GX observations, kwargs, part details)."""
    if depth > MAX_DEPTH:
        return "…"
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        items = list(value.items())
        out = {_text(k, 200): _plain(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["…"] = f"{len(items) - MAX_ITEMS} more entries"
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        out = [_plain(v, depth + 1) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            out.append(f"… {len(items) - MAX_ITEMS} more")
        return out
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _plain(value.item(), depth + 1)
        except (TypeError, ValueError):
            pass
    if hasattr(value, "isoformat"):
        return _text(value.isoformat())
    return _text(repr(value) if isinstance(value, bytes) else str(value))


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _json(view: dict) -> str:
    return json.dumps(view, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with = + - @, tab or CR gets a
    leading apostrophe (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped; only our SVG plots are Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pts"] = _fmt
    env.filters["words"] = lambda status: STATUS_WORDS.get(status, status.replace("_", " "))
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True)
    env.filters["compact"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    env.filters["anomaly_title"] = anomaly_title
    # kwargs without their $PARAMETERs: the reviewer view shows those as the values they took
    env.filters["fixed"] = lambda kwargs: {
        k: v
        for k, v in (kwargs or {}).items()
        if not (isinstance(v, dict) and set(v) == {"$PARAMETER"})
    }
    env.filters["percent"] = lambda v: "–" if v is None else f"{v:.0%}"
    return env


def _render(template: str, view: dict, **extra: Any) -> str:
    return _environment().get_template(template).render(view=view, **extra)


def _write_view(
    view: dict,
    json_path: Path,
    html_path: Path,
    render,
    *,
    text_bytes: int,
    file_bytes: int,
    what: str,
) -> dict:
    """Write a view as JSON and as its page, both bounded (see the module docstring); returns
    the view written."""
    view = fit_strings(view, text_bytes, page_size)
    as_json, page = _json(view), render(view)
    if max(len(as_json.encode()), len(page.encode())) > file_bytes:
        log.warning("%s is over its bound of %s: written cut", what, size_text(file_bytes))
        view = _cut_view(view, file_notice(what, file_bytes))
        as_json, page = _json(view), render(view)
    _write(json_path, as_json)
    _write(html_path, page)
    return view


def _cut_view(view: dict, message: str) -> dict:
    """A view of the same shape without its long lists (parts, checks, anomalies, the cohort's
    candidates) and without the output tail, saying it was cut. Totals, statuses and the
    reviewer's summary (which cohort reports read back) are kept."""
    short = {**view, "cut": message}
    for key in ("parts", "anomalies", "candidates"):
        if key in short:
            short[key] = []
    if isinstance(short.get("execution"), dict) and "stream_tail" in short["execution"]:
        short["execution"] = {
            **short["execution"],
            "stream_tail": "",
            "stream_tail_truncated": True,
        }
    if "validation_skipped_reason" in short:
        short["validation_skipped_reason"] = ""
    return short


def _bounded_csv(columns: list[str], rows: list[dict], limit: int, *, what: str) -> str:
    """The CSV of `rows`, or, over `limit` bytes, its header and one row saying it was cut."""
    return within(
        _csv(columns, rows),
        limit,
        lambda: _csv(columns, [{columns[0]: file_notice(what, limit)}]),
        what=what,
    )


def _write(path: Path, text: str) -> None:
    """Atomic write, skipped when the file already holds exactly `text`."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    write_atomic(path, text)


__all__ = [
    "NOT_SUBMITTED",
    "Reports",
    "bar_chart",
    "cohort_report",
    "csv_cell",
    "histogram",
    "report",
    "reviewer_record",
    "submission_timing",
]
