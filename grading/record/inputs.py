"""What `record` is given, checked: candidate ids (file names and nbgrader student ids), the
roster's student fields, a part's grade cell name, the submission's time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Part

STUDENT_FIELDS = ("first_name", "last_name", "email", "lms_user_id")

# Candidate ids become file names and nbgrader student ids (String(128)).
_UNSAFE_ID = re.compile(r"[/\\\x00-\x1f\x7f]")


def check_candidate(candidate: str) -> str:
    """`candidate` if it is usable as an nbgrader student id and a file name, else
    InvalidArgument saying what is allowed."""
    if (
        not isinstance(candidate, str)
        or not candidate
        or len(candidate) > 128
        or candidate.startswith(".")
        or _UNSAFE_ID.search(candidate)
    ):
        raise InvalidArgument(
            f"candidate id {candidate!r} cannot be recorded: use 1-128 characters without "
            "'/', '\\' or control characters, not starting with '.'"
        )
    return candidate


def _student_fields(student: dict | None) -> dict[str, str]:
    if student is None:
        return {}
    unknown = sorted(set(student) - set(STUDENT_FIELDS))
    if unknown:
        raise InvalidArgument(
            f"unknown student field {unknown[0]!r}; valid fields: {', '.join(STUDENT_FIELDS)}"
        )
    fields = {}
    for name, value in student.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 128:
            raise InvalidArgument(f"student field {name!r} must be text of at most 128 characters")
        fields[name] = value
    return fields


def _cell_name(part: Part) -> str:
    """The grade cell of a part: its id; for a manual part the notebook's grade_id (`cell`) when
    set, so formgrader shows the grade next to the written answer."""
    return part.cell or part.id


def _submission_timestamp(course: Path, slug: str, candidate: str) -> dt.datetime | None:
    """nbgrader's submitted/<candidate>/<exercise>/timestamp.txt as naive UTC (nbgrader's own
    convention), if readable (`datalit.grading.course.handout.submission_time`)."""
    from datalit.grading.course.handout import submission_time

    stamp = submission_time(course, slug, candidate)
    return None if stamp is None else stamp.replace(tzinfo=None)
