"""Run one untrusted notebook so that its only effect is files written in a private work dir.

Candidate code is hostile. The pieces, in order:

1. Trusted preparation (this process): the submitted notebook is read with a size cap, parsed,
   and reduced to its code cells' sources; a size-limited tmpfs is mounted on the work dir (in
   a private mount namespace); a fresh minimal notebook goes into `workdir/submission.ipynb`,
   the declared inputs are copied in as regular files, and nothing else: outputs must come from
   this run. The work dir is chowned to the job slot's uid.
2. `runner.py` runs inside the sandbox and executes the cells in one IPython shell, writing
   progress markers to an inherited pipe and the executed notebook after every cell.
3. bubblewrap (`bwrap`, run as root): new net/pid/ipc/uts/cgroup namespaces, a mount ALLOWLIST
   (system dirs and the Python runtime read-only, the work dir read-write at /work, nothing of the
   repository, the course, solutions or keys), a scrubbed environment, and `setpriv` switching to
   the slot's unprivileged uid with every capability dropped before any candidate code runs.
4. rlimits (address space, processes, file size, open files, CPU time, no core dumps), and a
   memory cgroup per slot bounding all the run's processes together, where the machine has one.
5. A trusted monitor enforcing per-cell and total wall-clock timeouts from outside, capping the
   captured output, killing the whole sandbox on timeout and making sure no process of the slot's
   uid survives `execute`.
6. After the run (no process of it left), the tmpfs's content is copied to the real work dir to
   a bounded depth, never following a link, and the tmpfs is unmounted: what a notebook stored
   (a full disk, a million files, a tree too deep to delete) is gone with it.

Job slots and uids: slot `s` runs as uid/gid `SLOT_UID_BASE + s` (64000-64999 for slots 0-999).
These uids must not belong to any account (Debian leaves 60000-64999 for on-demand system users;
we check /etc/passwd), and one slot must run one job at a time: every process of the slot's uid
is killed before and after a run. RLIMIT_NPROC counts processes per uid, which is why each slot
has its own uid.

`sandbox=False` (the user's `--unsafe-no-sandbox`, for local practice) uses the same runner,
monitor, rlimits and timeouts, but no bwrap/setpriv, no tmpfs and no cgroup: the code runs as the
current user and can read and write whatever that user can.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import errno
import functools
import json
import logging
import os
import pwd
import re
import resource
import secrets
import selectors
import shutil
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat
from nbformat import v4 as nbv4

from datalit.errors import DatalitError, InvalidArgument
from datalit.grading.runner import ALLOWED_MIME, MAX_IMAGE_BYTES

log = logging.getLogger(__name__)

SLOT_UID_BASE = 64000
MAX_SLOTS = 1000
MAX_NOTEBOOK_BYTES = 20 * 1024**2
MAX_CODE_CELLS = 5000
MAX_CELLS = 20_000
RUNNER = Path(__file__).with_name("runner.py")

# Paths inside the sandbox.
SANDBOX_WORK = "/work"
SANDBOX_OPT = "/opt/datalit"
SANDBOX_VENV = f"{SANDBOX_OPT}/venv"
SANDBOX_RUNNER = f"{SANDBOX_OPT}/runner.py"
# /tmp inside the sandbox is a private tmpfs; its pages are RAM not counted by RLIMIT_AS, so cap it.
SANDBOX_TMP_BYTES = 256 * 1024**2
SANDBOX_SHM_BYTES = 64 * 1024**2

PRIVATE_DIR = ".datalit"  # inside the work dir: the runner's output (executed notebook)
SUBMISSION = "submission.ipynb"
EXECUTED = "executed.ipynb"

# After the runner says `done`, leave it this long to exit (atexit handlers, threads) before
# killing it; after the main process has exited, read remaining output for at most this long.
DONE_GRACE_S = 2.0
EXIT_GRACE_S = 0.5
CLEANUP_TIMEOUT_S = 10.0

# Environment variables passed through from the grader: older OpenBLAS builds crash on some CPUs
# without them.
PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Host directories mounted read-only (or recreated as symlinks where the host has symlinks, as
# Debian's merged /usr does for /bin, /lib, ...).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(DatalitError):
    """The bubblewrap sandbox cannot run here; the message says why and how to fix it."""

    def __init__(self, detail: str = "bubblewrap (`bwrap`) is not installed"):
        super().__init__(
            f"the grader's sandbox is unavailable: {detail}. It needs the Debian package "
            "`bubblewrap` (`sudo apt-get install bubblewrap`) and must run as root, because "
            "candidate code runs as a dedicated unprivileged uid. For local practice only, "
            "--unsafe-no-sandbox runs notebooks without isolation."
        )


@dataclass(frozen=True)
class Limits:
    """Resource limits for one notebook run (all enforced in sandboxed and unsafe mode)."""

    memory_bytes: int = 2 * 1024**3
    """Address-space limit (RLIMIT_AS) of every process; a large allocation raises MemoryError."""
    cell_timeout_s: float = 60.0
    """Wall-clock limit of one cell, measured from the runner's `cell-start` marker."""
    total_timeout_s: float = 600.0
    """Wall-clock limit of the whole run including start-up; the hard bound, enforced outside."""
    max_processes: int = 64
    """RLIMIT_NPROC for the slot's uid (threads count too); contains fork bombs."""
    max_file_bytes: int = 512 * 1024**2
    """Largest file a process may write (RLIMIT_FSIZE)."""
    max_open_files: int = 256
    """RLIMIT_NOFILE."""
    max_stream_bytes: int = 1024**2
    """Captured stdout/stderr kept (the tail; the rest is drained and discarded); also the budget
    of text outputs kept in the executed notebook."""
    cpu_seconds: int | None = None
    """RLIMIT_CPU per process; None means `total_timeout_s + 5`."""
    max_disk_bytes: int = 512 * 1024**2
    """Everything the run may store in its work dir (inputs included). Sandboxed, the work dir is
    a tmpfs of this size, so a notebook cannot fill the grading machine's disk."""
    max_files: int = 10_000
    """Files and folders the work dir may hold (the tmpfs's inode count)."""

    def memory_budget(self) -> int:
        """RAM all processes of one run may hold together (a memory cgroup, where the machine
        has one): the per-process limit plus the work dir's files, which live in RAM too."""
        return self.memory_bytes + self.max_disk_bytes

    def cpu_limit(self) -> int:
        if self.cpu_seconds is not None:
            return int(self.cpu_seconds)
        return int(self.total_timeout_s) + 5

    def check(self) -> None:
        numbers = {
            "memory_bytes": self.memory_bytes,
            "cell_timeout_s": self.cell_timeout_s,
            "total_timeout_s": self.total_timeout_s,
            "max_processes": self.max_processes,
            "max_file_bytes": self.max_file_bytes,
            "max_open_files": self.max_open_files,
            "max_stream_bytes": self.max_stream_bytes,
            "cpu_seconds": self.cpu_limit(),
            "max_disk_bytes": self.max_disk_bytes,
            "max_files": self.max_files,
        }
        for name, value in numbers.items():
            if not value > 0:
                raise InvalidArgument(f"sandbox limit {name} must be positive, got {value!r}")
        if self.max_open_files < 16:
            raise InvalidArgument("sandbox limit max_open_files must be at least 16")


@dataclass(frozen=True)
class Execution:
    """What happened when a notebook ran. Everything here except `status`, `sandboxed` and
    `duration_s` is derived from candidate-controlled output: treat it as untrusted text."""

    status: str
    """One of "completed", "cell_error" (a cell raised; the run stopped there, like nbclient),
    "cell_timeout", "total_timeout", "memory" (killed by the kernel's OOM killer), "killed"
    (the process died by a signal or exited mid-run), "tampered" (the notebook wrote to the
    runner's progress channel, so its account of the run is not trusted), "invalid_notebook",
    "sandbox_error"."""
    reason: str
    """One sentence a candidate can read, e.g. "cell 4 ran longer than 60 s and was stopped"."""
    cells_total: int
    """Number of code cells in the submission."""
    cells_completed: int
    """Code cells that finished without an exception, counted from the start."""
    failed_cell: int | None
    """1-based index among code cells of the cell that failed, timed out or was running when
    the process died; None if no cell was running."""
    duration_s: float
    """Wall-clock time of `execute`, preparation and clean-up included."""
    executed_notebook: Path | None
    """The notebook with outputs (written by the runner, then re-sanitized here: the trusted
    sources, text/plain and image/png outputs only, control characters stripped). Its text is
    still candidate-authored. None if the runner never started."""
    stream_tail: str
    """The last `max_stream_bytes` of the run's combined stdout/stderr (cleaned of control
    characters)."""
    sandboxed: bool
    """True if the code ran (or, for an invalid notebook, would have run) in the bwrap sandbox;
    False for --unsafe-no-sandbox."""


# ----------------------------------------------------------------------------- availability


def _tool(name: str) -> str | None:
    for directory in ("/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def _system_dir_args() -> list[str]:
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args


def _unavailable_reason() -> str | None:
    bwrap, setpriv = _tool("bwrap"), _tool("setpriv")
    if bwrap is None:
        return "bubblewrap (`bwrap`) is not installed"
    if setpriv is None:
        return "`setpriv` (Debian package util-linux) is not installed"
    if os.geteuid() != 0:
        return "the grader is not running as root"
    probe = [
        bwrap,
        *("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"),
        *("--die-with-parent", "--cap-drop", "ALL"),
        *_system_dir_args(),
        *("--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"),
    ]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`bwrap` could not be started ({e})"
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"`bwrap` is installed but failed ({msg[-1] if msg else done.returncode})"
    return None


@functools.cache
def _cached_unavailable_reason() -> str | None:
    return _unavailable_reason()


def bwrap_available() -> bool:
    """True if the sandbox can run here: bwrap and setpriv installed, running as root, and a
    probe sandbox starts (checked once per process)."""
    return _cached_unavailable_reason() is None


# ----------------------------------------------------------------------------- preparation


class _Invalid(Exception):
    """The submitted notebook cannot be run; the message completes "the notebook ..."."""


def _read_regular(path: Path, cap: int, what: str) -> bytes:
    """Read a regular file without following a symlink in its last component, at most `cap`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _Invalid(f"{what} does not exist") from None
    except OSError as e:
        if os.path.islink(path):
            raise _Invalid(f"{what} is a symbolic link, not a file") from None
        raise _Invalid(f"{what} cannot be read ({e.strerror})") from None
    # fstat before fdopen: opening a folder succeeds with O_RDONLY, and fdopen would then raise
    # IsADirectoryError instead of our reason.
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        raise _Invalid(f"{what} is not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise _Invalid(f"{what} is larger than {cap // 1024**2} MB")
    return data


def _code_sources(notebook: Path) -> list[str]:
    """The code cells' sources of the submitted notebook; nothing else of it is trusted."""
    try:
        data = _read_regular(notebook, MAX_NOTEBOOK_BYTES, "file")
    except _Invalid as e:
        # _read_regular's reasons start with what was read ("file is a symbolic link"); here
        # they complete "the submitted notebook ...".
        raise _Invalid(str(e).removeprefix("file ")) from None
    try:
        text = data.decode("utf-8-sig")  # a BOM is harmless; UTF-16 and others are refused
    except UnicodeDecodeError:
        raise _Invalid("is not UTF-8 text (Jupyter saves notebooks as UTF-8 JSON)") from None
    if not text.strip():
        raise _Invalid("is empty")
    try:
        raw = json.loads(text)
    except RecursionError:
        raise _Invalid("is nested too deeply to be a notebook") from None
    except json.JSONDecodeError as e:
        raise _Invalid(f"is not valid JSON ({e.msg} at line {e.lineno})") from None
    except ValueError as e:  # e.g. an integer literal with thousands of digits
        raise _Invalid(f"is not a notebook Python can read ({str(e)[:120]})") from None
    if not isinstance(raw, dict):
        raise _Invalid("is JSON but not a Jupyter notebook (no list of cells)")
    major = raw.get("nbformat")
    if type(major) is int and major != 4:
        # Before the cells check: a version 3 notebook keeps its cells in "worksheets".
        raise _Invalid(
            f"uses notebook format version {major}; only version 4 (Jupyter 4 and later) is "
            "accepted: open it in JupyterLab and save it again"
        )
    if not isinstance(raw.get("cells"), list):
        raise _Invalid("is JSON but not a Jupyter notebook (no list of cells)")
    # Counted before nbformat converts every cell (slow for 10^5 of them).
    code_cells = sum(isinstance(c, dict) and c.get("cell_type") == "code" for c in raw["cells"])
    if code_cells > MAX_CODE_CELLS:
        raise _Invalid(f"has more than {MAX_CODE_CELLS} code cells")
    if len(raw["cells"]) > MAX_CELLS:
        raise _Invalid(f"has more than {MAX_CELLS} cells")
    if type(major) is not int:
        raise _Invalid(
            f"uses notebook format version {major!r}; only version 4 (Jupyter 4 and later) "
            "is accepted: open it in JupyterLab and save it again"
        )
    try:
        nb = nbformat.from_dict(raw)
    except (RecursionError, TypeError, ValueError):
        raise _Invalid("is not a readable Jupyter notebook") from None
    # Deliberately lenient: only what we use is checked (cell types and code sources). The
    # metadata and outputs are discarded anyway, and rejecting a notebook over a metadata glitch
    # of some editor would cost a candidate their grade for nothing.
    sources: list[str] = []
    for i, cell in enumerate(nb.cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise _Invalid(f"has a malformed cell (cell {i} has no cell type)")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise _Invalid(f"has a malformed code cell (cell {i}: source is not text)")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as e:
            # JSON can spell a lone surrogate (\ud800) that no UTF-8 file can hold.
            raise _Invalid(
                f"has a code cell (cell {i}) holding a character that is not valid Unicode "
                f"(U+{ord(source[e.start]):04X}, half of a surrogate pair); remove it and save "
                "again"
            ) from None
        sources.append(source.replace("\x00", ""))
    if len(sources) > MAX_CODE_CELLS:
        raise _Invalid(f"has more than {MAX_CODE_CELLS} code cells")
    return sources


def _fresh_notebook(sources: list[str], outputs: list[list] | None = None, counts=None):
    cells = []
    for k, source in enumerate(sources, start=1):
        cell = nbv4.new_code_cell(source=source, id=f"cell-{k}")
        if outputs is not None:
            cell.outputs = outputs[k - 1]
            cell.execution_count = counts[k - 1]
        cells.append(cell)
    return nbv4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )


def _destination(workdir: Path, relative: str) -> Path:
    rel = PurePosixPath(str(relative))
    if (
        rel.is_absolute()
        or not rel.parts
        or any(p in ("", ".", "..") for p in rel.parts)
        or rel.parts[0] in (PRIVATE_DIR, SUBMISSION)
        or "\x00" in str(rel)
    ):
        raise InvalidArgument(
            f"input destination {relative!r} must be a relative path inside the work dir "
            f"(no '..', not {PRIVATE_DIR}/ or {SUBMISSION})"
        )
    return workdir.joinpath(*rel.parts)


def _check_input(source: Path) -> None:
    try:
        st = os.lstat(source)
    except OSError as e:
        raise InvalidArgument(f"input file {source} cannot be read ({e.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InvalidArgument(
            f"input file {source} is a symbolic link; inputs must be regular files"
        )
    if not stat.S_ISREG(st.st_mode):
        raise InvalidArgument(f"input {source} is not a regular file")


def _copy_input(source: Path, dest: Path) -> None:
    # Checked again on the open descriptor: the lstat above only gave an early, clear error.
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise InvalidArgument(f"input file {source} cannot be opened ({e.strerror})") from None
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise InvalidArgument(f"input {source} is not a regular file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        out_fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(out_fd, "wb") as out:
            shutil.copyfileobj(src, out, 1024**2)


def _check_workdir(workdir: Path, inputs: Mapping[str, Path]) -> dict[Path, Path]:
    """Check the work dir and the inputs before anything is written; create the work dir if
    needed. Returns {destination: source} of the inputs."""
    copies: dict[Path, Path] = {}
    for relative, source in inputs.items():
        dest = _destination(workdir, relative)
        if dest in copies:
            raise InvalidArgument(f"input destination {relative!r} is given twice")
        _check_input(Path(source))
        copies[dest] = Path(source)
    dests = set(copies)
    for dest in dests:
        if any(parent in dests for parent in dest.parents):
            raise InvalidArgument(
                f"input destination {dest.relative_to(workdir)} is inside another input"
            )
    if workdir.is_symlink():
        raise InvalidArgument(f"work dir {workdir} is a symbolic link")
    if workdir.exists():
        if not workdir.is_dir() or any(workdir.iterdir()):
            raise InvalidArgument(f"work dir {workdir} must be a new or empty directory")
    else:
        workdir.mkdir(parents=True)
    os.chmod(workdir, 0o700)
    return copies


def _fill_workdir(workdir: Path, copies: dict[Path, Path], sources: list[str]) -> None:
    os.chmod(workdir, 0o700)
    (workdir / PRIVATE_DIR).mkdir(mode=0o700)
    nbformat.write(_fresh_notebook(sources), str(workdir / SUBMISSION))
    for dest, source in copies.items():
        _copy_input(source, dest)


def _chown_tree(root: Path, uid: int) -> None:
    os.lchown(root, uid, uid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, uid)


# ----------------------------------------------------------------------------- work space

# The work dir of a sandboxed run is a tmpfs mounted on it for the run: its size and inode
# count bound what a notebook can store (the host's disk and /tmp are out of its reach), and
# unmounting frees it at once, whatever the notebook left (a tree thousands of levels deep, a
# million files, folders without permissions). After the run, and after every process of the
# run is gone, what the tmpfs holds is copied to the real folder, to a bounded depth, without
# following anything (symlinks and FIFOs are recreated as such, for the extract stage to refuse
# with a reason), and the tmpfs is unmounted. The mount happens in a private mount namespace of
# the grading process (made once per thread), so it is invisible to the rest of the machine and
# disappears with the process if the grader is killed mid-run.

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


# ----------------------------------------------------------------------------- cgroups

# Memory. RLIMIT_AS bounds each process, but a notebook may run max_processes of them: together
# they could hold max_processes × memory_bytes. Where the machine has a memory cgroup controller
# (cgroup v2, or v1's memory hierarchy) that root can write, every run gets the slot's own
# cgroup, limited to `Limits.memory_budget()` (its tmpfs files are charged to it too); its OOM
# counter then also tells a run killed for memory from one killed otherwise. Without one, the run
# is bounded per process only (a warning is logged once).
#
# CPU. The kernel shares CPU time between scheduling groups, not processes: with session
# autogrouping (the default on desktops and most servers) every session is a group, so a notebook
# whose processes each call setsid() would get dozens of shares against the neighbouring slot's
# one, and starve an honest notebook into its wall-clock timeout. Where a cpu controller is
# writable, every slot gets its own cpu cgroup with the same weight (v2 `cpu.weight`, v1
# `cpu.shares`): a slot gets at least its share of the CPU whatever its processes do (and tasks
# in a cgroup other than the root are not autogrouped). Where none is, the fallback is the
# session: bwrap starts every run in a session of its own (--new-session) and seccomp refuses
# setsid() inside, so each slot stays ONE autogroup. The last line of defence is in the batch
# loop (grader.py): a run that hits a wall-clock limit while another slot was busy is graded
# again alone before anything is recorded.

CGROUP_GROUP = "datalit"
"""The folder of the slots' cgroups in each cgroup hierarchy."""
CPU_WEIGHT_V2 = 100
CPU_SHARES_V1 = 1024
"""The kernel's defaults: every slot gets the same weight as any other group."""


@dataclass(frozen=True)
class _Cgroup:
    path: Path
    version: int

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def oom_kills(self) -> int | None:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return None

    def remove(self) -> None:
        # Killed processes leave the cgroup a moment after they are gone from /proc: retry.
        deadline = time.monotonic() + 2.0
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as e:
                if e.errno != errno.EBUSY or time.monotonic() > deadline:
                    return  # reused by the slot's next run (its limit is set again)
                time.sleep(0.02)


@dataclass(frozen=True)
class _SlotCgroups:
    """The cgroups one run joins: one in cgroup v2, one per v1 hierarchy (memory, cpu)."""

    memory: _Cgroup | None
    cpu: _Cgroup | None

    @property
    def joined(self) -> list[_Cgroup]:
        return list(dict.fromkeys(g for g in (self.memory, self.cpu) if g is not None))

    def remove(self) -> None:
        for group in self.joined:
            group.remove()


def _cgroup_mounts() -> tuple[Path | None, Path | None, Path | None]:
    """(cgroup2 mount point, v1 memory mount point, v1 cpu mount point) from the mount table."""
    v2 = v1_memory = v1_cpu = None
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                before, _, after = line.partition(" - ")
                fields, tail = before.split(), after.split()
                if len(fields) < 5 or len(tail) < 3:
                    continue
                options = tail[2].split(",")
                if tail[0] == "cgroup2" and v2 is None:
                    v2 = Path(fields[4])
                elif tail[0] == "cgroup" and "memory" in options and v1_memory is None:
                    v1_memory = Path(fields[4])
                elif tail[0] == "cgroup" and "cpu" in options and v1_cpu is None:
                    v1_cpu = Path(fields[4])
    except OSError:
        pass
    return v2, v1_memory, v1_cpu


def _own_v1_cgroup(controller: str) -> str:
    """This process's cgroup in the v1 hierarchy of `controller`, relative ("" for the root)."""
    try:
        with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path.lstrip("/")
    except (OSError, ValueError):
        pass
    return ""


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _v2_slot(v2: Path, slot: int, limit: int) -> _SlotCgroups:
    """The slot's cgroup v2 group with whichever of the memory and cpu controllers it can get."""
    available = (v2 / "cgroup.controllers").read_text().split()
    wanted = [c for c in ("memory", "cpu") if c in available]
    if not wanted:
        return _SlotCgroups(None, None)
    group = v2 / CGROUP_GROUP

    def delegate(parent: Path) -> None:
        for controller in wanted:  # one at a time: one refused must not cost the other
            with contextlib.suppress(OSError):
                _write(parent / "cgroup.subtree_control", f"+{controller}")

    delegate(v2)
    group.mkdir(exist_ok=True)
    delegate(group)
    path = group / f"slot-{slot}"
    path.mkdir(exist_ok=True)
    enabled = (path / "cgroup.controllers").read_text().split()
    memory = cpu = None
    if "memory" in enabled:
        _write(path / "memory.max", str(limit))
        with contextlib.suppress(OSError):
            _write(path / "memory.swap.max", "0")
        with contextlib.suppress(OSError):
            _write(path / "memory.oom.group", "1")  # an OOM kills the whole run
        memory = _Cgroup(path, 2)
    if "cpu" in enabled:
        _write(path / "cpu.weight", str(CPU_WEIGHT_V2))
        cpu = _Cgroup(path, 2)
    if memory is None and cpu is None:
        _Cgroup(path, 2).remove()
    return _SlotCgroups(memory, cpu)


def _v1_slot(mount: Path, controller: str, slot: int) -> Path:
    # Under the grader's own cgroup, so that a container's limit still counts it.
    path = mount / _own_v1_cgroup(controller) / CGROUP_GROUP / f"slot-{slot}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _make_cgroups(slot: int, limit: int) -> _SlotCgroups:
    """The slot's cgroups for one run (memory limited to `limit` bytes, equal CPU weight); a
    controller the machine does not offer, or root cannot write, is left out."""
    v2, v1_memory, v1_cpu = _cgroup_mounts()
    memory = cpu = None
    if v2 is not None:
        try:
            groups = _v2_slot(v2, slot, limit)
            memory, cpu = groups.memory, groups.cpu
        except OSError as e:
            log.debug("cgroup v2 unusable: %s", e)
    if memory is None and v1_memory is not None:
        try:
            path = _v1_slot(v1_memory, "memory", slot)
            _write(path / "memory.limit_in_bytes", str(limit))
            if (path / "memory.memsw.limit_in_bytes").exists():
                with contextlib.suppress(OSError):
                    _write(path / "memory.memsw.limit_in_bytes", str(limit))
            memory = _Cgroup(path, 1)
        except OSError as e:
            log.debug("cgroup v1 memory controller unusable: %s", e)
    if cpu is None and v1_cpu is not None:
        try:
            path = _v1_slot(v1_cpu, "cpu", slot)
            _write(path / "cpu.shares", str(CPU_SHARES_V1))
            cpu = _Cgroup(path, 1)
        except OSError as e:
            log.debug("cgroup v1 cpu controller unusable: %s", e)
    return _SlotCgroups(memory, cpu)


def _probe_cgroups() -> _SlotCgroups:
    probe = _make_cgroups(MAX_SLOTS, Limits().memory_budget())
    probe.remove()
    return probe


def memory_cgroup_available() -> bool:
    """True if sandboxed runs get a memory cgroup on this machine (checked by making one)."""
    return _probe_cgroups().memory is not None


def cpu_cgroup_available() -> bool:
    """True if sandboxed runs get a cpu cgroup of equal weight on this machine."""
    return _probe_cgroups().cpu is not None


@functools.cache
def _warn_no_cgroup(controller: str) -> None:
    what = {
        "memory": "a run's processes are limited one by one (RLIMIT_AS), not together",
        "cpu": "slots share the CPU by session (one autogroup per run), not by cgroup weight",
    }[controller]
    log.warning("no writable %s cgroup: %s; see docs/security.md", controller, what)


# ----------------------------------------------------------------------------- processes


def _proc_status_uids(pid: str) -> set[int]:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    return {int(x) for x in line.split()[1:]}
    except (OSError, ValueError):
        pass
    return set()


def _pids_of_uid(uid: int) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and uid in _proc_status_uids(p)]


def _pids_with_token(token: bytes) -> list[int]:
    return [
        int(p)
        for p in os.listdir("/proc")
        if p.isdigit() and int(p) != os.getpid() and _has_token(int(p), token)
    ]


def _tasks_of_uid(uid: int) -> int:
    """Threads of all processes whose real uid is `uid` (what RLIMIT_NPROC counts)."""
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/status", "rb") as f:
                fields = dict(line.split(b":", 1) for line in f if b":" in line)
            if int(fields[b"Uid"].split()[0]) == uid:
                total += int(fields[b"Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return total


def _kill_pid(pid: int, still_ours) -> None:
    """SIGKILL `pid` if `still_ours(pid)`, through a pidfd so a recycled pid is never hit."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if still_ours(pid):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(pidfd)


def _reap(find, still_ours, timeout: float = CLEANUP_TIMEOUT_S) -> int:
    """Kill every process `find()` returns until none is left; returns how many were seen.

    Last resort: with --unshare-pid and --die-with-parent the whole pid namespace dies with bwrap,
    so in sandboxed runs this normally finds nothing. It exists so that `execute` can promise no
    process of the slot survives it whatever happened (and for unsafe mode, which has no pid
    namespace).
    """
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        pids = find()
        if not pids:
            return len(seen)
        seen.update(pids)
        for pid in pids:
            _kill_pid(pid, still_ours)
        if time.monotonic() > deadline:
            return len(seen)
        time.sleep(0.02)


def _kill_uid(uid: int) -> int:
    return _reap(lambda: _pids_of_uid(uid), lambda pid: uid in _proc_status_uids(str(pid)))


def _has_token(pid: int, token: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return token in f.read().split(b"\0")
    except OSError:
        return False


def _kill_token(token: bytes) -> int:
    return _reap(lambda: _pids_with_token(token), lambda pid: _has_token(pid, token))


def _oom_kills() -> int | None:
    try:
        with open("/proc/vmstat", "rb") as f:
            for line in f:
                if line.startswith(b"oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _rlimits(limits: Limits, nproc: int) -> list[tuple[int, int, int]]:
    wanted = [
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_NPROC, nproc, nproc),
        (resource.RLIMIT_FSIZE, limits.max_file_bytes, limits.max_file_bytes),
        (resource.RLIMIT_NOFILE, limits.max_open_files, limits.max_open_files),
        # Soft limit: SIGXCPU; one more second: SIGKILL even if SIGXCPU is caught.
        (resource.RLIMIT_CPU, limits.cpu_limit(), limits.cpu_limit() + 1),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    out = []
    for res, soft, hard in wanted:
        _, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:  # only root may raise a hard limit
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        out.append((res, soft, hard))
    return out


def _preexec(rlimits, cgroup_fds: Sequence[int] = ()):
    # Runs in the child between fork and exec. It only calls setrlimit with precomputed values
    # and writes to already open descriptors (no imports, no locks), which keeps preexec_fn's
    # usual hazard in threaded parents away.
    def apply():
        for fd in cgroup_fds:
            # "0" moves the writing process: bwrap and everything it starts are in the cgroups
            # before any of them exists.
            os.write(fd, b"0")
        for res, soft, hard in rlimits:
            resource.setrlimit(res, (soft, hard))

    return apply


# ----------------------------------------------------------------------------- seccomp

# Hardening beyond the namespaces (what Docker and Flatpak do too): a seccomp filter, loaded by
# bwrap before setpriv runs, refuses syscalls a notebook never needs that widen the kernel attack
# surface. Most important: nested user namespaces (`unshare -U` would otherwise give candidate
# code a root with CAP_SYS_ADMIN inside a new namespace, able to mount filesystems), io_uring,
# bpf, userfaultfd, perf events, keyrings, ptrace and the mount APIs. And setsid() is made a
# no-op that reports success: a new session is a new scheduling autogroup, the way a notebook
# would take more than its slot's share of the CPU where no cpu cgroup is available (see the
# cgroups section). Refusing it would break honest code (`subprocess.Popen(...,
# start_new_session=True)` raises); the process simply stays in the run's session, which has no
# controlling terminal anyway.
# Syscall numbers from asm/unistd_64.h (x86_64) and asm-generic/unistd.h (aarch64). All are
# refused with EPERM except `clone` (refused only with namespace flags), `clone3` (ENOSYS) and
# `setsid` (the no-op).
_SYSCALL_TABLE = """
name                 x86_64 aarch64
clone                    56     220
clone3                  435     435
ptrace                  101     117
process_vm_readv        310     270
process_vm_writev       311     271
unshare                 272      97
setsid                  112     157
setns                   308     268
mount                   165      40
umount2                 166      39
pivot_root              155      41
chroot                  161      51
open_tree               428     428
move_mount              429     429
fsopen                  430     430
fsconfig                431     431
fsmount                 432     432
fspick                  433     433
mount_setattr           442     442
keyctl                  250     219
add_key                 248     217
request_key             249     218
bpf                     321     280
userfaultfd             323     282
perf_event_open         298     241
io_uring_setup          425     425
io_uring_enter          426     426
io_uring_register       427     427
kexec_load              246     104
kexec_file_load         320     294
init_module             175     105
finit_module            313     273
delete_module           176     106
acct                    163      89
swapon                  167     224
swapoff                 168     225
reboot                  169     142
quotactl                179      60
syslog                  103     116
vhangup                 153      58
fanotify_init           300     262
name_to_handle_at       303     264
open_by_handle_at       304     265
"""
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def _syscall_numbers(machine: str) -> dict[str, int]:
    lines = _SYSCALL_TABLE.strip().split("\n")
    column = lines[0].split().index(machine)
    return {row.split()[0]: int(row.split()[column]) for row in lines[1:]}


# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
_CLONE_NS_FLAGS |= 0x40000000 | 0x00000080


def _seccomp_program() -> bytes | None:
    """A classic-BPF seccomp filter for this machine, or None on an unknown architecture."""
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH or sys.byteorder != "little":
        return None
    arch, nr = _AUDIT_ARCH[machine], _syscall_numbers(machine)
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    errno = 0x00050000
    eperm, enosys = errno | 1, errno | 38
    special = ("clone", "clone3", "setsid")
    denied = [number for name, number in nr.items() if name not in special]
    # Layout: arch check, syscall checks, allow, clone flag check, then the return blocks.
    prog: list[tuple[int, int, int, int]] = []
    n_checks = len(denied) + len(special) + (1 if machine == "x86_64" else 0)
    # Index of the tail blocks, relative to the start of the program.
    i_allow = 3 + n_checks
    i_clone = i_allow + 1  # ld args[0]; jset; ret allow
    i_eperm = i_clone + 3
    i_enosys = i_eperm + 1
    i_kill = i_enosys + 1
    i_no_op = i_kill + 1

    def jump(kind, k, target_true, target_false=None):
        here = len(prog)
        jt = target_true - here - 1 if target_true is not None else 0
        jf = target_false - here - 1 if target_false is not None else 0
        assert 0 <= jt < 256, "BPF jump too long"
        assert 0 <= jf < 256, "BPF jump too long"
        prog.append((kind, jt, jf, k))

    prog.append((ld_abs, 0, 0, 4))  # seccomp_data.arch
    jump(jeq, arch, len(prog) + 1, i_kill)
    prog.append((ld_abs, 0, 0, 0))  # seccomp_data.nr
    if machine == "x86_64":
        jump(jge, 0x40000000, i_eperm, len(prog) + 1)  # the x32 ABI
    for number in denied:
        jump(jeq, number, i_eperm, len(prog) + 1)
    jump(jeq, nr["clone"], i_clone, len(prog) + 1)
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to
    # clone, whose flags are checked.
    jump(jeq, nr["clone3"], i_enosys, len(prog) + 1)
    jump(jeq, nr["setsid"], i_no_op, len(prog) + 1)
    assert len(prog) == i_allow
    prog.append((ret, 0, 0, allow))
    prog.append((ld_abs, 0, 0, 16))  # low 32 bits of args[0] (little-endian): clone flags
    jump(jset, _CLONE_NS_FLAGS, i_eperm, len(prog) + 1)
    prog.append((ret, 0, 0, allow))
    assert len(prog) == i_eperm
    prog.append((ret, 0, 0, eperm))
    prog.append((ret, 0, 0, enosys))
    prog.append((ret, 0, 0, kill))
    prog.append((ret, 0, 0, errno | 0))  # "errno 0": returns 0, as a success, doing nothing
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


# ----------------------------------------------------------------------------- bwrap argv


def _sandbox_env(home: str, python_bin: str, tmp: str) -> dict[str, str]:
    env = {
        "HOME": home,
        "PATH": f"{python_bin}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": "candidate",
        "LOGNAME": "candidate",
        "TMPDIR": tmp,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
        "IPYTHONDIR": f"{tmp}/ipython",  # not in the work dir: only the candidate's files go there
        "XDG_CACHE_HOME": f"{tmp}/cache",
        "XDG_CONFIG_HOME": f"{tmp}/config",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "GX_ANALYTICS_ENABLED": "false",
        # One thread per BLAS/OpenMP pool: threads count against RLIMIT_NPROC, and job slots
        # already use the cores in parallel.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
    }
    for name in PASSTHROUGH_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _python_runtime() -> tuple[list[str], str, str]:
    """bwrap mounts for the Python runtime, the interpreter and its bin dir inside the sandbox.

    The base prefix (a pyenv build under /root, mode 0700, on these machines) is mounted at its
    real path, because the venv's `python3` is an absolute symlink into it and pyvenv.cfg names
    it; parents that bwrap creates are made 0755 (bwrap's default 0700 would lock the uid out).
    The venv is mounted at SANDBOX_VENV, not its real path: it lives in the repository
    (/work/main/.venv), which must stay invisible, and /work is the candidate's work dir.
    """
    base = Path(sys.base_prefix).resolve()
    args: list[str] = []
    if not any(base == Path(d) or Path(d) in base.parents for d in SYSTEM_DIRS):
        for top in ("/work", "/tmp", "/proc", "/dev", "/etc", SANDBOX_OPT):
            if base == Path(top) or Path(top) in base.parents:
                raise SandboxUnavailable(f"the Python runtime at {base} overlaps {top}")
        for parent in reversed(base.parents[:-1]):
            args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(base), str(base)]
    args += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", SANDBOX_OPT]
    if sys.prefix != sys.base_prefix:
        prefix = Path(sys.prefix)
        args += ["--ro-bind", str(prefix), SANDBOX_VENV]
        try:
            rel = Path(sys.executable).relative_to(prefix)
        except ValueError:
            rel = Path("bin/python")
        python = f"{SANDBOX_VENV}/{rel.as_posix()}"
        python_bin = f"{SANDBOX_VENV}/bin"
    else:
        python = str(Path(sys.executable).resolve())
        python_bin = str(Path(python).parent)
    return args, python, python_bin


def _data_fd(data: bytes) -> int:
    """A pipe's read end holding `data` (small: it must fit in the pipe buffer)."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


def _bwrap_argv(
    *,
    workdir: Path,
    uid: int,
    marker_fd: int,
    limits: Limits,
    passwd_fd: int,
    group_fd: int,
    seccomp_fd: int | None,
) -> list[str]:
    bwrap, setpriv = _tool("bwrap"), _tool("setpriv")
    if bwrap is None or setpriv is None:
        raise SandboxUnavailable("bwrap or setpriv disappeared")
    runtime, python, python_bin = _python_runtime()
    etc: list[str] = ["--perms", "0755", "--dir", "/etc"]
    if os.path.isfile("/etc/ld.so.cache"):
        etc += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if os.path.exists("/etc/localtime"):
        etc += ["--ro-bind", os.path.realpath("/etc/localtime"), "/etc/localtime"]
    # A generated passwd/group naming only the candidate's uid (getpass.getuser() and `id`
    # work), instead of the host's account list.
    etc += ["--perms", "0444", "--ro-bind-data", str(passwd_fd), "/etc/passwd"]
    etc += ["--perms", "0444", "--ro-bind-data", str(group_fd), "/etc/group"]
    env = _sandbox_env(SANDBOX_WORK, python_bin, "/tmp")
    setenv = [a for k, v in env.items() for a in ("--setenv", k, v)]
    return [
        bwrap,
        *("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"),
        *("--unshare-cgroup-try", "--hostname", "datalit"),
        # --die-with-parent: the sandbox dies if the grader does; --new-session: no TIOCSTI.
        *("--die-with-parent", "--new-session"),
        # Root inside bwrap would keep its capabilities (it could remount / read-write): drop
        # them all except the three setpriv needs to switch to the slot's uid; setpriv then
        # clears those too (bounding, inheritable, and permitted/effective by the uid change).
        *("--cap-drop", "ALL"),
        *("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"),
        # ALLOWLIST of mounts; `--ro-bind / /` would expose keys, solutions and the gradebook.
        *_system_dir_args(),
        *etc,
        *runtime,
        *("--ro-bind", str(RUNNER.resolve()), SANDBOX_RUNNER),
        *("--proc", "/proc", "--dev", "/dev"),
        *("--perms", "1777", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"),
        # POSIX semaphores and shared memory (multiprocessing, joblib) live in /dev/shm.
        *("--perms", "1777", "--size", str(SANDBOX_SHM_BYTES), "--tmpfs", "/dev/shm"),
        # No --chdir: bwrap would chdir without capabilities, as a root that cannot enter the
        # 0700 work dir owned by the slot's uid; the runner changes to /work itself.
        *("--bind", str(workdir.resolve()), SANDBOX_WORK),
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        "--clearenv",
        *setenv,
        "--",
        setpriv,
        *("--reuid", str(uid), "--regid", str(uid), "--clear-groups"),
        *("--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"),
        *_runner_args(python, SANDBOX_RUNNER, SANDBOX_WORK, marker_fd, limits),
    ]


def _runner_args(python: str, runner: str, work: str, marker_fd: int, limits: Limits) -> list:
    # -I (isolated): ignore PYTHON* variables, no user site-packages, and the script's directory
    # is not put on sys.path. Not -S: `site` is what puts the venv's site-packages (pandas, ...)
    # on sys.path. -B: -I also ignores PYTHONDONTWRITEBYTECODE, and no .pyc should land in /work.
    return [
        *(python, "-I", "-B", runner),
        f"{work}/{SUBMISSION}",
        f"{work}/{PRIVATE_DIR}/{EXECUTED}",
        str(marker_fd),
        str(limits.max_stream_bytes),
    ]


# ----------------------------------------------------------------------------- monitor


_MARKER = re.compile(
    rb"(ready|cell-start|cell-end|exit|done)(?: (\d{1,6}))?"
    rb'(?: (ok|error)(?: ("(?:[^"\\]|\\.){0,700}"|\w{1,100}))?)?'
)


def _exception_name(raw: bytes | None) -> str:
    """The class name in a `cell-end K error` marker: a JSON string (any name, non-ASCII too),
    cleaned of control characters and capped, or "Exception" if unreadable."""
    if not raw:
        return "Exception"
    if raw.startswith(b'"'):
        try:
            name = json.loads(raw)
        except ValueError:
            return "Exception"
    else:
        name = raw.decode("ascii")
    name = _clean(name if isinstance(name, str) else "")[:100].strip()
    return name or "Exception"


class _Progress:
    """State from the runner's markers. Tamperable: candidate code runs in the runner's own
    process and can write to the pipe, so the markers only drive per-cell timeouts and
    reporting, cell numbers are bounded by the real count, and a line the runner would never
    have written there and then (not a marker, out of sequence, anything after `done`) is
    counted as forged: the run's account of itself is then not trusted (status "tampered")."""

    def __init__(self, cells_total: int):
        self.cells_total = cells_total
        self.ready = False
        self.running: int | None = None  # cell started and not ended
        self.started_at: float | None = None
        self.last_started: int | None = None
        self.completed = 0
        self.error: tuple[int, str] | None = None
        self.done_at: float | None = None
        self.exited_after: int | None = None  # `exit()` in a cell: the runner stopped after it
        self.forged = 0
        """Lines out of the runner's sequence. Which of two conflicting lines was forged cannot
        be told (a forged `cell-end K ok` is accepted, the runner's own `cell-end K error` after
        it is not), so none is quoted to the reviewer."""
        self._buf = b""

    def feed(self, data: bytes, now: float) -> None:
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        if len(self._buf) > 4096:  # no legitimate marker is that long
            self._buf = b""
            self.forged += 1
        for line in lines:
            m = _MARKER.fullmatch(line.strip())
            if m is None or not self._handle(m, now):
                self.forged += 1

    def _handle(self, m: re.Match, now: float) -> bool:
        """Apply one marker; False if the runner's own sequence could not have produced it."""
        kind, number = m.group(1), m.group(2)
        k = int(number) if number else None
        if self.done_at is not None:
            return False  # nothing follows `done`
        if kind == b"ready":  # once, first, with the real number of cells
            first = not self.ready and k == self.cells_total
            self.ready = True
            return first
        if not self.ready:
            return False
        if kind == b"done":  # after the last cell, or after the cell that raised
            if self.running is not None:
                return False
            self.done_at = now
            return True
        if k is None or not 1 <= k <= self.cells_total:
            return False
        # The runner's sequence is strict (cell k starts after cell k-1 ended ok, and ends
        # before cell k+1 starts); markers out of sequence are forgeries and change nothing, so
        # a notebook can at most misreport the cell it is running.
        if kind == b"exit":
            if k == self.completed and self.running is None and self.exited_after is None:
                self.exited_after = k
                return True
            return False
        if kind == b"cell-start":
            if self.running is None and self.error is None and k == self.completed + 1:
                self.running, self.started_at, self.last_started = k, now, k
                return True
            return False
        if kind == b"cell-end" and self.running == k and m.group(3):
            self.running, self.started_at = None, None
            if m.group(3) == b"ok":
                self.completed = k
            else:
                self.error = (k, _exception_name(m.group(4)))
            return True
        return False


class _Tail:
    """Keeps the last `cap` bytes of a stream; everything else is read and discarded."""

    def __init__(self, cap: int):
        self.cap = cap
        self.buf = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > 2 * self.cap:
            cut = len(self.buf) - self.cap
            self.dropped += cut
            del self.buf[:cut]

    def text(self) -> str:
        data = bytes(self.buf[-self.cap :])
        dropped = self.dropped + len(self.buf) - len(data)
        text = _clean(data.decode("utf-8", "replace"))
        if dropped:
            text = f"[datalit: {dropped} earlier bytes of output dropped]\n" + text
        encoded = text.encode("utf-8")
        if len(encoded) > self.cap:
            text = encoded[-self.cap :].decode("utf-8", "ignore")
        return text


# ANSI escape sequences, C0/C1 control characters other than tab and newline, and Unicode
# direction overrides (which can make text read differently from what it is).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _clean(text: str) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class _Run:
    progress: _Progress
    tail: _Tail
    returncode: int | None
    killed_for: str | None  # "cell", "total", "after_done"
    leftovers: int


def _monitor(proc: subprocess.Popen, marker_r: int, limits: Limits, cells_total: int, kill) -> _Run:
    progress, tail = _Progress(cells_total), _Tail(limits.max_stream_bytes)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "stream")
    sel.register(marker_r, selectors.EVENT_READ, "markers")
    start = time.monotonic()
    deadline = start + limits.total_timeout_s
    killed_for: str | None = None
    exited_at: float | None = None
    while True:
        now = time.monotonic()
        if proc.poll() is not None:
            exited_at = exited_at or now
            # The runner is gone: stop at EOF (the whole sandbox is gone) or after a grace
            # period (in unsafe mode a background process may hold the pipes open).
            if not sel.get_map() or now - exited_at > EXIT_GRACE_S:
                break
            wait = EXIT_GRACE_S
        elif killed_for is None and now >= deadline:
            killed_for = "total"
            kill()
            continue
        elif (
            killed_for is None
            and progress.started_at is not None
            and now - progress.started_at >= limits.cell_timeout_s
        ):
            killed_for = "cell"
            kill()
            continue
        elif killed_for is None and progress.done_at and now - progress.done_at > DONE_GRACE_S:
            killed_for = "after_done"
            kill()
            continue
        else:
            wait = deadline - now
            if progress.started_at is not None:
                wait = min(wait, progress.started_at + limits.cell_timeout_s - now)
            if progress.done_at is not None:
                wait = min(wait, progress.done_at + DONE_GRACE_S - now)
        wait = max(0.0, min(wait, 0.5))
        if not sel.get_map():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)
            continue
        for key, _ in sel.select(timeout=wait):
            try:
                data = os.read(key.fd, 65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fd)
                continue
            if key.data == "stream":
                tail.add(data)
            else:
                progress.feed(data, time.monotonic())
    sel.close()
    return _Run(progress, tail, proc.returncode, killed_for, 0)


# ----------------------------------------------------------------------------- outcome


def _fmt_s(seconds: float) -> str:
    return f"{seconds:g} s"


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _signal_of(returncode: int | None, sandboxed: bool) -> int | None:
    if returncode is None:
        return None
    if returncode < 0:
        return -returncode
    if sandboxed and returncode > 128:  # bwrap exits with 128+N when its child died of signal N
        return returncode - 128
    return None


def _outcome(run: _Run, limits: Limits, cells_total: int, sandboxed: bool, oom: bool):
    """(status, reason, failed_cell) from what the monitor saw."""
    p = run.progress
    cell = p.running
    if run.killed_for == "cell":
        return (
            "cell_timeout",
            f"cell {cell} ran longer than {_fmt_s(limits.cell_timeout_s)} and was stopped",
            cell,
        )
    if run.killed_for == "total":
        where = f" (during cell {cell})" if cell else ""
        return (
            "total_timeout",
            f"the notebook ran longer than {_fmt_s(limits.total_timeout_s)} in total and was "
            f"stopped{where}",
            cell,
        )
    if p.forged:
        return (
            "tampered",
            f"the notebook wrote to the grader's progress channel itself ({p.forged} line(s) "
            "out of the runner's sequence), so the grader cannot tell which cells ran or how "
            "the run ended; its output files were graded as they were written",
            None,
        )
    if p.error is not None:
        k, name = p.error
        if name == "MemoryError":
            return (
                "cell_error",
                f"cell {k} ran out of memory (MemoryError; the memory limit is "
                f"{_fmt_bytes(limits.memory_bytes)}) and the run stopped there",
                k,
            )
        return "cell_error", f"cell {k} raised {name} and the run stopped there", k
    if p.done_at is not None and p.completed == cells_total:
        return "completed", f"all {cells_total} code cells ran", None
    if not p.ready:
        return (
            "sandbox_error",
            "the grader could not start the notebook runner (a problem on the grading side, "
            "not in your notebook)",
            None,
        )
    failed = cell
    where = f"during cell {cell}" if cell is not None else f"after cell {p.completed}"
    if p.exited_after is not None and cell is None:
        return (
            "killed",
            f"the notebook stopped itself (exit() or quit()) after cell {p.exited_after}, so "
            f"the remaining cells did not run",
            None,
        )
    sig = _signal_of(run.returncode, sandboxed)
    if sig == signal.SIGKILL and oom:
        return (
            "memory",
            f"the notebook was killed by the system for using too much memory {where}",
            failed,
        )
    if sig == signal.SIGXCPU:
        return (
            "killed",
            f"the notebook used more than {limits.cpu_limit()} s of CPU time and was stopped "
            f"{where}",
            failed,
        )
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else sig
        how = f"was killed by signal {name}"
    else:
        how = f"exited (exit code {run.returncode})"
    return "killed", f"the notebook's process {how} {where}, so the run ended early", failed


def _sanitize_outputs(raw_outputs, budget: dict, execution_count: int) -> list:
    """Rebuild one cell's outputs from untrusted JSON: known shapes, allowed MIME types,
    control characters stripped, within the text/image budgets."""

    def text(value) -> str | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "".join(value)
        if not isinstance(value, str):
            return None
        value = _clean(value)
        n = len(value.encode("utf-8"))
        if n > budget["text"]:
            value = value.encode("utf-8")[: budget["text"]].decode("utf-8", "ignore")
            n = budget["text"]
        budget["text"] -= n
        return value

    def png(value) -> str | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "".join(value)
        if not isinstance(value, str) or len(value) > budget["images"]:
            return None
        try:
            head = base64.b64decode("".join(value.split())[:64], validate=True)
            base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
        if not head.startswith(b"\x89PNG\r\n\x1a\n"):
            return None
        budget["images"] -= len(value)
        return value

    out = []
    if not isinstance(raw_outputs, list):
        return out
    for o in raw_outputs[:1000]:
        if not isinstance(o, dict):
            continue
        kind = o.get("output_type")
        if kind == "stream" and o.get("name") in ("stdout", "stderr"):
            t = text(o.get("text"))
            if t:
                out.append(nbv4.new_output("stream", name=o["name"], text=t))
        elif kind in ("display_data", "execute_result") and isinstance(o.get("data"), dict):
            data = {}
            for mime in ALLOWED_MIME:
                value = o["data"].get(mime)
                value = png(value) if mime == "image/png" else text(value)
                if value is not None:
                    data[mime] = value
            if data and kind == "execute_result":
                out.append(nbv4.new_output(kind, data=data, execution_count=execution_count))
            elif data:
                out.append(nbv4.new_output(kind, data=data))
        elif kind == "error":
            ename = _clean(str(o.get("ename", "")))[:200]
            evalue = text(o.get("evalue")) or ""
            tb = o.get("traceback")
            tb = [text(line) or "" for line in tb[:500]] if isinstance(tb, list) else []
            out.append(nbv4.new_output("error", ename=ename, evalue=evalue, traceback=tb))
    return out


def _write_executed(
    workdir: Path, sources: list[str], progress: _Progress, failed_cell: int | None, limits
) -> Path:
    """Replace the runner's executed notebook with a sanitized one (see Execution).

    Called only after every process of the run is gone, so nothing can race these checks.
    """
    private = workdir / PRIVATE_DIR
    path = private / EXECUTED
    ran = max(progress.completed, failed_cell or 0)
    cap = 8 * limits.max_stream_bytes + 2 * MAX_IMAGE_BYTES + 2 * MAX_NOTEBOOK_BYTES
    try:
        if private.is_symlink() or not private.is_dir():
            raise _Invalid("the private folder was replaced")
        raw = json.loads(_read_regular(path, cap, "the executed notebook"))
        raw_cells = (
            raw["cells"] if isinstance(raw, dict) and isinstance(raw.get("cells"), list) else []
        )
    except (_Invalid, ValueError, RecursionError):
        raw_cells = []
    raw_code = [c for c in raw_cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    budget = {"text": limits.max_stream_bytes, "images": MAX_IMAGE_BYTES}
    outputs, counts = [], []
    for k in range(1, len(sources) + 1):
        if k <= ran and k <= len(raw_code):
            outputs.append(_sanitize_outputs(raw_code[k - 1].get("outputs"), budget, k))
        else:
            outputs.append([])
        counts.append(k if k <= ran else None)
    nb = _fresh_notebook(sources, outputs, counts)
    # The notebook may have replaced the folder or the file by anything (a symlink, a FIFO, a
    # folder): start from a new folder that only this function writes to.
    _remove(private)
    private.mkdir(mode=0o700)
    tmp = private / f".{EXECUTED}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, path)
    return path


def _remove(path: Path) -> None:
    """Delete `path` (file, link or folder tree) without following links; a tree the candidate
    made unremovable (unsafe mode, as another user) is moved aside instead."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
    if os.path.lexists(path):
        path.rename(path.with_name(f"{path.name}.stale-{secrets.token_hex(4)}"))


# ----------------------------------------------------------------------------- execute


def execute(
    notebook: Path,
    *,
    workdir: Path,
    inputs: Mapping[str, Path],
    limits: Limits = Limits(),  # frozen, so a shared default is safe
    slot: int = 0,
    sandbox: bool = True,
) -> Execution:
    """Run the code cells of `notebook` with `inputs` copied into `workdir` (new or empty).

    The candidate's only effect is what the run writes into `workdir` (output files, plus the
    executed notebook in `workdir/.datalit/`); everything found there afterwards is untrusted
    (it may contain symlinks or FIFOs: open outputs with O_NOFOLLOW, as regular files only).
    `slot` (0-999) selects the uid 64000+slot; one run per slot at a time.

    Raises SandboxUnavailable when `sandbox` is True and bwrap cannot run, InvalidArgument for a
    bad work dir, input or limit. A bad notebook is not an exception: status "invalid_notebook".
    """
    t0 = time.monotonic()
    limits.check()
    if not isinstance(slot, int) or not 0 <= slot < MAX_SLOTS:
        raise InvalidArgument(f"slot must be an integer from 0 to {MAX_SLOTS - 1}, got {slot!r}")
    uid = SLOT_UID_BASE + slot
    if sandbox:
        reason = _cached_unavailable_reason()
        if reason is not None:
            raise SandboxUnavailable(reason)
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = None
        if owner is not None:
            raise InvalidArgument(
                f"uid {uid} (slot {slot}) belongs to the account {owner!r}; sandbox slots need "
                f"unused uids from {SLOT_UID_BASE}"
            )
    workdir = Path(workdir).absolute()

    def result(status, reason, **kw) -> Execution:
        fields = {
            "cells_total": 0,
            "cells_completed": 0,
            "failed_cell": None,
            "executed_notebook": None,
            "stream_tail": "",
        }
        fields.update(kw)
        return Execution(
            status=status,
            reason=reason,
            duration_s=time.monotonic() - t0,
            sandboxed=sandbox,
            **fields,
        )

    try:
        sources = _code_sources(Path(notebook))
    except _Invalid as e:
        return result("invalid_notebook", f"the submitted notebook {e}")
    copies = _check_workdir(workdir, inputs)
    space = _WorkSpace(workdir, limits)
    try:
        if sandbox:
            space.mount()
        try:
            _fill_workdir(workdir, copies, sources)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise InvalidArgument(
                    f"the inputs do not fit in the work dir's {_fmt_bytes(limits.max_disk_bytes)} "
                    f"and {limits.max_files} files (Limits.max_disk_bytes, max_files)"
                ) from None
            raise
        run = _launch(workdir, uid, limits, len(sources), sandbox)
        # _launch returns once no process of the run is left: the work dir is final.
        disk_full = space.full()
        space.keep()
    finally:
        space.release()
    if isinstance(run, str):
        return result("sandbox_error", run, cells_total=len(sources))
    if not sandbox:
        shutil.rmtree(workdir / PRIVATE_DIR / "tmp", ignore_errors=True)
    status, reason, failed = _outcome(run.run, limits, len(sources), sandbox, run.oom)
    if disk_full:
        reason += (
            f"; the notebook filled its work dir (at most {_fmt_bytes(limits.max_disk_bytes)} "
            f"in {limits.max_files} files and folders), so some of its writes failed"
        )
    executed = None
    if run.run.progress.ready:
        executed = _write_executed(workdir, sources, run.run.progress, failed, limits)
    return result(
        status,
        reason,
        cells_total=len(sources),
        cells_completed=min(run.run.progress.completed, len(sources)),
        failed_cell=failed,
        executed_notebook=executed,
        stream_tail=run.run.tail.text(),
    )


@dataclass
class _Launched:
    run: _Run
    oom: bool


def _launch(workdir: Path, uid: int, limits: Limits, cells_total: int, sandbox: bool):
    """Start the runner (in bwrap or not), monitor it, clean up; a string means it failed."""
    marker_r, marker_w = os.pipe()
    fds_to_close = [marker_r, marker_w]
    token = None
    try:
        if sandbox:
            # A process of this uid left by an earlier run of the slot (the grader crashed
            # before cleaning up) would share RLIMIT_NPROC and could tamper with this run.
            _kill_uid(uid)
            _chown_tree(workdir, uid)
            passwd_fd = _data_fd(
                f"candidate:x:{uid}:{uid}:candidate:/work:/usr/sbin/nologin\n".encode()
            )
            group_fd = _data_fd(f"candidate:x:{uid}:\n".encode())
            fds_to_close += [passwd_fd, group_fd]
            program = _seccomp_program()
            seccomp_fd = _data_fd(program) if program is not None else None
            if seccomp_fd is not None:
                fds_to_close.append(seccomp_fd)
            argv = _bwrap_argv(
                workdir=workdir,
                uid=uid,
                marker_fd=marker_w,
                limits=limits,
                passwd_fd=passwd_fd,
                group_fd=group_fd,
                seccomp_fd=seccomp_fd,
            )
            pass_fds = tuple(fds_to_close[1:])
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
            cwd = "/"
            nproc = limits.max_processes
        else:
            tmp = workdir / PRIVATE_DIR / "tmp"
            tmp.mkdir(mode=0o700)
            python_bin = str(Path(sys.executable).parent)
            env = _sandbox_env(str(workdir), python_bin, str(tmp))
            # No pid namespace to kill: processes are found again by this token (best effort;
            # code that scrubs its environment escapes it, which is why this mode is unsafe).
            token = f"DATALIT_RUN_TOKEN={secrets.token_hex(16)}"
            env["DATALIT_RUN_TOKEN"] = token.split("=", 1)[1]
            argv = _runner_args(
                sys.executable, str(RUNNER.resolve()), str(workdir), marker_w, limits
            )
            pass_fds = (marker_w,)
            cwd = str(workdir)
            nproc = limits.max_processes
            if os.geteuid() != 0:
                # RLIMIT_NPROC counts every process of the user, not just this run's.
                nproc += _tasks_of_uid(os.getuid())
        cgroups = _make_cgroups(uid - SLOT_UID_BASE, limits.memory_budget()) if sandbox else None
        cgroup = cgroups.memory if cgroups is not None else None
        if cgroups is not None:
            for controller in ("memory", "cpu"):
                if getattr(cgroups, controller) is None:
                    _warn_no_cgroup(controller)
        cgroup_fds = []
        for group in cgroups.joined if cgroups is not None else ():
            cgroup_fds.append(os.open(group.procs, os.O_WRONLY | os.O_CLOEXEC))
            fds_to_close.append(cgroup_fds[-1])
        oom_before = cgroup.oom_kills() if cgroup is not None else _oom_kills()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=pass_fds,
                cwd=cwd,
                env=env,
                start_new_session=True,
                preexec_fn=_preexec(_rlimits(limits, nproc), cgroup_fds),
            )
        except (OSError, subprocess.SubprocessError) as e:
            return f"the grader could not start the sandbox ({getattr(e, 'strerror', None) or e})"
        for fd in fds_to_close[1:]:
            os.close(fd)
        fds_to_close = [marker_r]

        def kill() -> None:
            # SIGKILL bwrap's process group (start_new_session); with --unshare-pid and
            # --die-with-parent the namespace's init, and with it every process inside, dies too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if token is not None:
                _kill_token(token.encode())

        try:
            run = _monitor(proc, marker_r, limits, cells_total, kill)
        finally:
            if proc.poll() is None:
                kill()
            proc.wait()
            proc.stdout.close()
            if sandbox:
                run_leftovers = _kill_uid(uid)
            else:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                run_leftovers = _kill_token(token.encode())
        run.leftovers = run_leftovers
        if sandbox and run_leftovers:
            # Should not happen (the pid namespace dies with bwrap); worth knowing if it does.
            log.warning("killed %d leftover process(es) of uid %d", run_leftovers, uid)
        oom_after = cgroup.oom_kills() if cgroup is not None else _oom_kills()
        oom = oom_before is not None and oom_after is not None and oom_after > oom_before
        if cgroups is not None:
            cgroups.remove()
        return _Launched(run, oom)
    finally:
        for fd in fds_to_close:
            with contextlib.suppress(OSError):
                os.close(fd)
