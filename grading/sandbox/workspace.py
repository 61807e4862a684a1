"""The work space of a sandboxed run: a size-limited tmpfs on the work dir, copied back after.

The work dir of a sandboxed run is a tmpfs mounted on it for the run: its size and inode
count bound what a notebook can store (the host's disk and /tmp are out of its reach), and
unmounting frees it at once, whatever the notebook left (a tree thousands of levels deep, a
million files, folders without permissions). After the run, and after every process of the
run is gone, what the tmpfs holds is copied to the real folder, to a bounded depth, without
following anything (symlinks and FIFOs are recreated as such, for the extract stage to refuse
with a reason), and the tmpfs is unmounted. The mount happens in a private mount namespace of
the grading process (made once per thread), so it is invisible to the rest of the machine and
disappears with the process if the grader is killed mid-run.

Owns the private mount namespace, the tmpfs's life (mount, "is it full", keep, release) and the
bounded copy back (`_copy_tree`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import os
import secrets
import shutil
import stat
import threading
from pathlib import Path

from datalit.grading.sandbox.limits import Limits, SandboxUnavailable

# One logger for the whole package, as when it was one module.
log = logging.getLogger(__package__)

KEPT_DEPTH = 32
"""Folder levels below the work dir kept after the run (with the files in them); deeper ones
are dropped (declared outputs and the executed notebook are a few levels deep)."""
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
_MNT_DETACH = 0x2
_CLONE_NEWNS = 0x00020000
_TMPFS_SOURCE = b"datalit-work"
_private_mounts = threading.local()


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _libc_call(name: str, *args) -> None:
    libc = _libc()
    function = getattr(libc, name, None) if libc is not None else None
    if function is None:
        raise OSError(errno.ENOSYS, f"{name} is not available")
    if function(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{name}: {os.strerror(code)}")


def _private_mount_namespace() -> bool:
    """Put the calling thread in a mount namespace of its own (once); False if it cannot be."""
    if getattr(_private_mounts, "ready", None) is None:
        try:
            _libc_call("unshare", _CLONE_NEWNS)
            # Without this, mounts would still propagate to the host's namespace (shared /).
            _libc_call("mount", b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
            _private_mounts.ready = True
        except OSError as e:
            log.warning("no private mount namespace (%s): work dirs are not size-limited", e)
            _private_mounts.ready = False
    return _private_mounts.ready


class _WorkSpace:
    """The tmpfs on a sandboxed run's work dir (see above)."""

    def __init__(self, workdir: Path, limits: Limits):
        self.workdir = workdir
        self.limits = limits
        self.mounted = False

    def mount(self) -> None:
        if not _private_mount_namespace():
            return
        options = f"size={self.limits.max_disk_bytes},nr_inodes={self.limits.max_files},mode=0700"
        try:
            _libc_call(
                "mount",
                _TMPFS_SOURCE,
                os.fsencode(self.workdir),
                b"tmpfs",
                _MS_NOSUID | _MS_NODEV,
                options.encode(),
            )
        except OSError as e:
            # A set-up problem of the machine, the same for every submission: stop the batch.
            raise SandboxUnavailable(f"the work dir's tmpfs cannot be mounted ({e})") from None
        self.mounted = True

    def full(self) -> bool:
        """True if the run used up the work dir's bytes or files (some of its writes failed)."""
        if not self.mounted:
            return False
        st = os.statvfs(self.workdir)
        # A few blocks of slack: a write that failed for lack of space can leave some free.
        return st.f_bavail * st.f_frsize < 64 * 1024 or st.f_favail < 4

    def keep(self) -> None:
        """Copy the run's files to the real folder and unmount (no process of the run is left)."""
        if not self.mounted:
            return
        kept = self.workdir.with_name(f".{self.workdir.name}.kept-{secrets.token_hex(4)}")
        try:
            _copy_tree(self.workdir, kept, self.limits)
            self.release()
            self.workdir.rmdir()  # the empty mount point
            kept.rename(self.workdir)
        finally:
            if kept.exists():
                shutil.rmtree(kept, ignore_errors=True)

    def release(self) -> None:
        if self.mounted:
            _libc_call("umount2", os.fsencode(self.workdir), _MNT_DETACH)
            self.mounted = False


class _CopyBudget:
    """What the copy back may write to the real disk: no more bytes and entries than the tmpfs
    could hold. Without it, hard links (one inode on the tmpfs, a full copy per name) and
    sparse files would multiply a small tmpfs into terabytes."""

    def __init__(self, limits: Limits):
        self.bytes = limits.max_disk_bytes
        self.entries = limits.max_files

    def entry(self) -> bool:
        self.entries -= 1
        return self.entries >= 0


def _copy_tree(source: Path, target: Path, limits: Limits) -> None:
    """Copy `source` to the new folder `target` without following anything (see above)."""
    target.mkdir(mode=0o700)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    src = os.open(source, flags)
    dst = os.open(target, flags)
    try:
        _copy_folder(src, dst, 1, _CopyBudget(limits))
    finally:
        os.close(src)
        os.close(dst)


def _copy_folder(src: int, dst: int, depth: int, budget: _CopyBudget) -> None:
    # Recursion is bounded by KEPT_DEPTH, and only the descriptors of the current path are open.
    with os.scandir(src) as it:
        entries = list(it)
    for entry in entries:
        name = entry.name
        try:
            mode = os.lstat(name, dir_fd=src).st_mode
            if stat.S_ISDIR(mode) and depth > KEPT_DEPTH:
                continue
            if not budget.entry():
                log.warning("work dir: more entries than the tmpfs holds; the rest is dropped")
                return
            if stat.S_ISDIR(mode):
                os.mkdir(name, 0o700, dir_fd=dst)
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
                sub_src = os.open(name, flags, dir_fd=src)
                try:
                    sub_dst = os.open(name, flags, dir_fd=dst)
                    try:
                        _copy_folder(sub_src, sub_dst, depth + 1, budget)
                    finally:
                        os.close(sub_dst)
                finally:
                    os.close(sub_src)
            elif stat.S_ISREG(mode):
                _copy_file(name, src, dst, budget)
            elif stat.S_ISLNK(mode):
                os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
            elif stat.S_ISFIFO(mode):
                os.mkfifo(name, 0o600, dir_fd=dst)
            # Sockets and devices are not kept: an output that is one is "not written".
        except OSError as e:
            # Root reads everything on the tmpfs; a failure here is unexpected but must not
            # lose the rest of the run's files.
            log.warning("work dir entry %r not kept: %s", name, e)


def _data_segments(fd: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of the parts of a file that hold data; holes of a sparse file are skipped."""
    segments, offset = [], 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # only a hole is left
                break
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if end <= start:
            break
        segments.append((start, end))
        offset = end
    return segments


def _copy_file(name: str, src: int, dst: int, budget: _CopyBudget) -> None:
    """Copy one file's data (holes stay holes), or nothing if it does not fit the budget."""
    fd_in = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=src)
    try:
        size = os.fstat(fd_in).st_size
        segments = _data_segments(fd_in, size)
        data = sum(end - start for start, end in segments)
        if data > budget.bytes:
            log.warning("work dir: %r does not fit in what is left of the copy budget", name)
            return
        budget.bytes -= data
        fd_out = os.open(
            name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=dst,
        )
        try:
            for start, end in segments:
                os.lseek(fd_out, start, os.SEEK_SET)  # sendfile writes at the output's position
                offset = start
                while offset < end:
                    sent = os.sendfile(fd_out, fd_in, offset, min(end - offset, 1 << 30))
                    if sent == 0:
                        break
                    offset += sent
            os.ftruncate(fd_out, size)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)
