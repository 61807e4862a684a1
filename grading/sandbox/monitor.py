"""The monitor: start the runner, watch it from outside, clean up after it.

Owns the watching (`_monitor`): the per-cell and total wall-clock timeouts, measured here from
the runner's markers and the clock, never trusted to the runner; the grace after `done`; both
pipes drained all the time, so that the runner never blocks on a full one and the captured
output stays bounded. And the run's life around it (`_launch`): the runner started (in bwrap or
not) in a session of its own, in its cgroups and under the rlimits (set between fork and exec),
the whole run killed on a timeout, and every process of it reaped before `_launch` returns, so
the work dir is final when the outcome is read. The OOM verdict (the cgroup's counter, or the
machine's) is taken around the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from datalit.grading.sandbox.bwrap_args import _bwrap_argv, _data_fd, _runner_args, _sandbox_env
from datalit.grading.sandbox.cgroup import _make_cgroups, _warn_no_cgroup
from datalit.grading.sandbox.limits import (
    DONE_GRACE_S,
    EXIT_GRACE_S,
    PRIVATE_DIR,
    RUNNER,
    SLOT_UID_BASE,
    Limits,
)
from datalit.grading.sandbox.preparation import _chown_tree
from datalit.grading.sandbox.processes import (
    _kill_token,
    _kill_uid,
    _oom_kills,
    _preexec,
    _rlimits,
    _tasks_of_uid,
)
from datalit.grading.sandbox.progress import _Progress, _Tail
from datalit.grading.sandbox.seccomp import _seccomp_program

# One logger for the whole package, as when it was one module.
log = logging.getLogger(__package__)


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
