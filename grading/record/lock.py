"""The course lock: one grader process at a time writes a course's gradebook and ledger (an
fcntl lock on `COURSE/.datalit/gradebook.lock`, released when the process dies)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from datalit.errors import DatalitError
from datalit.grading.record.files import PRIVATE

LOCK_FILE = "gradebook.lock"
LOCK_TIMEOUT_S = 300.0
"""How long `record` waits for another grader process holding the course's gradebook lock."""


@contextlib.contextmanager
def course_lock(course: Path) -> Iterator[None]:
    """Exclusive lock of the course's gradebook and ledger for one grader process (released on
    exit, also when the process dies). Every gradebook and ledger write holds it; the grader also
    holds it to sweep leftovers of killed runs and to write the cohort views."""
    folder = course / PRIVATE
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatalitError(
                        f"another grader process has held {folder / LOCK_FILE} for over "
                        f"{LOCK_TIMEOUT_S:.0f} s; wait for it to finish (or end it) and retry"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
