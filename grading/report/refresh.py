"""Views brought up to date with the manual grades the gradebook has: refreshing a written view
(`refresh_views`), a cohort row with its manual parts, and `sum_up`, the one rule every view,
the cohort and the export total by."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datalit.exercise import Exercise
from datalit.grading.bounded import (
    bounds,
)
from datalit.grading.manual import manual_grades
from datalit.grading.parts import REGISTRY
from datalit.grading.record import check_candidate
from datalit.grading.report.plots import bar_chart
from datalit.grading.report.text import _number, _text
from datalit.grading.report.write import _render, _write_view, held_feedback_dir


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
