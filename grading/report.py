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
  failing values GX found): everything, hidden checks included.
- cohort: COURSE/reports/<exercise>/cohort.html, .json and .csv.

Everything that came from a candidate is untrusted text: Jinja2 autoescapes every value, text is
cleaned of control and bidi-override characters (which can make a reviewer misread a value),
long values are cut, and every CSV cell that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) gets a leading apostrophe. Pages are self-contained (inline
CSS, inline SVG plots, no script, no external reference) and carry a Content-Security-Policy
that forbids scripts and remote loads, so they render offline and nothing in them can run.

Plots are inline SVG drawn by `bar_chart` and `histogram` below: a few dozen lines, no
dependency, byte-for-byte reproducible output.

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
import io
import json
import logging
import math
import re
import statistics
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
from datalit.grading.record import check_candidate, write_atomic
from datalit.grading.results import NEEDS_MANUAL, GradeResult, PartScore

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
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATUS_WORDS = {
    "scored": "scored",
    "not_attempted": "not attempted",
    "unreadable": "unreadable",
    NEEDS_MANUAL: "graded by a reviewer",
}
# Catch status of an anomaly class, from the mean of its evidence (checks pass 1/fail 0; parts
# their fraction of points).
CAUGHT, PARTLY, MISSED, NOT_CHECKED = "caught", "partly caught", "missed", "not checked"
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
    facts = _Facts(exercise, result, kit_anomalies)
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
    rows = fit_strings(facts.check_rows(), limits.report_text_bytes, page_size)
    _write(
        paths.reviewer_csv,
        _bounded_csv(_CHECK_COLUMNS, rows, limits.report_bytes, what="the table of checks"),
    )
    return paths


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
            unchanged ones, still gives a cohort of everyone).

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
        rows[result.candidate] = _Facts(exercise, result, anomalies).summary()
    view = _cohort_view(exercise, [rows[c] for c in sorted(rows)], anomalies)
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
    columns += ["needs_manual", "unsafe_no_sandbox"]
    table = [
        {
            "candidate": r["candidate"],
            "status": r["status"],
            "auto_points": r["auto_points"],
            "max_auto_points": r["max_auto_points"],
            **{f"part:{k}": v for k, v in r["parts"].items()},
            "needs_manual": " ".join(r["needs_manual"]),
            "unsafe_no_sandbox": r["unsafe_no_sandbox"],
        }
        for r in view["candidates"]
    ]
    table = fit_strings(table, limits.cohort_text_bytes, page_size)
    _write(
        folder / "cohort.csv",
        _bounded_csv(columns, table, limits.cohort_bytes, what="the cohort table"),
    )
    return folder / "cohort.html"


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

    def __init__(self, exercise: Exercise, result: GradeResult, kit_anomalies: Iterable[str]):
        self.exercise = exercise
        self.result = result
        self.scores: dict[str, PartScore] = {p.id: p for p in result.score.parts}
        validation = result.validation
        self.checks = tuple(validation.results) if validation is not None else ()
        self.skipped_reason = validation.skipped_reason if validation is not None else ""
        self.tags = _suite_anomaly_tags(exercise)
        planted = list(dict.fromkeys(kit_anomalies))
        if not planted:  # the recipe's default plants: report what the exercise checks for
            referenced = [a for p in exercise.parts for a in p.anomalies]
            planted = list(dict.fromkeys(referenced + list(self.tags.values())))
        self.planted = planted

    # parts ---------------------------------------------------------------------------------

    def _parts(self) -> list[tuple[Any, PartScore | None]]:
        """The exercise's parts with their scores (maxima always from the exercise)."""
        return [(part, self.scores.get(part.id)) for part in self.exercise.parts]

    @staticmethod
    def _points(part, ps: PartScore | None) -> float | None:
        if ps is None:
            return 0.0
        if part.kind == "manual" and ps.status == NEEDS_MANUAL:
            return None
        return _number(min(max(float(ps.points), 0.0), float(part.points)))

    def totals(self) -> dict[str, Any]:
        auto = [(p, s) for p, s in self._parts() if p.kind != "manual"]
        pending = [p for p, s in self._parts() if self._points(p, s) is None]
        return {
            "auto_points": _number(sum(self._points(p, s) or 0.0 for p, s in auto)),
            "max_auto_points": _number(self.exercise.max_auto_points),
            "manual_points_pending": _number(sum(p.points for p in pending)),
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
            for r in self.checks:
                if self.tags.get(r.id) == anomaly:
                    evidence.append(
                        {"kind": "check", "id": r.id, "part": r.part, "value": float(r.success)}
                    )
            for part, ps in self._parts():
                if anomaly not in part.anomalies or part.kind == "manual":
                    continue
                if part.kind == "suite" and part.id in ran_parts:
                    continue
                fraction = (self._points(part, ps) or 0.0) / part.points if part.points else 0.0
                evidence.append({"kind": "part", "id": part.id, "value": _number(fraction, 4)})
            score = _number(statistics.fmean(e["value"] for e in evidence), 4) if evidence else None
            out.append(
                {
                    "anomaly": anomaly,
                    "status": _catch_status(score),
                    "score": score,
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
                    "status": ps.status if ps else "not_attempted",
                    "feedback": _text(ps.feedback if ps else ""),
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
                {"anomaly": a["anomaly"], "status": a["status"]} for a in self.anomalies()
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
                    "status": ps.status if ps else "not_attempted",
                    "feedback": _text(ps.feedback if ps else ""),
                    "anomalies": list(part.anomalies),
                    "details": _plain(ps.details if ps else {}),
                    "checks": [self._check(r) for r in self.checks if r.part == part.id],
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
        }

    def _check(self, r) -> dict[str, Any]:
        return {
            "id": r.id,
            "type": _text(r.type),
            "visibility": "public" if r.public else "hidden",
            "anomaly": self.tags.get(r.id),
            "kwargs": _plain(r.kwargs),
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
def _suite_tags_cached(path: str, mtime_ns: int) -> dict[str, str]:
    try:
        suite = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tags = {}
    for e in suite.get("expectations", []) if isinstance(suite, dict) else []:
        meta = e.get("meta") if isinstance(e, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("anomaly"), str) and e.get("id"):
            tags[str(e["id"])] = meta["anomaly"]
    return tags


def _suite_anomaly_tags(exercise: Exercise) -> dict[str, str]:
    """Expectation id -> the anomaly class its suite.json meta says it catches."""
    try:
        mtime = exercise.suite_path.stat().st_mtime_ns
    except OSError:
        return {}
    return _suite_tags_cached(str(exercise.suite_path), mtime)


# --- the cohort -----------------------------------------------------------------------------


def _earlier_summary(path: Path, exercise: Exercise) -> dict | None:
    """The summary stored in a candidate's reviewer JSON, if it is one of ours and well formed."""
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
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return summary if ok else None


def _cohort_view(exercise: Exercise, rows: list[dict], anomalies: list[str]) -> dict[str, Any]:
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
        "mean_auto_points": _number(statistics.fmean(totals)) if totals else None,
        "median_auto_points": _number(statistics.median(totals)) if totals else None,
        "distribution": _bins(totals, float(exercise.max_auto_points)),
        "parts": parts,
        "anomalies": caught,
        "candidates": rows,
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
                if p["mean"] is not None and p["kind"] != "manual"
            ],
            title="Mean points per part",
        ),
        "anomalies": bar_chart(
            [
                (a["anomaly"], a["catch_rate"], 1.0)
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


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    rows: Sequence[tuple[str, float, float]], *, title: str, percent: bool = False
) -> Markup:
    """Horizontal bars, one per (label, value, maximum): a grey track as long as the maximum,
    filled in green (full), amber (part) or red (nothing). Every text is escaped."""
    label_w, bar_w, row_h, top = 240, 300, 26, 28
    width, height = label_w + bar_w + 90, top + row_h * max(len(rows), 1) + 6
    out = _svg_open(width, height, title)
    if not rows:
        out.append(f'<text x="0" y="{top + 16}" fill="{_MUTED}">no data</text>')
    for i, (label, value, maximum) in enumerate(rows):
        y = top + i * row_h
        fraction = min(max(value / maximum, 0.0), 1.0) if maximum > 0 else 0.0
        color = _GOOD if fraction >= 0.999 else _NONE if fraction <= 0.001 else _SOME
        shown = f"{fraction:.0%}" if percent else f"{_fmt(value)} / {_fmt(maximum)}"
        out += [
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="{_INK}">'
            f"{escape(_short(str(label)))}</text>",
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}" '
            f'fill="{_TRACK}"/>',
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w * fraction:.1f}" '
            f'height="{row_h - 10}" fill="{color}"/>',
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" fill="{_INK}">{escape(shown)}</text>',
        ]
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


__all__ = ["Reports", "bar_chart", "cohort_report", "csv_cell", "histogram", "report"]
