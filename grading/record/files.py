"""The course's files record writes: their names, and `write_atomic`, so a reader or a crash
sees the old or the new file, never a part (tmp, fsync, rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

GRADEBOOK = "gradebook.db"
CONFIG = "nbgrader_config.py"
PRIVATE = ".datalit"
SQLITE_TIMEOUT_S = 30
"""How long a write waits for another SQLite writer (formgrader) before failing."""


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader or a crash sees the old or the new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _default_mode())  # mkstemp's 0600 would hide the file from formgrader
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _default_mode() -> int:
    """The mode a plainly created file gets under the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
