"""`grade_batch`: the submissions of an exercise listed (skipping those whose ledger is
current), the leftovers of killed runs swept, the batch loop run, the cohort views written."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

from datalit.errors import DatalitError, InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.grader.jobs import BatchSummary, Job, grader_version
from datalit.grading.grader.loop import _BatchRun, _Task
from datalit.grading.grader.one import submission_sha256
from datalit.grading.grader.slots import sweep_work_folders
from datalit.grading.results import GradeResult


def _list_jobs(exercise, layout, names, regrade, sandbox, keep_outputs=None):
    from datalit.grading.record import ledger_is_current

    tasks, skipped = [], []
    submitted = layout.root / "submitted"
    for cand in names:
        notebook = submitted / cand / exercise.slug / exercise.notebook
        release = layout.release_dir(cand, exercise.slug)
        keys = layout.keys_dir(cand, exercise.slug)
        if not (release / "data").is_dir() or not (keys / "answers.json").is_file():
            raise DatalitError(
                f"candidate {cand!r} has no release of {exercise.slug} in {layout.root}; "
                f"run `datalit release {exercise.slug}` with a roster that lists them"
            )
        sha = submission_sha256(notebook)
        if (
            not regrade
            and sha
            and ledger_is_current(layout.root, exercise.slug, cand, sha, grader_version())
        ):
            skipped.append(cand)
            continue
        job = Job(
            exercise.slug,
            cand,
            notebook,
            release / "data",
            keys / "answers.json",
            sandbox,
            exercise.folder.parent.parent,
            Path(keep_outputs) if keep_outputs is not None else None,
        )
        tasks.append(_Task(job, sha))
    return tasks, skipped


def _clean_course_leftovers(course: Path, slug: str) -> None:
    """Temporary ledger files a killed grader left (every ledger write holds the course lock,
    so under it none is being written)."""
    from datalit.grading.record import course_lock

    folder = Path(course) / ".datalit" / "results" / slug
    if not folder.is_dir():
        return
    with course_lock(course):
        for leftover in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def grade_batch(
    *,
    exercise: Exercise,
    course: Path,
    candidates: Iterable[str] | None = None,
    jobs: int = 2,
    regrade: bool = False,
    sandbox: bool = True,
    on_result: Callable[[str, GradeResult | None], None] | None = None,
    keep_outputs: Path | None = None,
) -> BatchSummary:
    """Grade the submissions of `exercise` in `course` (all, or `candidates`).

    Every candidate ends with exactly one recorded result (or is listed in `failed` when the
    grading set-up is broken), also when a submission crashes a worker or another grader process
    works on the same course. Raises DatalitError for a set-up problem that stops the batch (no
    sandbox, an unusable gradebook, workers that cannot start).
    """
    from datalit.grading.course import Course

    layout = Course(course)
    submitted = layout.root / "submitted"
    names = (
        sorted(candidates)
        if candidates
        else sorted(p.name for p in submitted.iterdir() if (p / exercise.slug).is_dir())
        if submitted.is_dir()
        else []
    )
    if not names:
        raise InvalidArgument(
            f"no submissions of {exercise.slug} in {submitted}/: collect them first with "
            f"`datalit collect {exercise.slug} SOURCE --course {course}`"
        )
    tasks, skipped = _list_jobs(exercise, layout, names, regrade, sandbox, keep_outputs)
    if sandbox and tasks:
        from datalit.grading.sandbox import SandboxUnavailable, bwrap_available

        if not bwrap_available():
            raise SandboxUnavailable()
    sweep_work_folders()
    _clean_course_leftovers(layout.root, exercise.slug)
    run = _BatchRun(
        exercise=exercise,
        course=layout.root,
        workers=max(1, min(jobs, len(tasks) or 1)),
        regrade=regrade,
        on_result=on_result,
    )
    run.run(tasks)
    sweep_work_folders()  # work dirs of workers that were killed (a broken pool) are freed now
    if names:
        _write_cohort(layout.root, exercise, run.graded)
    return BatchSummary(
        graded=tuple(run.graded),
        skipped=tuple(skipped),
        failed=tuple(run.failed),
        elsewhere=tuple(run.elsewhere),
        again_alone=tuple(run.again_alone),
    )


def _write_cohort(course: Path, exercise: Exercise, graded: list[GradeResult]) -> None:
    """The cohort views, from every candidate's reviewer report (this run's and earlier ones).
    Written under the course lock, so of two grader processes the one writing last sees every
    report of both."""
    from datalit.grading.record import course_lock
    from datalit.grading.report import cohort_report

    with course_lock(course):
        cohort_report(course=course, exercise=exercise, results=graded)
