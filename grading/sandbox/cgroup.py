"""The memory and cpu cgroups of a job slot, made for each sandboxed run and removed after.

Memory. RLIMIT_AS bounds each process, but a notebook may run max_processes of them: together
they could hold max_processes × memory_bytes. Where the machine has a memory cgroup controller
(cgroup v2, or v1's memory hierarchy) that root can write, every run gets the slot's own
cgroup, limited to `Limits.memory_budget()` (its tmpfs files are charged to it too); its OOM
counter then also tells a run killed for memory from one killed otherwise. Without one, the run
is bounded per process only (a warning is logged once).

CPU. The kernel shares CPU time between scheduling groups, not processes: with session
autogrouping (the default on desktops and most servers) every session is a group, so a notebook
whose processes each call setsid() would get dozens of shares against the neighbouring slot's
one, and starve an honest notebook into its wall-clock timeout. Where a cpu controller is
writable, every slot gets its own cpu cgroup with the same weight (v2 `cpu.weight`, v1
`cpu.shares`): a slot gets at least its share of the CPU whatever its processes do (and tasks
in a cgroup other than the root are not autogrouped). Where none is, the fallback is the
session: bwrap starts every run in a session of its own (--new-session) and seccomp makes
setsid() inside a no-op that reports success (honest code calling it keeps working), so each slot
stays ONE autogroup. The last line of defence is in the batch
loop (grading/grader/loop.py): a run that hits a wall-clock limit while another slot was busy is graded
again alone before anything is recorded.

Owns finding the cgroup hierarchies (v2, or v1's memory and cpu), making the slot's groups with
their limits, reading their OOM counter and removing them. Joining them is the launch's business
(the started process writes itself into `cgroup.procs` before it execs bwrap).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from datalit.grading.sandbox.limits import MAX_SLOTS, Limits

# One logger for the whole package, as when it was one module.
log = logging.getLogger(__package__)

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
