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

This module is the package's face: `execute` and the names the rest of datalit uses. The stages
are modules of their own, each importing only `limits` and the stages before it:

- `limits`: `Limits`, `SandboxUnavailable`, slot uids, machine-wide caps, the work dir's layout;
- `availability`: whether bwrap can run here (`bwrap_available`), probed once per process;
- `preparation`: the submission reduced to code cells, the work dir checked and filled;
- `workspace`: the work dir's tmpfs and the bounded copy back;
- `cgroup`: the slot's memory and cpu cgroups;
- `processes`: finding and killing a run's processes (by uid, or by token in unsafe mode);
- `seccomp`: the syscall filter bwrap loads;
- `bwrap_args`: bwrap's argv (the mount allowlist), the environment, the runner's arguments;
- `launchers`: `BwrapLauncher` and `UnsafeLauncher`, the two ways of starting the runner;
- `progress`: the runner's markers and the output's tail, read as untrusted;
- `monitor`: the one monitor behind both launchers (start, watch, kill, reap);
- `outcome`: `Execution`, the status and reason, the sanitized executed notebook.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Mapping
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.grading.sandbox.availability import bwrap_available
from datalit.grading.sandbox.cgroup import (
    CPU_SHARES_V1,
    CPU_WEIGHT_V2,
    cpu_cgroup_available,
    memory_cgroup_available,
)
from datalit.grading.sandbox.launchers import BwrapLauncher, Launcher, UnsafeLauncher
from datalit.grading.sandbox.limits import (
    MAX_CODE_CELLS,
    MAX_NOTEBOOK_BYTES,
    MAX_SLOTS,
    SANDBOX_SHM_BYTES,
    SANDBOX_TMP_BYTES,
    SLOT_UID_BASE,
    Limits,
    SandboxUnavailable,
)
from datalit.grading.sandbox.monitor import _launch
from datalit.grading.sandbox.outcome import Execution, _fmt_bytes, _outcome, _write_executed
from datalit.grading.sandbox.preparation import (
    _check_workdir,
    _code_sources,
    _fill_workdir,
    _Invalid,
)
from datalit.grading.sandbox.workspace import KEPT_DEPTH, _WorkSpace

__all__ = [
    "CPU_SHARES_V1",
    "CPU_WEIGHT_V2",
    "KEPT_DEPTH",
    "MAX_CODE_CELLS",
    "MAX_NOTEBOOK_BYTES",
    "MAX_SLOTS",
    "SANDBOX_SHM_BYTES",
    "SANDBOX_TMP_BYTES",
    "SLOT_UID_BASE",
    "Execution",
    "Limits",
    "SandboxUnavailable",
    "bwrap_available",
    "cpu_cgroup_available",
    "execute",
    "memory_cgroup_available",
]


def execute(
    notebook: Path,
    *,
    workdir: Path,
    inputs: Mapping[str, Path],
    limits: Limits = Limits(),  # frozen, so a shared default is safe  # noqa: B008
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
    # The only place the mode is chosen; everything that differs between the two is the
    # launcher's.
    launcher: Launcher = BwrapLauncher(slot) if sandbox else UnsafeLauncher()
    launcher.check()
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
        if launcher.tmpfs:
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
        run = _launch(launcher, workdir, limits, len(sources))
        # _launch returns once no process of the run is left: the work dir is final.
        disk_full = space.full()
        space.keep()
    finally:
        space.release()
    if isinstance(run, str):
        return result("sandbox_error", run, cells_total=len(sources))
    launcher.tidy(workdir)
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
