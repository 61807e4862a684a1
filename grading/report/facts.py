"""The facts of one graded submission (`_Facts`), read once, and its views: the candidate view
(an allowlist, see the package docstring), the reviewer view, and its cohort row (summary)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from datalit.exercise import Exercise
from datalit.grading.manual import manual_grades
from datalit.grading.parts import kind_of
from datalit.grading.report.anomalies import _catch_status, anomaly_title
from datalit.grading.report.details import _Details
from datalit.grading.report.plots import bar_chart
from datalit.grading.report.refresh import sum_up
from datalit.grading.report.rubric import RUBRIC_HTML, _rubric
from datalit.grading.report.suite import _suite_anomaly_tags, _suite_check_titles
from datalit.grading.report.text import _number, _plain, _text
from datalit.grading.results import NEEDS_MANUAL, NOT_ATTEMPTED, GradeResult, PartScore

REPORT_FORMAT = 1
MAX_STREAM = 64 * 1024
"""Characters of the notebook's output tail kept in the reviewer view."""


# --- the facts of one result ----------------------------------------------------------------


class _Facts(_Details):
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

    def _part_head(self, part, ps: PartScore | None) -> dict[str, Any]:
        """What both views say first of a part (in this order: the JSON is compared byte for
        byte between runs)."""
        return {
            "id": part.id,
            "title": _text(part.title),
            "kind": part.kind,
            "points": self._points(part, ps),
            "max_points": _number(part.points),
            "status": self._status(part, ps),
            "feedback": self._feedback(part, ps),
        }

    def candidate_view(self) -> dict[str, Any]:
        """The allowlisted facts a candidate may see (see the module docstring)."""
        parts = []
        for part, ps in self._parts():
            mine = [r for r in self.checks if r.part == part.id]
            public = [r for r in mine if r.public]
            hidden = [r for r in mine if not r.public]
            parts.append(
                {
                    **self._part_head(part, ps),
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
                    **self._part_head(part, ps),
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


def _warnings(result: GradeResult) -> list[str]:
    warnings = []
    if result.unsafe_no_sandbox:
        warnings.append(
            "This notebook was run WITHOUT the sandbox (--unsafe-no-sandbox, for local practice): "
            "its code could read and change files on the grading machine. Do not use these "
            "scores for an assessment."
        )
    return warnings
