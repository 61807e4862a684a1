"""How the runner is started: in bwrap as the slot's uid, or (`--unsafe-no-sandbox`) as it is.

The two modes differ only in how the runner's process is made and found again, so each is a
launcher, and both are driven by the one monitor (`monitor._launch`), which joins the cgroups,
applies the rlimits, starts the command, watches it and kills what is left the same way for
both. A launcher owns its mode's refusals before anything is prepared (`check`), the command it
starts (argv, environment, working folder, inherited descriptors, the process limit), its
cgroups, how stray processes are killed and reaped, and what it leaves to tidy in the work dir.

- `BwrapLauncher`: bwrap and setpriv as the slot's uid, a seccomp filter, the slot's cgroups
  and the work dir's tmpfs; every process of the uid is killed before and after the run.
- `UnsafeLauncher`: the same runner as the current user in the work dir; no namespaces, tmpfs
  or cgroups, and its processes are found again by an environment token (best effort).

The rlimits (`_rlimits`, `_preexec`) are the same for both and applied by the monitor, with the
launcher's process limit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import resource
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from datalit.errors import InvalidArgument
from datalit.grading.sandbox.availability import _cached_unavailable_reason
from datalit.grading.sandbox.bwrap_args import _bwrap_argv, _data_fd, _runner_args, _sandbox_env
from datalit.grading.sandbox.cgroup import _make_cgroups, _SlotCgroups, _warn_no_cgroup
from datalit.grading.sandbox.limits import (
    PRIVATE_DIR,
    RUNNER,
    SLOT_UID_BASE,
    Limits,
    SandboxUnavailable,
)
from datalit.grading.sandbox.preparation import _chown_tree
from datalit.grading.sandbox.processes import _kill_token, _kill_uid, _tasks_of_uid
from datalit.grading.sandbox.seccomp import _seccomp_program

# One logger for the whole package, as when it was one module.
log = logging.getLogger(__package__)


@dataclass(frozen=True)
class Command:
    """What a launcher starts: the runner's command line and the process's surroundings."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    pass_fds: tuple[int, ...]
    """Descriptors the runner's process inherits (the marker pipe's write end first)."""
    nproc: int
    """RLIMIT_NPROC of the started process (counted per uid)."""


class Launcher(Protocol):
    """One way of starting the runner; `monitor._launch` does everything else."""

    tmpfs: ClassVar[bool]
    """True if the run's work dir gets its own tmpfs (workspace._WorkSpace)."""

    def check(self) -> None:
        """Refuse the run (SandboxUnavailable, InvalidArgument) before anything is prepared."""

    def command(self, workdir: Path, limits: Limits, marker_w: int, opened: list[int]) -> Command:
        """Prepare the filled work dir and return what to start; every descriptor opened here
        is appended to `opened`, which the caller closes (after the start, or on failure)."""

    def cgroups(self, limits: Limits) -> _SlotCgroups | None:
        """The cgroups the run joins, made now; None for none."""

    def kill_strays(self) -> None:
        """The launcher's part of killing the run, after its process group got SIGKILL."""

    def reap(self, proc: subprocess.Popen) -> int:
        """After the run: kill every process of it still alive; how many were seen."""

    def report_leftovers(self, leftovers: int) -> None:
        """Say so if `reap` found processes where none should have been left."""

    def tidy(self, workdir: Path) -> None:
        """After a run that started: remove what the launcher put in the work dir."""


@dataclass
class BwrapLauncher:
    """The sandbox: bwrap, setpriv to the slot's uid, seccomp, the slot's cgroups, a tmpfs."""

    slot: int
    tmpfs: ClassVar[bool] = True

    @property
    def uid(self) -> int:
        return SLOT_UID_BASE + self.slot

    def check(self) -> None:
        slot, uid = self.slot, self.uid
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

    def command(self, workdir: Path, limits: Limits, marker_w: int, opened: list[int]) -> Command:
        uid = self.uid
        # A process of this uid left by an earlier run of the slot (the grader crashed
        # before cleaning up) would share RLIMIT_NPROC and could tamper with this run.
        _kill_uid(uid)
        _chown_tree(workdir, uid)
        passwd_fd = _data_fd(
            f"candidate:x:{uid}:{uid}:candidate:/work:/usr/sbin/nologin\n".encode()
        )
        group_fd = _data_fd(f"candidate:x:{uid}:\n".encode())
        opened += [passwd_fd, group_fd]
        program = _seccomp_program()
        seccomp_fd = _data_fd(program) if program is not None else None
        if seccomp_fd is not None:
            opened.append(seccomp_fd)
        argv = _bwrap_argv(
            workdir=workdir,
            uid=uid,
            marker_fd=marker_w,
            limits=limits,
            passwd_fd=passwd_fd,
            group_fd=group_fd,
            seccomp_fd=seccomp_fd,
        )
        fds = (passwd_fd, group_fd, *([seccomp_fd] if seccomp_fd is not None else []))
        return Command(
            argv=argv,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            pass_fds=(marker_w, *fds),
            nproc=limits.max_processes,
        )

    def cgroups(self, limits: Limits) -> _SlotCgroups:
        cgroups = _make_cgroups(self.slot, limits.memory_budget())
        for controller in ("memory", "cpu"):
            if getattr(cgroups, controller) is None:
                _warn_no_cgroup(controller)
        return cgroups

    def kill_strays(self) -> None:
        # Nothing beyond the process group: with --unshare-pid and --die-with-parent, every
        # process inside dies with the namespace's init.
        pass

    def reap(self, proc: subprocess.Popen) -> int:
        return _kill_uid(self.uid)

    def report_leftovers(self, leftovers: int) -> None:
        if leftovers:
            # Should not happen (the pid namespace dies with bwrap); worth knowing if it does.
            log.warning("killed %d leftover process(es) of uid %d", leftovers, self.uid)

    def tidy(self, workdir: Path) -> None:
        pass  # the tmpfs held everything the run made, and it is gone


@dataclass
class UnsafeLauncher:
    """--unsafe-no-sandbox: the runner as the current user, with the same rlimits and monitor."""

    tmpfs: ClassVar[bool] = False
    token: str | None = None
    """`DATALIT_RUN_TOKEN=...` in the environment of every process of the run."""

    def check(self) -> None:
        pass  # nothing to refuse: no bwrap, no slot uid

    def command(self, workdir: Path, limits: Limits, marker_w: int, opened: list[int]) -> Command:
        tmp = workdir / PRIVATE_DIR / "tmp"
        tmp.mkdir(mode=0o700)
        python_bin = str(Path(sys.executable).parent)
        env = _sandbox_env(str(workdir), python_bin, str(tmp))
        # No pid namespace to kill: processes are found again by this token (best effort;
        # code that scrubs its environment escapes it, which is why this mode is unsafe).
        self.token = f"DATALIT_RUN_TOKEN={secrets.token_hex(16)}"
        env["DATALIT_RUN_TOKEN"] = self.token.split("=", 1)[1]
        argv = _runner_args(sys.executable, str(RUNNER.resolve()), str(workdir), marker_w, limits)
        nproc = limits.max_processes
        if os.geteuid() != 0:
            # RLIMIT_NPROC counts every process of the user, not just this run's.
            nproc += _tasks_of_uid(os.getuid())
        return Command(argv=argv, env=env, cwd=str(workdir), pass_fds=(marker_w,), nproc=nproc)

    def cgroups(self, limits: Limits) -> None:
        return None

    def kill_strays(self) -> None:
        if self.token is not None:
            _kill_token(self.token.encode())

    def reap(self, proc: subprocess.Popen) -> int:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return _kill_token(self.token.encode())

    def report_leftovers(self, leftovers: int) -> None:
        pass  # expected: background processes of the run, found by their token

    def tidy(self, workdir: Path) -> None:
        shutil.rmtree(workdir / PRIVATE_DIR / "tmp", ignore_errors=True)


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
