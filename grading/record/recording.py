"""`record` (one graded submission into the gradebook, then the ledger, all or nothing) and
`ensure_course` (a course ready for nbgrader)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.record.config import _ensure_config, _ensure_source
from datalit.grading.record.files import CONFIG, write_atomic
from datalit.grading.record.gradebook import _ensure_gradebook
from datalit.grading.record.inputs import _student_fields, _submission_timestamp, check_candidate
from datalit.grading.record.ledger import (
    _ledger_entry,
    _ledger_text,
    _without_time,
    ledger_path,
    load_ledger,
)
from datalit.grading.record.lock import course_lock
from datalit.grading.record.transaction import _sync_gradebook
from datalit.grading.results import GradeResult


@dataclass(frozen=True)
class Recorded:
    """What `record` did for one submission."""

    course_id: str
    """The nbgrader course id the grades were recorded under."""
    gradebook: Path
    """COURSE/gradebook.db."""
    ledger: Path
    """COURSE/.datalit/results/<exercise>/<candidate>.json."""
    written: tuple[Path, ...]
    """The files whose content this call changed (empty when the result was already recorded):
    any of gradebook.db, the ledger, nbgrader_config.py."""

    @property
    def changed(self) -> bool:
        """True if anything was written."""
        return bool(self.written)


def record(
    *,
    course: Path,
    exercise: Exercise,
    result: GradeResult,
    student: dict | None = None,
    course_id: str | None = None,
) -> Recorded:
    """Record one graded submission in the course's gradebook and ledger, all or nothing.

    Args:
        course: The course folder (nbgrader layout); created files live inside it.
        exercise: The exercise graded; points and maxima come from it.
        result: The grader's result for one candidate's submission.
        student: Optional roster facts for nbgrader's student row: first_name, last_name,
            email, lms_user_id (None values leave what the gradebook has).
        course_id: nbgrader course id; by default the one in COURSE/nbgrader_config.py, or
            "default_course" (written to a new nbgrader_config.py when there is none).

    Returns:
        What was written; `changed` is False when the result was already recorded.

    Raises:
        InvalidArgument: the result does not belong to `exercise`, a candidate id or student
            field is unusable, or nbgrader_config.py points nbgrader at another gradebook.
        DatalitError: the gradebook is broken (half-created by an earlier tool) or another
            grader held the course's lock for longer than LOCK_TIMEOUT_S.
    """
    course = Path(course).resolve()
    candidate = check_candidate(result.candidate)
    if result.exercise != exercise.slug:
        raise InvalidArgument(
            f"the result is for exercise {result.exercise!r}, not {exercise.slug!r}"
        )
    fields = _student_fields(student)
    entry = _ledger_entry(exercise, result)
    ledger = ledger_path(course, exercise.slug, candidate)
    written: list[Path] = []
    with course_lock(course):
        cid, config_written = _ensure_config(course, course_id)
        if config_written:
            written.append(course / CONFIG)
        db, db_created = _ensure_gradebook(course, cid)
        source = _ensure_source(course, exercise)
        if source is not None:
            written.append(source)
        timestamp = _submission_timestamp(course, exercise.slug, candidate)
        if _sync_gradebook(db, cid, exercise, candidate, entry, fields, timestamp) or db_created:
            written.append(db)
        old = load_ledger(course, exercise.slug, candidate)
        if old is None or _without_time(old) != entry:
            write_atomic(ledger, _ledger_text(entry))
            written.append(ledger)
    return Recorded(course_id=cid, gradebook=db, ledger=ledger, written=tuple(written))


def ensure_course(course: Path, course_id: str | None = None) -> str:
    """Make COURSE ready for nbgrader: nbgrader_config.py and an empty gradebook, both created
    atomically if missing. Returns the course id. Safe to call from several processes."""
    course = Path(course).resolve()
    with course_lock(course):
        cid, _ = _ensure_config(course, course_id)
        _ensure_gradebook(course, cid)
    return cid
