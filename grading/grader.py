"""The grader: chains the stages for each submission and runs a batch over a process pool.

Per submission, in a worker process (trusted: it only ever reads plain data from the sandbox):
execute (sandbox) -> extract -> validate (GX, imported once per worker) -> score, giving one
`GradeResult`. The main process then records it (gradebook, one transaction, under a lock) and
writes the reports. One result per submission, whatever the submission does.

Job slots: each worker holds one sandbox slot (its own unprivileged uid) for its lifetime,
claimed with an exclusive lock file shared by every grader process on the machine, so two
`datalit grade` runs never put two jobs on one uid (the sandbox kills a slot's leftover
processes before and after each run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    UNREADABLE,
    GradeResult,
    OutputFile,
    PartScore,
    Score,
)

from datalit.errors import DatalitError
from datalit.exercise import Exercise, load_exercise

SLOT_LOCK_DIR = Path(os.environ.get("DATALIT_SLOT_LOCKS", "/tmp/datalit-slots"))
MAX_SUBMISSION_BYTES = 20 * 1024**2


def grader_version() -> str:
    """Part of every result: a changed grader regrades on `--regrade` and says so in the ledger."""
    return f"datalit {metadata.version('datalit')}"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (paths only; no key is copied)."""

    exercise: str
    candidate: str
    notebook: Path
    """The submitted notebook (may be missing or hostile)."""
    data_dir: Path
    """The candidate's raw data from their release folder (not from the submission)."""
    answers_file: Path
    """keys/<candidate>/<exercise>/answers.json: read by the trusted worker, never sandboxed."""
    sandbox: bool
    exercises_root: Path | None = None


# --- job slots --------------------------------------------------------------------------------

_slot: int | None = None
_slot_lock: int | None = None


def claim_slot(max_slots: int = 64) -> int:
    """Claim the first free sandbox slot on this machine (held until the process exits)."""
    SLOT_LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for slot in range(max_slots):
        fd = os.open(SLOT_LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        global _slot_lock
        _slot_lock = fd  # kept open: the lock lives as long as this process
        return slot
    raise DatalitError(f"all {max_slots} sandbox slots are busy; wait for other grader runs")


def _worker_init(warm_gx: bool) -> None:
    global _slot
    _slot = claim_slot()
    if warm_gx:
        from datalit.grading.validate import warm_up

        warm_up()


# --- one submission ---------------------------------------------------------------------------


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
        if p.kind == "manual":
            parts.append(PartScore(p.id, p.kind, p.title, 0.0, p.points, NEEDS_MANUAL))
        else:
            parts.append(PartScore(p.id, p.kind, p.title, 0.0, p.points, status, feedback=reason))
    return Score(parts=tuple(parts))


def grade_one(job: Job) -> GradeResult:
    """Run every stage for one submission. Never raises for anything the candidate did."""
    from datalit.grading.extract import extract
    from datalit.grading.sandbox import Limits, execute
    from datalit.grading.score import score
    from datalit.grading.validate import validate

    start = time.perf_counter()
    exercise = load_exercise(job.exercise, job.exercises_root)
    sha = submission_sha256(job.notebook)
    common = {
        "exercise": job.exercise,
        "candidate": job.candidate,
        "submission_sha256": sha,
        "grader_version": grader_version(),
        "unsafe_no_sandbox": not job.sandbox,
    }
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
    truth = json.loads(job.answers_file.read_text(encoding="utf-8"))
    limits = Limits(
        memory_bytes=exercise.limits.memory_mb * 1024**2,
        cell_timeout_s=exercise.limits.cell_timeout_s,
        total_timeout_s=exercise.limits.total_timeout_s,
    )
    inputs = {f"data/{p.name}": p for p in sorted(job.data_dir.iterdir()) if p.is_file()}
    workdir = Path(tempfile.mkdtemp(prefix=f"datalit-{job.candidate}-"))
    try:
        execution = execute(
            job.notebook,
            workdir=workdir,
            inputs=inputs,
            limits=limits,
            slot=_slot if _slot is not None else claim_slot(),
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
        extracted = extract(exercise, workdir)
        validation = validate(exercise, extracted, parameters=truth["suite_parameters"])
        scored = score(exercise, extracted, validation, answers=truth["answers"])
        executed = _read_executed_notebook(execution.executed_notebook)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
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


# --- a batch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSummary:
    """What `grade_batch` did."""

    graded: tuple[GradeResult, ...]
    skipped: tuple[str, ...]
    """Candidates whose unchanged submission already has a current result."""
    failed: tuple[str, ...]
    """Candidates whose grading crashed inside the grader (a bug: reported, never silent)."""


def grade_batch(
    *,
    exercise: Exercise,
    course: Path,
    candidates: Iterable[str] | None = None,
    jobs: int = 2,
    regrade: bool = False,
    sandbox: bool = True,
    on_result: Callable[[str, GradeResult | None], None] | None = None,
) -> BatchSummary:
    """Grade the submissions of `exercise` in `course` (all, or `candidates`)."""
    from datalit.grading.course import Course
    from datalit.grading.record import ledger_is_current, record
    from datalit.grading.report import cohort_report, report

    layout = Course(course)
    submitted = layout.root / "submitted"
    names = (
        sorted(candidates)
        if candidates
        else sorted(p.name for p in submitted.iterdir() if (p / exercise.slug).is_dir())
        if submitted.is_dir()
        else []
    )
    todo, skipped = [], []
    for cand in names:
        notebook = submitted / cand / exercise.slug / exercise.notebook
        release = layout.release_dir(cand, exercise.slug)
        keys = layout.keys_dir(cand, exercise.slug)
        if not (release / "data").is_dir() or not (keys / "answers.json").is_file():
            raise DatalitError(
                f"candidate {cand!r} has no release of {exercise.slug} in {course}; "
                f"run `datalit release {exercise.slug}` with a roster that lists them"
            )
        sha = submission_sha256(notebook)
        if (
            not regrade
            and sha
            and ledger_is_current(course, exercise.slug, cand, sha, grader_version())
        ):
            skipped.append(cand)
            continue
        todo.append(
            Job(
                exercise.slug,
                cand,
                notebook,
                release / "data",
                keys / "answers.json",
                sandbox,
                exercise.folder.parent.parent,
            )
        )
    if sandbox:
        from datalit.grading.sandbox import SandboxUnavailable, bwrap_available

        if todo and not bwrap_available():
            raise SandboxUnavailable()
    graded, failed = [], []
    with ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(todo) or 1)),
        initializer=_worker_init,
        initargs=(True,),
    ) as pool:
        futures = {pool.submit(grade_one, job): job for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a grader bug: say so, keep grading the others
                failed.append(job.candidate)
                if on_result:
                    on_result(f"{job.candidate}: grader error {type(exc).__name__}: {exc}", None)
                continue
            _write_autograded(layout, exercise, job.candidate, result.executed_notebook)
            record(course=course, exercise=exercise, result=result)
            report(
                course=course,
                exercise=exercise,
                result=result,
                kit_anomalies=[p.anomaly for p in exercise.generate.plants or ()],
            )
            graded.append(result)
            if on_result:
                on_result(job.candidate, result)
    if graded:
        cohort_report(course=course, exercise=exercise, results=graded)
    return BatchSummary(tuple(graded), tuple(skipped), tuple(failed))


def _write_autograded(layout, exercise: Exercise, candidate: str, text: str | None) -> None:
    """The executed notebook where formgrader looks for it (written atomically)."""
    if text is None:
        return
    folder = layout.autograded_dir(candidate, exercise.slug)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / exercise.notebook
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as fh:
        fh.write(text)
    os.replace(fh.name, target)


__all__ = ["BatchSummary", "GradeResult", "Job", "OutputFile", "grade_batch", "grade_one"]
