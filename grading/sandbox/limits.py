"""The limits of one sandboxed run and the constants every stage of it shares.

Owns `Limits` (per-run resource limits, the same in sandboxed and unsafe mode), the machine-wide
caps and timings (slot uids, notebook size, the sandbox's /tmp and /dev/shm, grace periods), the
work dir's layout (where the submission, the runner's output and the runner itself are) and
`SandboxUnavailable`. They live apart from the stages so that every module of the package can
import them without importing another stage: this module depends on datalit.errors only. To
change a machine-wide limit, change it here (docs/security.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalit.errors import DatalitError, InvalidArgument

SLOT_UID_BASE = 64000
MAX_SLOTS = 1000
MAX_NOTEBOOK_BYTES = 20 * 1024**2
MAX_CODE_CELLS = 5000
MAX_CELLS = 20_000
# grading/runner.py, next to this package: the script bwrap mounts read-only at SANDBOX_RUNNER.
RUNNER = Path(__file__).parent.with_name("runner.py")

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
