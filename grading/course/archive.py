"""Taking in what a candidate sent as the hostile input it may be: `SubmissionLimits`, the
budget of entries and bytes one submission may unpack to, archive member names as safe
relative paths, zip unpacking (every entry checked before anything is written) and copying a
submitted folder (regular files and folders only, nothing followed). A refusal is `_Rejected`,
with the reason shown to the instructor."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Files archivers and Jupyter add that are never part of a submission.
JUNK_NAMES = frozenset({"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class SubmissionLimits:
    """Caps on what one submission may unpack to (archives are hostile until proven otherwise)."""

    max_archive_bytes: int = 100 * 1024**2
    max_entries: int = 2000
    """Files and folders in one archive or submitted folder."""
    max_file_bytes: int = 50 * 1024**2
    """One unpacked file."""
    max_total_bytes: int = 200 * 1024**2
    """All unpacked files of one submission."""
    max_ratio: float = 100.0
    """Uncompressed/compressed size of one archive entry above `ratio_floor_bytes`: more is
    treated as a zip bomb."""
    ratio_floor_bytes: int = 1024**2
    max_notebook_bytes: int = 20 * 1024**2
    max_depth: int = 20
    """Folder levels inside a submission."""


class _Rejected(Exception):
    """A submission refused, with the reason shown to the instructor."""


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB"


class _Budget:
    """Counts entries and bytes of one submission against the limits."""

    def __init__(self, limits: SubmissionLimits):
        self.limits = limits
        self.entries = 0
        self.bytes = 0

    def entry(self, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise _Rejected(f"has more than {self.limits.max_entries:,} files and folders")

    def add(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise _Rejected(
                f"{name!r} is {_mb(size)}; one file may be at most {_mb(self.limits.max_file_bytes)}"
            )
        self.bytes += size
        if self.bytes > self.limits.max_total_bytes:
            raise _Rejected(f"unpacks to more than {_mb(self.limits.max_total_bytes)}")


def _safe_relative(name: str, limits: SubmissionLimits) -> PurePosixPath | None:
    """An archive member name as a path inside the submission; None for the root itself."""
    if "\x00" in name or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise _Rejected(f"the entry {name!r} has control characters in its name")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise _Rejected(f"the entry {name!r} has an absolute path")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _Rejected(f"the entry {name!r} points outside the submission (..)")
    if len(parts) > limits.max_depth:
        raise _Rejected(f"the entry {name!r} is nested more than {limits.max_depth} folders deep")
    if any(len(p.encode("utf-8", "surrogatepass")) > 255 for p in parts):
        raise _Rejected(f"the entry {name[:80]!r}… has a name longer than 255 bytes")
    return PurePosixPath(*parts) if parts else None


def _is_junk(rel: PurePosixPath) -> bool:
    return any(p in JUNK_NAMES for p in rel.parts)


def _open_regular(path: Path, cap: int, what: str):
    """Open `path` for reading without following a symlink; it must be a regular file <= cap."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Rejected(f"{what} is a symbolic link") from None
        raise _Rejected(f"{what} cannot be read ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _Rejected(f"{what} is not a regular file")
    if info.st_size > cap:
        os.close(fd)
        raise _Rejected(f"{what} is {_mb(info.st_size)}; at most {_mb(cap)} is accepted")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _write_new(dest: Path, chunks, cap: int, name: str, mtime: float | None = None) -> int:
    """Write `chunks` to the new file `dest`, stopping past `cap` bytes; returns bytes written.
    `mtime` is the file's time in the submission (kept: the newest is the submission's time)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > cap:
                raise _Rejected(f"{name!r} unpacks to more than it declares or is allowed")
            out.write(chunk)
        if mtime is not None:
            out.flush()  # a later flush would set the time to now
            with contextlib.suppress(OSError, ValueError, OverflowError):
                os.utime(out.fileno(), (mtime, mtime))
    return written


def _zip_mtime(info: zipfile.ZipInfo) -> float | None:
    """An archive member's time: the UTC time of the extended-timestamp field (0x5455) that
    Info-ZIP and most archivers write, else the DOS time, which is local time on the machine
    that made the zip (read as this machine's local time). None when it does not parse."""
    extra = info.extra
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack_from("<I", body, 1)[0])
        at += 4 + size
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (ValueError, OverflowError, TypeError):
        return None


def _chunks(fh, size: int = 1024**2):
    while block := fh.read(size):
        yield block


def _member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The bytes of one archive member. A damaged directory can point reads at impossible
    offsets (the OS says EINVAL): that is a bad archive, not a failure of ours."""
    try:
        with zf.open(info) as member:
            yield from _chunks(member)
    except OSError as exc:
        raise _Rejected(f"is not a readable zip archive ({exc.strerror or exc})") from None


def _zip_entry_count(fh, size: int) -> int | None:
    """Entries declared by the end-of-central-directory record, read before zipfile parses the
    whole directory (a 100 MB archive can declare millions of empty entries)."""
    tail = min(size, 22 + 65535)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    count = int.from_bytes(data[at + 10 : at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: the real count is in a zip64 record


def _unpack_zip(archive: Path, dest: Path, limits: SubmissionLimits) -> tuple[int, int]:
    budget = _Budget(limits)
    with _open_regular(archive, limits.max_archive_bytes, "the archive") as fh:
        size = os.fstat(fh.fileno()).st_size
        declared = _zip_entry_count(fh, size)
        if declared is not None and declared > limits.max_entries:
            raise _Rejected(
                f"has {declared:,} entries; at most {limits.max_entries:,} are accepted"
            )
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                if len(infos) > limits.max_entries:
                    raise _Rejected(
                        f"has {len(infos):,} entries; at most {limits.max_entries:,} are accepted"
                    )
                plan = _plan_zip(infos, limits, budget)
                files = 0
                for info, rel in plan:
                    _write_new(
                        dest / rel,
                        _member_chunks(zf, info),
                        info.file_size,
                        str(rel),
                        _zip_mtime(info),
                    )
                    files += 1
        except _Rejected:
            raise
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            RuntimeError,
            EOFError,
            ValueError,
            OverflowError,
            struct.error,
            zlib.error,
        ) as exc:
            raise _Rejected(f"is not a readable zip archive ({exc})") from None
    return files, budget.bytes


def _plan_zip(infos, limits: SubmissionLimits, budget: _Budget):
    """Check every entry before anything is written; returns (info, relative path) of files."""
    plan, seen, folders = [], set(), set()
    for info in infos:
        budget.entry(info.filename)
        rel = _safe_relative(info.filename, limits)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _Rejected(f"the entry {info.filename!r} is a symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _Rejected(f"the entry {info.filename!r} is not a regular file or folder")
        if info.flag_bits & 0x1:
            raise _Rejected(f"the entry {info.filename!r} is encrypted; send it unencrypted")
        if rel is None or _is_junk(rel):
            continue
        if info.is_dir() or kind == stat.S_IFDIR:
            folders.add(rel)
            continue
        if rel in seen:
            raise _Rejected(f"the entry {info.filename!r} appears twice")
        seen.add(rel)
        folders.update(rel.parents)
        budget.add(info.filename, info.file_size)
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _Rejected(
                f"the entry {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f}"
                f" times ({_mb(info.file_size)}); this looks like a zip bomb"
            )
        plan.append((info, rel))
    clash = seen & folders
    if clash:
        raise _Rejected(f"{sorted(map(str, clash))[0]!r} is both a file and a folder")
    return plan


def _copy_folder(source: Path, dest: Path, limits: SubmissionLimits) -> tuple[int, int]:
    """Copy a submitted folder: regular files and folders only, nothing followed."""
    budget = _Budget(limits)
    files = 0
    stack = [(source, PurePosixPath())]
    while stack:
        folder, rel_folder = stack.pop()
        if len(rel_folder.parts) > limits.max_depth:
            raise _Rejected(f"{str(rel_folder)!r} is nested more than {limits.max_depth} deep")
        with os.scandir(folder) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            rel = rel_folder / entry.name
            if entry.name in JUNK_NAMES:
                continue
            budget.entry(str(rel))
            _safe_relative(str(rel), limits)
            if entry.is_symlink():
                raise _Rejected(f"{str(rel)!r} is a symbolic link")
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel))
                continue
            with _open_regular(Path(entry.path), limits.max_file_bytes, repr(str(rel))) as fh:
                info = os.fstat(fh.fileno())
                budget.add(str(rel), info.st_size)
                _write_new(dest / rel, _chunks(fh), info.st_size, str(rel), info.st_mtime)
            files += 1
    return files, budget.bytes
