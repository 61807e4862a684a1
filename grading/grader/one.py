"""Grading one submission, in a worker: execute (sandbox) -> extract -> validate -> score, giving
one `GradeResult` (zero scores when there is nothing to score, a `grader_error` result when the
grader itself fails), and the submission's sha256."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import DatalitError
from datalit.exercise import Exercise, load_exercise
from datalit.grading import seams
from datalit.grading.grader.jobs import GRADER_ERROR, MAX_SUBMISSION_BYTES, Job, grader_version
from datalit.grading.grader.slots import _new_workdir, _own_slot
from datalit.grading.grader.workdirs import remove_tree
from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    UNREADABLE,
    GradeResult,
    PartScore,
    Score,
)

log = logging.getLogger(__package__)


def submission_sha256(notebook: Path) -> str:
    """sha256 of the submitted notebook's bytes ("" when there is none)."""
    try:
        with open(notebook, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
    except OSError:
        return ""
    return hashlib.sha256(data).hexdigest()


def _zero_score(exercise: Exercise, status: str, reason: str) -> Score:
    parts = []
    for p in exercise.parts:
        if not p.auto:  # still the reviewer's to grade, whatever happened to the rest
            parts.append(PartScore(p.id, p.kind, p.title, 0.0, p.points, NEEDS_MANUAL))
        else:
            parts.append(PartScore(p.id, p.kind, p.title, 0.0, p.points, status, feedback=reason))
    return Score(parts=tuple(parts))


def _common(job: Job, sha: str) -> dict:
    return {
        "exercise": job.exercise,
        "candidate": job.candidate,
        "submission_sha256": sha,
        "grader_version": grader_version(),
        "unsafe_no_sandbox": not job.sandbox,
    }


def grader_error_result(
    job: Job, exercise: Exercise, what: str, *, execution=None, duration_s: float = 0.0
) -> GradeResult:
    """The result recorded when the grader itself failed on a submission. `what` names the
    failure without details: exception messages can hold paths or key values."""
    reason = (
        f"the grader failed on this submission ({what}); it is recorded with 0 points and "
        "will be graded again by the next run, once the grader is fixed"
    )
    return GradeResult(
        **_common(job, submission_sha256(job.notebook)),
        status=GRADER_ERROR,
        reason=reason,
        execution=execution,
        score=_zero_score(exercise, UNREADABLE, reason),
        duration_s=duration_s,
    )


def grade_one(job: Job) -> GradeResult:
    """Run every stage for one submission. Never raises for anything the candidate did: a
    failure of the grader's own stages gives a `grader_error` result. Raises DatalitError only
    for a problem of the grading set-up (no sandbox, a broken exercise or release)."""
    from datalit.grading.extract import copy_outputs, extract
    from datalit.grading.rows import EXPECTED_DIR, read_expected
    from datalit.grading.sandbox import Limits, execute
    from datalit.grading.score import score
    from datalit.grading.validate import validate

    start = time.perf_counter()
    exercise = load_exercise(job.exercise, job.exercises_root)
    sha = submission_sha256(job.notebook)
    common = _common(job, sha)
    if not sha:
        reason = f"no notebook named {exercise.notebook} was submitted"
        return GradeResult(
            **common,
            status="missing_notebook",
            reason=reason,
            execution=None,
            score=_zero_score(exercise, NOT_ATTEMPTED, reason),
            duration_s=time.perf_counter() - start,
        )
    seams.reach(seams.WORKER_GRADING, candidate=job.candidate)  # the fault tests kill here
    limits = Limits(
        memory_bytes=exercise.limits.memory_mb * 1024**2,
        cell_timeout_s=exercise.limits.cell_timeout_s,
        total_timeout_s=exercise.limits.total_timeout_s,
    )
    inputs = {f"data/{p.name}": p for p in sorted(job.data_dir.iterdir()) if p.is_file()}
    workdir = _new_workdir(job.candidate)
    stage = "execute"
    try:
        try:
            execution = execute(
                job.notebook,
                workdir=workdir,
                inputs=inputs,
                limits=limits,
                slot=_own_slot(),
                sandbox=job.sandbox,
            )
            if execution.status in ("invalid_notebook", "sandbox_error"):
                return GradeResult(
                    **common,
                    status=execution.status,
                    reason=execution.reason,
                    execution=execution,
                    score=_zero_score(exercise, UNREADABLE, execution.reason),
                    duration_s=time.perf_counter() - start,
                )
            # The key is read only now: while candidate code ran, it was nowhere but on disk,
            # outside the sandbox.
            stage = "answer key"
            truth = json.loads(job.answers_file.read_text(encoding="utf-8"))
            expected = read_expected(job.answers_file.parent / EXPECTED_DIR, exercise)
            stage = "extract"
            extracted = extract(exercise, workdir)
            if job.keep_outputs is not None:
                copy_outputs(exercise, workdir, job.keep_outputs / job.candidate)
            stage = "validate"
            validation = validate(exercise, extracted, parameters=truth["suite_parameters"])
            stage = "score"
            scored = score(
                exercise, extracted, validation, answers=truth["answers"], expected=expected
            )
            executed = _read_executed_notebook(execution.executed_notebook)
        except DatalitError:
            raise
        except Exception as exc:  # a grader bug met this submission: record it, keep going
            log.exception("grading %s/%s failed in %s", job.exercise, job.candidate, stage)
            return grader_error_result(
                job,
                exercise,
                f"internal error in the {stage} stage: {type(exc).__name__}",
                duration_s=time.perf_counter() - start,
            )
    finally:
        remove_tree(workdir)
    return GradeResult(
        **common,
        status="graded",
        reason=execution.reason,
        execution=dataclasses.replace(execution, executed_notebook=None),
        score=scored,
        validation=validation,
        duration_s=time.perf_counter() - start,
        executed_notebook=executed,
    )


@dataclass(frozen=True)
class _Timed:
    """A worker's result with when it was graded (CLOCK_MONOTONIC is one clock for every
    process of the machine), so the main process can tell which runs overlapped."""

    result: GradeResult
    started: float
    ended: float


def _grade_timed(job: Job) -> _Timed:
    started = time.monotonic()
    result = grade_one(job)
    return _Timed(result, started, time.monotonic())


def _read_executed_notebook(path: Path | None) -> str | None:
    """The executed notebook's text before the work dir is deleted (size-capped, no symlinks)."""
    if path is None:
        return None
    with contextlib.suppress(OSError):
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
            data = fh.read(MAX_SUBMISSION_BYTES + 1)
        if len(data) <= MAX_SUBMISSION_BYTES:
            return data.decode("utf-8", errors="replace")
    return None
