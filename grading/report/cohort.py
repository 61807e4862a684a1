"""The cohort report (`cohort_report`): every graded candidate and every released candidate who
has not submitted, with when each submission came in; its statistics, plots and table."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from datalit.exercise import Exercise
from datalit.grading.bounded import (
    bounds,
    fit_strings,
    page_size,
)
from datalit.grading.course.handout import (
    format_time,
    late_text,
    lateness,
    recorded_due,
    submission_time,
)
from datalit.grading.manual import manual_grades
from datalit.grading.report.anomalies import anomaly_title
from datalit.grading.report.facts import REPORT_FORMAT, _Facts
from datalit.grading.report.plots import bar_chart, histogram
from datalit.grading.report.refresh import _graded_by_auto, _with_manual
from datalit.grading.report.rubric import RUBRIC_HTML, _rubric, write_rubric
from datalit.grading.report.submission import _check_exercise
from datalit.grading.report.suite import _planted
from datalit.grading.report.text import _bounded_csv, _number, _text
from datalit.grading.report.write import _render, _write, _write_view
from datalit.grading.results import GradeResult

NOT_SUBMITTED = "not submitted"
"""The cohort status of a released candidate with no submission (COURSE/submitted/<c>/<ex>/)."""


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
