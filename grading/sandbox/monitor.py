"""The one monitor behind both launchers: start the runner, watch it from outside, clean up.

Owns the watching (`_monitor`): the per-cell and total wall-clock timeouts, measured here from
the runner's markers and the clock, never trusted to the runner; the grace after `done`; both
pipes drained all the time, so that the runner never blocks on a full one and the captured
output stays bounded. And the run's life around it (`_launch`): the launcher's command started
in a session of its own, in its cgroups and under the rlimits (set between fork and exec), the
whole run killed on a timeout, and every process of it reaped before `_launch` returns, so the
work dir is final when the outcome is read. The OOM verdict (the cgroup's counter, or the
machine's) is taken around the run. What differs between sandboxed and unsafe runs is the
launcher's (launchers.py).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from datalit.grading.sandbox.launchers import Launcher, _preexec, _rlimits
from datalit.grading.sandbox.limits import DONE_GRACE_S, EXIT_GRACE_S, Limits
from datalit.grading.sandbox.processes import _oom_kills
from datalit.grading.sandbox.progress import _Progress, _Tail


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


def _launch(launcher: Launcher, workdir: Path, limits: Limits, cells_total: int):
    """Start the runner with `launcher`, monitor it, clean up; a string means it failed."""
    marker_r, marker_w = os.pipe()
    fds_to_close = [marker_r, marker_w]
    try:
        command = launcher.command(workdir, limits, marker_w, fds_to_close)
        cgroups = launcher.cgroups(limits)
        cgroup = cgroups.memory if cgroups is not None else None
        cgroup_fds = []
        for group in cgroups.joined if cgroups is not None else ():
            cgroup_fds.append(os.open(group.procs, os.O_WRONLY | os.O_CLOEXEC))
            fds_to_close.append(cgroup_fds[-1])
        oom_before = cgroup.oom_kills() if cgroup is not None else _oom_kills()
        try:
            proc = subprocess.Popen(
                command.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=command.pass_fds,
                cwd=command.cwd,
                env=command.env,
                start_new_session=True,
                preexec_fn=_preexec(_rlimits(limits, command.nproc), cgroup_fds),
            )
        except (OSError, subprocess.SubprocessError) as e:
            return f"the grader could not start the sandbox ({getattr(e, 'strerror', None) or e})"
        for fd in fds_to_close[1:]:
            os.close(fd)
        fds_to_close = [marker_r]

        def kill() -> None:
            # SIGKILL the started process's group (start_new_session). Sandboxed, that is bwrap:
            # with --unshare-pid and --die-with-parent the namespace's init, and with it every
            # process inside, dies too. What a process group does not hold is the launcher's.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            launcher.kill_strays()

        try:
            run = _monitor(proc, marker_r, limits, cells_total, kill)
        finally:
            if proc.poll() is None:
                kill()
            proc.wait()
            proc.stdout.close()
            run_leftovers = launcher.reap(proc)
        run.leftovers = run_leftovers
        launcher.report_leftovers(run_leftovers)
        oom_after = cgroup.oom_kills() if cgroup is not None else _oom_kills()
        oom = oom_before is not None and oom_after is not None and oom_after > oom_before
        if cgroups is not None:
            cgroups.remove()
        return _Launched(run, oom)
    finally:
        for fd in fds_to_close:
            with contextlib.suppress(OSError):
                os.close(fd)
