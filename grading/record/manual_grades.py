"""Clearing what reviewers graded by hand (`clear_manual_grades`, `StaleGrade`), when collect
replaces the submission those grades were given to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalit.exercise import Exercise
from datalit.grading.record.files import GRADEBOOK
from datalit.grading.record.gradebook import _engine, _quiet_sqlalchemy
from datalit.grading.record.inputs import check_candidate
from datalit.grading.record.lock import course_lock


@dataclass(frozen=True)
class StaleGrade:
    """A reviewer's grade of a submission that was replaced (cleared by `clear_manual_grades`)."""

    cell: str
    """The grade (or solution) cell's name: a part id, or a manual part's grade_id."""
    max_score: float | None
    manual_score: float | None
    extra_credit: float | None
    comment: str


def clear_manual_grades(course: Path, exercise: Exercise, candidate: str) -> tuple[StaleGrade, ...]:
    """Clear what reviewers gave `candidate`'s recorded submission of `exercise` by hand: every
    `manual_score` and `extra_credit` (a manual part's, or an override of an auto part) and every
    comment, in one transaction. A manual part then needs a manual grade again; an auto part
    falls back to its auto score. Called when collect replaces the submission: those grades were
    given to the old notebook. Returns what was cleared (empty when there was nothing)."""
    from nbgrader.api import Assignment, SubmittedAssignment
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    course = Path(course).resolve()
    candidate = check_candidate(candidate)
    db = course / GRADEBOOK
    if not db.is_file():
        return ()
    with course_lock(course):
        engine = _engine(db)
        try:
            with _quiet_sqlalchemy(), Session(engine) as session:
                submission = session.scalars(
                    select(SubmittedAssignment)
                    .join(Assignment)
                    .where(
                        Assignment.name == exercise.slug,
                        SubmittedAssignment.student_id == candidate,
                    )
                ).one_or_none()
                stale = []
                for notebook in submission.notebooks if submission is not None else ():
                    comments = {c.name: c for c in notebook.comments}
                    for grade in notebook.grades:
                        comment = comments.pop(grade.name, None)
                        text = (comment.manual_comment or "") if comment is not None else ""
                        if grade.manual_score is None and grade.extra_credit is None and not text:
                            continue
                        stale.append(
                            StaleGrade(
                                grade.name,
                                grade.max_score,
                                grade.manual_score,
                                grade.extra_credit,
                                text,
                            )
                        )
                        grade.manual_score = None
                        grade.extra_credit = None
                        if grade.auto_score is None:
                            grade.needs_manual_grade = True
                        if comment is not None:
                            comment.manual_comment = None
                    for comment in comments.values():
                        if comment.manual_comment:
                            stale.append(
                                StaleGrade(comment.name, None, None, None, comment.manual_comment)
                            )
                            comment.manual_comment = None
                if stale:
                    session.commit()
                else:
                    session.rollback()
                return tuple(stale)
        finally:
            engine.dispose()
