"""The ledger: `COURSE/.datalit/results/<exercise>/<candidate>.json`, what nbgrader's schema has
no column for (the submission's sha256, the grader version, the exercise fingerprint, the
per-part scores). Its paths, its entries, and whether an entry is current (so the grader may
skip the submission)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from datalit.errors import InvalidArgument
from datalit.exercise import SLUG, Exercise
from datalit.grading.record.files import PRIVATE
from datalit.grading.record.inputs import _cell_name, check_candidate
from datalit.grading.results import NEEDS_MANUAL, GradeResult

LEDGER_FORMAT = 1
SCORE_DIGITS = 6
"""Scores are stored rounded, so float noise never counts as a change."""
GRADER_ERROR = "grader_error"
"""The status of a result the grader itself failed on (see grading/grader/)."""


def ledger_path(course: Path, exercise: Exercise | str, candidate: str) -> Path:
    """COURSE/.datalit/results/<exercise>/<candidate>.json."""
    slug = exercise.slug if isinstance(exercise, Exercise) else exercise
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise InvalidArgument(f"exercise name {slug!r} is not a valid slug (lowercase, digits, -)")
    return Path(course) / PRIVATE / "results" / slug / f"{check_candidate(candidate)}.json"


def load_ledger(course: Path, exercise: Exercise | str, candidate: str) -> dict | None:
    """The ledger entry of a recorded submission, or None if there is none (or it is unreadable:
    then the submission is simply recorded again)."""
    try:
        data = json.loads(ledger_path(course, exercise, candidate).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT:
        return None
    return data


def ledger_is_current(
    course: Path,
    exercise: Exercise | str,
    candidate: str,
    sha256: str,
    grader_version: str,
) -> bool:
    """True if this exact submission was recorded by this grader version (so the grader may skip
    it), and the grader did not fail on it (status grader_error is recorded, so the submission
    has a result, but never current). Given an `Exercise` rather than a slug, an edited exercise
    (exercise.toml, suite.json, points) also makes the entry stale."""
    entry = load_ledger(course, exercise, candidate)
    if entry is None or not sha256:
        return False
    if entry.get("status") == GRADER_ERROR:
        return False  # the grader failed on it: try again (a fixed grader may succeed)
    if entry.get("submission_sha256") != sha256 or entry.get("grader_version") != grader_version:
        return False
    return not (
        isinstance(exercise, Exercise)
        and entry.get("exercise_fingerprint") != exercise_fingerprint(exercise)
    )


def exercise_fingerprint(exercise: Exercise) -> str:
    """sha256 of what scoring depends on in the exercise: its parts and maxima, and the bytes of
    exercise.toml and suite.json when they exist."""
    h = hashlib.sha256()
    parts = [[p.id, p.kind, p.points, _cell_name(p)] for p in exercise.parts]
    h.update(json.dumps([exercise.slug, parts]).encode())
    for path in (exercise.folder / "exercise.toml", exercise.suite_path):
        with contextlib.suppress(OSError):
            h.update(b"\x00" + path.read_bytes())
    return h.hexdigest()


def _ledger_entry(exercise: Exercise, result: GradeResult) -> dict[str, Any]:
    """The ledger's facts for one result (without `recorded_at`). Points and maxima are checked
    against the exercise: a part the exercise does not have is a grader bug, not a score."""
    scores = {p.id: p for p in result.score.parts}
    expected = [p.id for p in exercise.parts]
    if set(scores) != set(expected) or len(scores) != len(result.score.parts):
        raise InvalidArgument(
            f"the result's parts {sorted(scores)} do not match the parts of {exercise.slug} "
            f"{sorted(expected)}"
        )
    parts = []
    for part in exercise.parts:
        ps = scores[part.id]
        manual = not part.auto and ps.status == NEEDS_MANUAL
        parts.append(
            {
                "id": part.id,
                "kind": part.kind,
                "cell": _cell_name(part),
                "status": ps.status,
                "points": None if manual else _clamp(ps.points, part.points),
                "max_points": float(part.points),
            }
        )
    return {
        "format": LEDGER_FORMAT,
        "exercise": exercise.slug,
        "candidate": result.candidate,
        "submission_sha256": result.submission_sha256,
        "grader_version": result.grader_version,
        "exercise_fingerprint": exercise_fingerprint(exercise),
        "status": _bounded_text(result.status),
        "reason": _bounded_text(result.reason),
        "unsafe_no_sandbox": bool(result.unsafe_no_sandbox),
        "auto_points": round(sum(p["points"] or 0.0 for p in parts), SCORE_DIGITS),
        "max_auto_points": float(exercise.max_auto_points),
        "max_points": float(exercise.max_points),
        "parts": parts,
    }


def _bounded_text(text: str) -> str:
    """A result's text as the ledger keeps it: at most `Bounds.ledger_text_bytes` JSON-encoded
    (the reason may quote what the candidate's code raised). The gradebook itself holds no text
    from the candidate: scores, ids from the roster and empty comments."""
    from datalit.grading.bounded import bounds, clean, cut

    return cut(clean(str(text)), bounds().ledger_text_bytes, _ledger_json_size)


def _ledger_json_size(text: str) -> int:
    return len(json.dumps(text)) - 2  # as _ledger_text writes it: ASCII, \uXXXX escapes


def _without_time(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "recorded_at"}


def _ledger_text(entry: dict) -> str:
    stamped = {**entry, "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return json.dumps(stamped, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _clamp(points: float, maximum: float) -> float:
    """Points as stored: finite, within [0, max], rounded (NaN from a scorer bug counts 0)."""
    value = float(points)
    if not math.isfinite(value):
        value = 0.0
    return round(min(max(value, 0.0), float(maximum)), SCORE_DIGITS)
