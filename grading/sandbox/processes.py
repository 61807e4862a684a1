"""Finding and killing the processes of a run, so that none survives `execute`.

Owns the reaping: by uid for sandboxed runs (every process of the slot's uid, before a run and
after it), and by an environment token for unsafe runs (which share the user's uid and have no
pid namespace). Kills go through a pidfd and re-check ownership, so a recycled pid is never hit.
Also the machine-wide OOM-kill counter, the fallback where no memory cgroup counts a run's own.
"""

from __future__ import annotations

import os
import signal
import time

from datalit.grading.sandbox.limits import CLEANUP_TIMEOUT_S


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
