"""The grader: chains the stages for each submission and runs a batch over a process pool.

Per submission, in a worker process (trusted: it only ever reads plain data from the sandbox):
execute (sandbox) -> extract -> validate (GX, imported once per worker) -> score, giving one
`GradeResult`. The main process then writes the executed notebook and the reports, and records
the result last (gradebook in one transaction, then the ledger): the ledger is the commit mark
of a submission, so "the ledger is current" means everything about it is on disk. One result
per submission, whatever the submission does, and whatever the grader itself does: a grader
exception or a worker process dying on a submission records that submission with the status
`grader_error` (0 points, retried by the next run) instead of losing it or stopping the batch.

Job slots: each worker holds one sandbox slot (its own unprivileged uid) for its lifetime,
claimed with an exclusive lock file shared by every grader process on the machine, so two
`datalit grade` runs never put two jobs on one uid (the sandbox kills a slot's leftover
processes before and after each run). The slot also owns a work folder,
`work_root()/slot-<n>/`, holding the work dir of the submission being graded; whoever claims a
slot empties its folder first, and a batch empties the folders of all free slots when it starts,
so the work dirs of a killed grader are freed by the next run on the machine.

Crash safety. Workers are started with the `spawn` method (no inherited locks, threads or file
descriptors of the main process) and ask the kernel to SIGKILL them when the main process dies
(PR_SET_PDEATHSIG); the sandbox's bwrap dies with its worker (--die-with-parent), and with it
every process of the run. So `kill -9` of `datalit grade` leaves no process behind; a rerun
skips every submission whose ledger is current and grades exactly the others.

Two grader processes on one course: each candidate is claimed (an flock on
`.datalit/claims/<exercise>/<candidate>.lock`, held by the main process from submission to the
pool until the result is recorded) before it is graded. A process finding a candidate claimed
by another one grades its other candidates first, then waits for the claim and skips the
candidate if the other process recorded a current result meanwhile; if that process died, it
grades the candidate itself. No candidate is graded by two processes at once, none is lost.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import dataclasses
import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from datalit.errors import DatalitError, InvalidArgument
from datalit.exercise import Exercise, load_exercise
from datalit.grading import seams
from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    UNREADABLE,
    GradeResult,
    OutputFile,
    PartScore,
    Score,
)

log = logging.getLogger(__name__)

SLOT_LOCK_DIR = Path(os.environ.get("DATALIT_SLOT_LOCKS", "/tmp/datalit-slots"))
WORK_ROOT_ENV = "DATALIT_WORK_ROOT"
"""Where the slots' work folders live (default: `<tmp>/datalit-work-<uid>`)."""
MAX_SLOTS = 64
MAX_SUBMISSION_BYTES = 20 * 1024**2
IN_FLIGHT_PER_WORKER = 2
"""Jobs handed to the pool per worker (one running, one queued), so no worker waits for the
main process; each of them holds its candidate's claim."""
POLL_S = 0.2
"""How often the main process looks at the pool and at claims held by another grader."""
GRADER_ERROR = "grader_error"
"""Status of a submission the grader itself failed on (a bug); recorded with 0 points and
regraded by the next run."""
_PR_SET_PDEATHSIG = 1


def grader_version() -> str:
    """Part of every result: a changed grader regrades on `--regrade` and says so in the ledger."""
    return f"datalit {metadata.version('datalit')}"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (paths only; no key is copied)."""

    exercise: str
    """The exercise slug."""
    candidate: str
    """The candidate id (already checked to be a safe folder name)."""
    notebook: Path
    """The submitted notebook (may be missing or hostile)."""
    data_dir: Path
    """The candidate's raw data from their release folder (not from the submission)."""
    answers_file: Path
    """keys/<candidate>/<exercise>/answers.json: read by the trusted worker, never sandboxed."""
    sandbox: bool
    """False for --unsafe-no-sandbox."""
    exercises_root: Path | None = None
    """The folder holding exercises/ (None: the default, see `datalit.exercise.repo_root`)."""
    keep_outputs: Path | None = None
    """Where to keep a copy of the declared output files read from the run (check-exercise's
    copy and shift proofs), as <keep_outputs>/<candidate>/<path>; None keeps nothing."""


# --- job slots and their work folders ---------------------------------------------------------

_slot: int | None = None
_slot_lock: int | None = None


def work_root() -> Path:
    """The folder holding the slots' work folders (created 0700, refused if it is a symlink
    or belongs to another user: it lives in a shared temporary folder)."""
    configured = os.environ.get(WORK_ROOT_ENV)
    root = (
        Path(configured)
        if configured
        else Path(tempfile.gettempdir()) / (f"datalit-work-{os.geteuid()}")
    )
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700, parents=True)
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise DatalitError(
            f"the grader's work folder {root} is not a folder of this user; remove it (or set "
            f"{WORK_ROOT_ENV} to another folder) and grade again"
        )
    return root


def _slot_folder(slot: int) -> Path:
    return work_root() / f"slot-{slot}"


def _lock_slot(slot: int) -> int | None:
    """An open, exclusively locked descriptor of the slot's lock file, or None if it is held."""
    SLOT_LOCK_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(SLOT_LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _reset_slot_folder(slot: int) -> None:
    """Empty the slot's work folder (its holder is gone: whatever is there is a leftover)."""
    folder = _slot_folder(slot)
    if folder.exists() or folder.is_symlink():
        remove_tree(folder)
    folder.mkdir(mode=0o700)


def claim_slot(max_slots: int = MAX_SLOTS) -> int:
    """Claim the first free sandbox slot on this machine (held until the process exits) and
    empty its work folder."""
    for slot in range(max_slots):
        fd = _lock_slot(slot)
        if fd is None:
            continue
        global _slot_lock
        _slot_lock = fd  # kept open: the lock lives as long as this process
        _reset_slot_folder(slot)
        return slot
    raise DatalitError(f"all {max_slots} sandbox slots are busy; wait for other grader runs")


def _own_slot() -> int:
    """This process's slot, claimed on first use (a worker claims it in its initializer)."""
    global _slot
    if _slot is None:
        _slot = claim_slot()
    return _slot


def sweep_work_folders(max_slots: int = MAX_SLOTS) -> int:
    """Empty the work folders of every slot nobody holds (left by a grader that was killed).
    Returns how many folders held leftovers."""
    root = work_root()
    swept = 0
    for slot in range(max_slots):
        folder = root / f"slot-{slot}"
        if not folder.is_symlink() and not (folder.is_dir() and any(folder.iterdir())):
            continue
        fd = _lock_slot(slot)
        if fd is None:
            continue  # in use by a live grader
        try:
            _reset_slot_folder(slot)
            swept += 1
        finally:
            os.close(fd)
    return swept


def remove_tree(path: Path) -> None:
    """Delete `path` and everything below it without following symlinks. A candidate controls
    the tree (depth, names, modes): shutil.rmtree recurses once per level and fails on a tree
    thousands of levels deep, so GNU rm (which does not recurse on the stack) finishes the job."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        pass
    subprocess.run(
        ["rm", "-rf", "--one-file-system", "--", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=600,
    )


def _new_workdir(candidate: str) -> Path:
    folder = _slot_folder(_own_slot())
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{candidate}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o700)
    return path


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when `parent` (the main grader process, whose main
    thread started this worker) dies, so a `kill -9` of the grader leaves no worker behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(code)}")
    if os.getppid() != parent:  # the parent died before the request was in place
        os.kill(os.getpid(), signal.SIGKILL)


def _worker_init(warm_gx: bool, parent: int) -> None:
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the main process handles it (and kills the
    # workers); a worker must not die half-way through writing its result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _own_slot()
    if warm_gx:
        from datalit.grading.validate import warm_up

        warm_up()


def _ping() -> int:
    """A job that does nothing: proves a fresh pool's worker starts."""
    return os.getpid()


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


WALL_CLOCK_STATUSES = ("cell_timeout", "total_timeout")
"""Execution statuses a busy neighbour can cause: wall-clock limits (CPU time, memory and
errors are the notebook's own)."""


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


# --- claims: one grader process per candidate at a time ---------------------------------------


def claims_folder(course: Path, slug: str) -> Path:
    """COURSE/.datalit/claims/<exercise>/: one lock file per candidate."""
    return Path(course) / ".datalit" / "claims" / slug


def try_claim(course: Path, slug: str, candidate: str) -> int | None:
    """Claim a candidate for this process: an open, exclusively locked descriptor (close it to
    release; the kernel releases it when the process dies), or None if another process holds it.
    The descriptor is not inherited by child processes (O_CLOEXEC, and workers are spawned)."""
    folder = claims_folder(course, slug)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{candidate}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


# --- a batch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSummary:
    """What `grade_batch` did."""

    graded: tuple[GradeResult, ...]
    """Results recorded by this run (without the executed notebooks' text)."""
    skipped: tuple[str, ...]
    """Candidates whose unchanged submission already had a current result."""
    failed: tuple[str, ...]
    """Candidates the grader failed on (a bug: reported, never silent). Those with a result
    in `graded` were recorded with status grader_error; the others (a set-up problem) were
    not recorded."""
    elsewhere: tuple[str, ...] = ()
    """Candidates another grader process graded while this one ran (they were claimed by it)."""
    again_alone: tuple[str, ...] = ()
    """Candidates whose run hit a wall-clock limit while another slot was busy: graded again
    with nothing beside them, and that second result is the one recorded."""


@dataclass
class _Task:
    job: Job
    sha: str
    isolated: bool = False
    """Retried alone after the pool broke while it was in flight."""
    alone: bool = False
    """Graded again with no other job in flight: its run hit a wall-clock limit while another
    slot was busy, and a neighbour must never be why a submission fails."""
    contended: bool = False
    """Another grader process held its claim when this one first tried."""


class _Pool:
    """The worker pool, rebuilt after a worker died. Workers are spawned (not forked: a fork
    would copy the main process's locks and threads) and die with the main process."""

    def __init__(self, size: int, warm_gx: bool) -> None:
        self.size = size
        self.executor = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(warm_gx, os.getpid()),
        )

    def kill(self) -> None:
        """SIGKILL the workers (their sandboxes die with them) and drop the pool."""
        processes = getattr(self.executor, "_processes", None) or {}
        for process in list(processes.values()):
            with contextlib.suppress(Exception):
                process.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)


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


class _BatchRun:
    """The main process's loop: hands claimed jobs to the pool, records what comes back."""

    def __init__(self, *, exercise, course, workers, regrade, on_result) -> None:
        self.exercise = exercise
        self.course = course
        self.workers = workers
        self.regrade = regrade
        self.on_result = on_result
        self.graded: list[GradeResult] = []
        self.failed: list[str] = []
        self.elsewhere: list[str] = []
        self.claims: dict[str, int] = {}
        self.pool: _Pool | None = None
        self.runs: collections.deque[tuple[float, float]] = collections.deque(maxlen=256)
        """When the recent jobs ran (started, ended): who was busy beside a timed-out one."""
        self.again_alone: list[str] = []

    # -- claims

    def _release(self, candidate: str) -> None:
        fd = self.claims.pop(candidate, None)
        if fd is not None:
            os.close(fd)

    def _claim(self, task: _Task) -> bool:
        """Try to claim the task's candidate. False: another process holds it (try later).
        True: done with trying; the candidate is either claimed (in `self.claims`) or another
        process recorded a current result for it meanwhile (in `self.elsewhere`)."""
        from datalit.grading.record import ledger_is_current

        cand = task.job.candidate
        fd = try_claim(self.course, self.exercise.slug, cand)
        if fd is None:
            task.contended = True
            return False
        self.claims[cand] = fd
        current = task.sha and ledger_is_current(
            self.course, self.exercise.slug, cand, task.sha, grader_version()
        )
        # Without --regrade a current ledger means done. With it, a current ledger of a
        # candidate that another process held during this run is as fresh as ours would be.
        if current and (not self.regrade or task.contended):
            self._release(cand)
            self.elsewhere.append(cand)
            self._tell(f"{cand}: graded by another grader process", None)
            return True
        return True

    # -- the pool

    def _pool_for(self, isolated: bool) -> _Pool:
        size = 1 if isolated else self.workers
        if self.pool is not None and self.pool.size == size:
            return self.pool
        if self.pool is not None:
            self.pool.executor.shutdown(wait=True)
        # An isolated retry gets a fresh one-worker pool; if even a no-op fails there, workers
        # cannot start at all: a set-up problem, not the submission's fault.
        self.pool = _Pool(size, warm_gx=not isolated)
        if isolated:
            try:
                self.pool.executor.submit(_ping).result(timeout=300)
            except Exception as exc:
                raise DatalitError(
                    f"the grader's worker processes cannot start ({type(exc).__name__}: {exc}); "
                    "see the messages above"
                ) from None
        return self.pool

    def run(self, tasks: list[_Task]) -> None:
        pending = collections.deque(tasks)
        inflight: dict[Future, _Task] = {}
        ok = False
        try:
            while pending or inflight:
                self._fill(pending, inflight)
                if not inflight:
                    if pending:  # all left are claimed by another grader process
                        time.sleep(POLL_S)
                    continue
                done, _ = wait(inflight, timeout=POLL_S, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    task = inflight.pop(future)
                    try:
                        timed = future.result()
                        result = timed.result
                    except BrokenProcessPool:
                        broken = True
                        self._after_crash(task, pending)
                        continue
                    except DatalitError as exc:
                        self._fail(task, f"grader error: {exc}")
                        continue
                    except Exception as exc:  # raised outside grade_one's own guard
                        log.error("grading %s failed: %r", task.job.candidate, exc)
                        result = grader_error_result(
                            task.job, self.exercise, f"internal error: {type(exc).__name__}"
                        )
                        timed = None
                    if timed is not None:
                        neighbours = self._busy_beside(timed, inflight)
                        self.runs.append((timed.started, timed.ended))
                        if self._again_alone(task, result, neighbours, pending):
                            continue
                    self._finish(task, result)
                if broken:
                    # Every job still in flight died with the pool: retry each alone.
                    for task in inflight.values():
                        self._after_crash(task, pending)
                    inflight.clear()
                    self.pool.executor.shutdown(wait=True)
                    self.pool = None
            ok = True
        finally:
            if self.pool is not None:
                if ok:
                    self.pool.executor.shutdown(wait=True)
                else:
                    self.pool.kill()
                self.pool = None
            for cand in list(self.claims):
                self._release(cand)

    def _fill(self, pending: collections.deque, inflight: dict) -> None:
        """Hand claimed jobs to the pool until it has enough; candidates claimed by another
        process go to the back of the queue."""
        for _ in range(len(pending)):
            if not pending:
                return
            task = pending[0]
            alone = task.isolated or task.alone
            if alone or (self.pool is not None and self.pool.size != self.workers):
                # An isolated retry or a timed-out job runs alone, and the full pool returns
                # only once it is done.
                if inflight:
                    return
            elif len(inflight) >= self.workers * IN_FLIGHT_PER_WORKER:
                return
            pending.popleft()
            if task.job.candidate not in self.claims:
                if not self._claim(task):
                    pending.append(task)
                    continue
                if task.job.candidate not in self.claims:
                    continue  # recorded by another process meanwhile
            pool = self._pool_for(task.isolated)
            inflight[pool.executor.submit(_grade_timed, task.job)] = task
            if alone:
                return

    def _busy_beside(self, timed: _Timed, inflight: dict) -> bool:
        """Whether another slot was (or may have been) running while `timed` ran: a job that
        ended after it started, or one the pool has started and not finished."""
        if self.workers == 1:
            return False
        if any(ended > timed.started for _, ended in self.runs):
            return True
        return any(future.running() for future in inflight)

    def _again_alone(self, task: _Task, result: GradeResult, busy: bool, pending) -> bool:
        """Queue a timed-out job to be graded again alone, if a neighbour may have caused the
        timeout; True if it was queued (nothing is recorded for this run)."""
        execution = result.execution
        if (
            task.alone
            or task.isolated
            or not busy
            or execution is None
            or execution.status not in WALL_CLOCK_STATUSES
        ):
            return False
        task.alone = True
        pending.appendleft(task)  # keeps its claim
        self.again_alone.append(task.job.candidate)
        log.info(
            "%s: %s while another submission was being graded; grading it again alone",
            task.job.candidate,
            execution.reason,
        )
        return True

    def _after_crash(self, task: _Task, pending: collections.deque) -> None:
        if not task.isolated:
            task.isolated = True
            pending.appendleft(task)  # keeps its claim
            return
        log.error("grading %s killed its worker process twice", task.job.candidate)
        result = grader_error_result(
            task.job, self.exercise, "the grader's worker process died while grading it"
        )
        self._finish(task, result)

    def _tell(self, message: str, result: GradeResult | None) -> None:
        if self.on_result:
            self.on_result(message, result)

    def _fail(self, task: _Task, message: str) -> None:
        self._release(task.job.candidate)
        self.failed.append(task.job.candidate)
        self._tell(f"{task.job.candidate}: {message}", None)

    def _finish(self, task: _Task, result: GradeResult) -> None:
        """Executed notebook and reports first, the record (gradebook, then ledger) last: a kill
        anywhere before the ledger is written leaves the submission to be graded again."""
        from datalit.grading.autograded import write_autograded
        from datalit.grading.course import release_mode, released_student
        from datalit.grading.record import record
        from datalit.grading.report import report

        cand = task.job.candidate
        write_autograded(
            self.course, self.exercise, cand, result.executed_notebook, task.job.notebook
        )
        result = dataclasses.replace(result, executed_notebook=None)  # bounded main memory
        try:
            report(
                course=self.course,
                exercise=self.exercise,
                result=result,
                kit_anomalies=[p.anomaly for p in self.exercise.generate.plants or ()],
                hold_feedback=release_mode(task.job.answers_file) == "assessment",
            )
        except Exception as exc:  # a report bug must not lose the grade: record it anyway
            log.exception("the report of %s failed", cand)
            self.failed.append(cand)
            self._tell(f"{cand}: report error {type(exc).__name__}: {exc}", None)
        record(
            course=self.course,
            exercise=self.exercise,
            result=result,
            student=released_student(task.job.answers_file),
        )
        self._release(cand)
        if result.status == GRADER_ERROR and cand not in self.failed:
            self.failed.append(cand)
        self.graded.append(result)
        self._tell(cand, result)


def _write_cohort(course: Path, exercise: Exercise, graded: list[GradeResult]) -> None:
    """The cohort views, from every candidate's reviewer report (this run's and earlier ones).
    Written under the course lock, so of two grader processes the one writing last sees every
    report of both."""
    from datalit.grading.record import course_lock
    from datalit.grading.report import cohort_report

    with course_lock(course):
        cohort_report(course=course, exercise=exercise, results=graded)


__all__ = [
    "GRADER_ERROR",
    "BatchSummary",
    "GradeResult",
    "Job",
    "OutputFile",
    "claim_slot",
    "grade_batch",
    "grade_one",
    "grader_error_result",
    "remove_tree",
    "sweep_work_folders",
    "try_claim",
    "work_root",
]
