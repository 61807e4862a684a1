"""The gradebook transaction: one submission's rows (structure, student, submission, grades)
brought in line with its ledger entry with nbgrader's ORM classes, in ONE transaction of our
own, committed once (only real differences count as changes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from datalit.exercise import Exercise
from datalit.grading import seams
from datalit.grading.parts import get as get_kind
from datalit.grading.record.gradebook import _engine, _quiet_sqlalchemy


class _Changes:
    """Counts the rows created or updated in the transaction (only real differences count)."""

    def __init__(self) -> None:
        self.count = 0

    def set(self, obj: Any, **values: Any) -> None:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                self.count += 1

    def add(self, session, obj: Any) -> Any:
        session.add(obj)
        self.count += 1
        return obj


def _sync_gradebook(
    db: Path,
    course_id: str,
    exercise: Exercise,
    candidate: str,
    entry: dict,
    student: dict[str, str],
    timestamp: dt.datetime | None,
) -> bool:
    """Bring the gradebook rows of one submission in line with `entry`, in one transaction.
    Returns True if anything was written (and committed)."""
    from sqlalchemy.orm import Session

    engine = _engine(db)
    try:
        with _quiet_sqlalchemy(), Session(engine, autoflush=True) as session:
            try:
                changes = _apply(session, course_id, exercise, candidate, entry, student, timestamp)
                if not changes.count:
                    session.rollback()
                    return False
                session.flush()
                seams.reach(seams.IN_RECORD_TRANSACTION)  # the fault tests pause here
                session.commit()
                return True
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _apply(session, course_id, exercise, candidate, entry, student, timestamp) -> _Changes:
    """Create or update every row of the submission (structure, student, submission, grades)
    without committing. Mirrors `Gradebook.add_submission`: a submitted notebook for every
    notebook of the assignment, a Grade for every grade/task cell and a Comment for every
    solution/task cell, so formgrader finds what it expects even for cells nbgrader created."""
    from nbgrader.api import (
        Assignment,
        Comment,
        Course,
        Grade,
        GradeCell,
        Notebook,
        SolutionCell,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy import select

    ch = _Changes()
    slug = exercise.slug
    if session.get(Course, course_id) is None:
        ch.add(session, Course(id=course_id))
    assignment = session.scalars(select(Assignment).where(Assignment.name == slug)).one_or_none()
    if assignment is None:
        assignment = ch.add(session, Assignment(slug, course_id=course_id))
    notebook = session.scalars(
        select(Notebook).where(Notebook.assignment == assignment, Notebook.name == slug)
    ).one_or_none()
    if notebook is None:
        notebook = ch.add(session, Notebook(name=slug, assignment=assignment))
    cells = {}
    for part in entry["parts"]:
        # A part a person grades is a written answer (a markdown cell); the rest are scores of
        # the code's outputs.
        by_hand = not get_kind(part["kind"]).auto
        cell_type = "markdown" if by_hand else "code"
        cell = session.scalars(
            select(GradeCell).where(GradeCell.notebook == notebook, GradeCell.name == part["cell"])
        ).one_or_none()
        if cell is None:
            cell = ch.add(
                session,
                GradeCell(
                    name=part["cell"],
                    notebook=notebook,
                    max_score=part["max_points"],
                    cell_type=cell_type,
                ),
            )
        else:
            ch.set(cell, max_score=part["max_points"], cell_type=cell_type)
        cells[part["id"]] = cell
        if by_hand and not any(c.name == part["cell"] for c in notebook.solution_cells):
            # As nbgrader does for a manually graded answer: the cell is a solution cell too,
            # and its Comment row is where formgrader keeps what the reviewer types.
            ch.add(session, SolutionCell(name=part["cell"], notebook=notebook))

    person = session.get(Student, candidate)
    if person is None:
        person = ch.add(session, Student(id=candidate, **student))
    else:
        ch.set(person, **student)
    submission = session.scalars(
        select(SubmittedAssignment).where(
            SubmittedAssignment.assignment == assignment, SubmittedAssignment.student == person
        )
    ).one_or_none()
    if submission is None:
        submission = ch.add(
            session,
            SubmittedAssignment(assignment=assignment, student=person, timestamp=timestamp),
        )
    elif timestamp is not None:
        ch.set(submission, timestamp=timestamp)
    session.flush()  # ids for the lookups below

    ours = None
    for nb in assignment.notebooks:
        snb = session.scalars(
            select(SubmittedNotebook).where(
                SubmittedNotebook.assignment == submission, SubmittedNotebook.notebook == nb
            )
        ).one_or_none()
        if snb is None:
            snb = ch.add(session, SubmittedNotebook(notebook=nb, assignment=submission))
            session.flush()
        have_grades = set(session.scalars(select(Grade.cell_id).where(Grade.notebook == snb)))
        have_comments = set(session.scalars(select(Comment.cell_id).where(Comment.notebook == snb)))
        for cell in nb.grade_cells + nb.task_cells:
            if cell.id not in have_grades:
                ch.add(session, Grade(cell_id=cell.id, notebook=snb))
        for cell in nb.solution_cells + nb.task_cells:
            if cell.id not in have_comments:
                ch.add(session, Comment(cell_id=cell.id, notebook=snb))
        if nb is notebook:
            ours = snb
    session.flush()

    for part in entry["parts"]:
        grade = session.scalars(
            select(Grade).where(Grade.notebook == ours, Grade.cell_id == cells[part["id"]].id)
        ).one()
        if part["points"] is None:
            # Graded by hand: no auto score; waiting for a reviewer unless one has graded it.
            ch.set(grade, auto_score=None)
            if grade.manual_score is None:
                ch.set(grade, needs_manual_grade=True)
        else:
            ch.set(grade, auto_score=part["points"], needs_manual_grade=False)
    return ch
