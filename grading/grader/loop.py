"""The batch loop of the main process: claimed jobs handed to the pool, results recorded as they
come back (executed notebook and reports first, the record last), a crashed worker's jobs
retried alone, and a job that timed out beside a busy slot graded again alone."""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from datalit.errors import DatalitError
from datalit.grading.grader.jobs import GRADER_ERROR, Job, grader_version
from datalit.grading.grader.one import _grade_timed, _Timed, grader_error_result
from datalit.grading.grader.pool import _ping, _Pool
from datalit.grading.grader.slots import try_claim
from datalit.grading.results import GradeResult

log = logging.getLogger(__package__)

IN_FLIGHT_PER_WORKER = 2
"""Jobs handed to the pool per worker (one running, one queued), so no worker waits for the
main process; each of them holds its candidate's claim."""
POLL_S = 0.2
"""How often the main process looks at the pool and at claims held by another grader."""
WALL_CLOCK_STATUSES = ("cell_timeout", "total_timeout")
"""Execution statuses a busy neighbour can cause: wall-clock limits (CPU time, memory and
errors are the notebook's own)."""


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
