"""Independent column builds run side by side.

Building or gathering a million-row column is mostly touching fresh memory and copying bytes,
which numpy and Arrow do without holding the GIL, so two threads build two columns in about the
time of one. Only work without randomness runs here: everything random is drawn beforehand from
the run's one rng, in order, so a seed gives the same output whatever the threads' timing. No
task waits for another task, so the pool cannot deadlock, whatever its size.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _new_pool() -> ThreadPoolExecutor:
    # Threads start on first use; more than a few would only contend for memory bandwidth.
    return ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="datalit")


_POOL = _new_pool()


def _after_fork_in_child() -> None:
    # A forked process inherits the pool but not its threads: it needs a pool of its own.
    global _POOL
    _POOL = _new_pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """[fn(item) for item in items], computed on the pool's threads, in the items' order."""
    return list(_POOL.map(fn, items))


def in_background(fn: Callable[[], R]) -> Future[R]:
    """Start fn() on the pool; the caller goes on and collects it with `.result()`."""
    return _POOL.submit(fn)


# How long a thread running Python keeps the GIL when another thread asks for it. Python's default
# is 5 ms: a thread coming back from numpy or Arrow work (which releases the GIL) then waits up to
# that long for a worker that is running Python. Generation's Python steps are short, so a short
# interval lets the threads take turns instead.
SWITCH_INTERVAL = 0.0002


@contextlib.contextmanager
def short_switch_interval() -> Iterator[None]:
    """Within the block, threads hand the GIL over after `SWITCH_INTERVAL` (restored after)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)
