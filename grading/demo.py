"""`datalit demo`: the whole loop on `orders-cleanup` with three candidates.

The reference solution, a naive attempt (drop NaN + drop exact duplicates) and the untouched
release are released, submitted, collected and graded like real candidates' work.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from datalit.exercise import Exercise, load_exercise

DEMO_EXERCISE = "orders-cleanup"
CANDIDATES = {
    "reference": "the reference solution",
    "naive": "a naive attempt: drop NaN + drop exact duplicates",
    "untouched": "the release notebook, unchanged",
}


def run_demo(
    *,
    course: Path | None,
    grade: Callable[[Exercise, Path], object],
) -> tuple[Exercise, Path, object]:
    """Release, submit, collect and grade; `grade(exercise, course)` runs the batch."""
    from datalit.grading.course import collect, release, release_feedback

    exercise = load_exercise(DEMO_EXERCISE)
    course = Path(course) if course else Path(tempfile.mkdtemp(prefix="datalit-demo-"))
    course.mkdir(parents=True, exist_ok=True)
    roster = course / "demo-roster.csv"
    roster.write_text(
        "id,name\n" + "".join(f"{cid},{desc}\n" for cid, desc in CANDIDATES.items()),
        encoding="utf-8",
    )
    release(exercise=exercise, course=course, roster=roster)
    incoming = course / "incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    solutions = exercise.solution_folder
    shutil.copyfile(solutions / exercise.notebook, incoming / "reference.ipynb")
    shutil.copyfile(solutions / "naive.ipynb", incoming / "naive.ipynb")
    released = course / "release" / "untouched" / exercise.slug / exercise.notebook
    shutil.copyfile(released, incoming / "untouched.ipynb")
    collect(exercise=exercise, course=course, source=incoming)
    summary = grade(exercise, course)
    # An assessment: the reviewer releases the feedback when done (here, at once).
    release_feedback(exercise=exercise, course=course)
    return exercise, course, summary
