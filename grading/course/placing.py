"""Moving folders into place: a finished folder swapped in for the old one (one renameat2
exchange through libc where the kernel has it), the staging folders they are built in (and
the sweep of those a killed process left), and the file hashes that compare a staged folder
with the one in place.

Every candidate folder is built in a staging folder and swapped into place, so a re-run or a
crash never leaves a half-written release or submission."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import re
import secrets
import shutil
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.grading.course.layout import Course

_RENAME_EXCHANGE = 2


@functools.cache
def _libc():
    # The symbols already loaded into this process (glibc on Linux); no ldconfig subprocess.
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc = _libc()
    renameat2 = getattr(libc, "renameat2", None) if libc else None
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _replace_dir(staged: Path, target: Path, keep: Path | None = None) -> None:
    """Put the finished folder `staged` at `target`, replacing what was there (moved to `keep`
    when given, else deleted).

    Readers see the old folder or the new one, never a mix: the swap is one renameat2 exchange
    where the kernel has it, else two renames in the same folder (a moment with no folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    incoming = target.parent / f".{target.name}.incoming-{os.getpid()}-{token}"
    try:
        staged.rename(incoming)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copytree(staged, incoming, symlinks=True)
        shutil.rmtree(staged)
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise InvalidArgument(f"{target} exists and is not a folder; move it away first")
        if target.is_dir() and _exchange(incoming, target):
            # `incoming` now holds the old folder.
            incoming.rename(keep) if keep is not None else shutil.rmtree(incoming)
            return
        if target.is_dir():
            old = keep or target.parent / f".{target.name}.old-{os.getpid()}-{token}"
            target.rename(old)
            incoming.rename(target)
            if keep is None:
                shutil.rmtree(old)
        else:
            incoming.rename(target)
    finally:
        if incoming.exists():
            shutil.rmtree(incoming, ignore_errors=True)


_STAGED = re.compile(r"^.+-(\d+)-[0-9a-f]{8}$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_staging(course: Course) -> None:
    """Remove staging folders of processes that no longer run (a release or collect that was
    killed): their names end in -<pid>-<token>. A live process's folder is never touched."""
    with contextlib.suppress(OSError), os.scandir(course.staging_dir) as entries:
        for entry in entries:
            m = _STAGED.match(entry.name)
            if m and not _pid_alive(int(m.group(1))) and not entry.is_symlink():
                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def _staging(course: Course, label: str):
    course.staging_dir.mkdir(parents=True, exist_ok=True)
    _sweep_staging(course)
    folder = course.staging_dir / f"{label}-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _file_hashes(root: Path) -> dict[str, str]:
    import hashlib

    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
