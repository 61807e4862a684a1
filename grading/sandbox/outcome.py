"""The outcome of a run: its status and reason, and the sanitized executed notebook.

Owns `Execution` (what `execute` returns), turning what the monitor saw into a status and one
sentence a candidate can read (`_outcome`), and rebuilding the executed notebook from the
runner's untrusted one: the trusted sources, known output shapes and allowed MIME types only,
within budgets. It runs after every process of the run is gone, so nothing races its checks.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
import shutil
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbformat import v4 as nbv4

from datalit.grading.runner import ALLOWED_MIME, MAX_IMAGE_BYTES
from datalit.grading.sandbox.limits import EXECUTED, MAX_NOTEBOOK_BYTES, PRIVATE_DIR, Limits
from datalit.grading.sandbox.preparation import _fresh_notebook, _Invalid, _read_regular
from datalit.grading.sandbox.progress import _clean, _Progress

if TYPE_CHECKING:
    from datalit.grading.sandbox.monitor import _Run


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
