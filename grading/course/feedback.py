"""Releasing feedback (assessment mode): which candidates have held feedback waiting
(`feedback_waiting`), and moving it to COURSE/feedback/<c>/<ex>/, each folder replaced whole
(`release_feedback`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.course.layout import Course, _check_component
from datalit.grading.course.placing import _replace_dir, _staging


def feedback_waiting(
    *, exercise: Exercise, course: Path, candidates: list[str] | None = None
) -> list[str]:
    """The candidates whose held feedback (assessment mode) `release_feedback` would release:
    all who have some, or the named ones.

    Raises:
        InvalidArgument: a named candidate has no held feedback (not graded yet, or graded in
            practice mode, where feedback is released at once).
    """
    from datalit.grading.report import held_feedback_dir

    held_root = held_feedback_dir(Path(course), exercise.slug, "x").parent
    held = sorted(p.name for p in held_root.iterdir() if p.is_dir()) if held_root.is_dir() else []
    if not candidates:
        return held
    for c in candidates:
        _check_component(c, "candidate id")
    unknown = sorted(set(candidates) - set(held))
    if unknown:
        raise InvalidArgument(
            f"no held feedback for {', '.join(unknown)} in {held_root}: grade them first "
            "(`datalit grade`); practice releases write feedback at once"
        )
    return sorted(set(candidates))


def release_feedback(
    *, exercise: Exercise, course: Path, candidates: list[str] | None = None
) -> list[str]:
    """Move held candidate views (assessment mode) to COURSE/feedback/<c>/<exercise>/.

    Each candidate's feedback folder is replaced whole (atomically), so a candidate sees the
    previous release or this one, never a mix. Returns the candidates released.

    Raises:
        InvalidArgument: as `feedback_waiting`.
    """
    from datalit.grading.report import held_feedback_dir

    layout = Course(Path(course))
    held_root = held_feedback_dir(layout.root, exercise.slug, "x").parent
    held = feedback_waiting(exercise=exercise, course=course, candidates=candidates)
    for c in held:
        with _staging(layout, f"feedback-{c}") as work:
            staged = work / "feedback"
            shutil.copytree(held_root / c, staged)
            _replace_dir(staged, layout.feedback_dir(c, exercise.slug))
        # Released: nothing waits for this candidate until a regrade holds new feedback.
        shutil.rmtree(held_root / c)
    return held
