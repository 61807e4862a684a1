"""The report of one graded submission (`report`): its candidate view and its reviewer view
(page, JSON and the CSV of its checks), and the rubric beside them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.bounded import (
    bounds,
    fit_strings,
    page_size,
)
from datalit.grading.record import check_candidate
from datalit.grading.report.facts import _Facts
from datalit.grading.report.rubric import write_rubric
from datalit.grading.report.text import _bounded_csv
from datalit.grading.report.write import _render, _write, _write_view, held_feedback_dir
from datalit.grading.results import GradeResult


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


def _check_exercise(exercise: Exercise, results: Iterable[GradeResult]) -> None:
    for result in results:
        check_candidate(result.candidate)
        if result.exercise != exercise.slug:
            raise InvalidArgument(
                f"the result of {result.candidate!r} is for exercise {result.exercise!r}, "
                f"not {exercise.slug!r}"
            )


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
