"""Opening an output without following anything: the path walked one component at a time with
O_NOFOLLOW from the work dir's descriptor, only regular files opened (O_NONBLOCK, checked again
with fstat), at most the size limit plus one byte read; and copying the outputs for
check-exercise the same way."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from datalit.exercise import Exercise, Output
from datalit.grading.extract.limits import Unusable, _megabytes


@dataclass(frozen=True)
class _Opened:
    """The bytes of one output file, read safely."""

    data: bytes
    sha256: str


def _describe_mode(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file or folder"


def _read_bytes(output: Output, workdir: Path) -> _Opened:
    """The bytes of `workdir/output.path`, read without following symlinks or blocking.

    Raises:
        FileNotFoundError: the file (or a folder on its path) does not exist.
        Unusable: anything else that stops us reading it, with the reason.
    """
    parts = PurePosixPath(output.path).parts
    # The exercise model refuses absolute paths and "..", but this stage must not depend on that.
    if not parts or any(p in ("", ".", "..", "/") for p in parts):
        raise Unusable(f"{output.path} is not a path inside the work dir")
    nofollow = os.O_NOFOLLOW | os.O_CLOEXEC
    dir_fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for depth, name in enumerate(parts[:-1], start=1):
            where = "/".join(parts[:depth])
            mode = _lstat_mode(name, dir_fd)
            if not stat.S_ISDIR(mode):
                raise Unusable(
                    f"{where} is {_describe_mode(mode)}, not a folder; "
                    f"write {output.path} into a real folder"
                )
            try:
                next_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=dir_fd)
            except OSError as exc:
                raise _open_error(exc, where) from None
            os.close(dir_fd)
            dir_fd = next_fd
        name = parts[-1]
        mode = _lstat_mode(name, dir_fd)
        if not stat.S_ISREG(mode):
            raise Unusable(f"{output.path} is {_describe_mode(mode)}; write a regular file")
        try:
            # O_NONBLOCK: if the name was swapped for a FIFO since the lstat, open still returns.
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | nofollow, dir_fd=dir_fd)
        except OSError as exc:
            raise _open_error(exc, output.path) from None
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unusable(f"{output.path} is {_describe_mode(st.st_mode)}; write a regular file")
        if st.st_size > output.max_bytes:
            raise Unusable(_too_big(output, st.st_size))
        data = _read_at_most(fd, output.max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > output.max_bytes:
        raise Unusable(_too_big(output, len(data)))
    return _Opened(data=data, sha256=hashlib.sha256(data).hexdigest())


def copy_outputs(exercise: Exercise, workdir: Path, dest: Path) -> None:
    """Copy the declared outputs that can be read, read as `extract` reads them (no links,
    capped), to `dest`/<path> (check-exercise keeps them for its copy and shift proofs)."""
    for output in exercise.outputs:
        try:
            data = _read_bytes(output, workdir).data
        except (FileNotFoundError, Unusable, OSError):
            continue
        target = dest / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _lstat_mode(name: str, dir_fd: int) -> int:
    try:
        return os.lstat(name, dir_fd=dir_fd).st_mode
    except FileNotFoundError:
        raise
    except NotADirectoryError:
        raise FileNotFoundError(name) from None
    except OSError as exc:
        raise Unusable(f"{name} cannot be read ({os.strerror(exc.errno or 0)})") from None


def _open_error(exc: OSError, where: str) -> Exception:
    if exc.errno == errno.ENOENT:
        return FileNotFoundError(where)
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        # Swapped for a symlink between lstat and open.
        return Unusable(f"{where} is a symbolic link; write a regular file")
    return Unusable(f"{where} cannot be read ({os.strerror(exc.errno or 0)})")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _too_big(output: Output, size: int) -> str:
    return (
        f"{output.path} is larger than the {_megabytes(output.max_bytes)} limit "
        f"({_megabytes(size)} or more)"
    )
