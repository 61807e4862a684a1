"""The worker pool: spawned worker processes that die with the main process (PR_SET_PDEATHSIG),
ignore Ctrl-C, hold their slot for life and warm up GX; rebuilt after a worker died."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

from datalit.grading.grader.slots import _own_slot

_PR_SET_PDEATHSIG = 1


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
