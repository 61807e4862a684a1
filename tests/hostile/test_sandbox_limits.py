"""Fast checks of the sandbox's defences that the hostile batch relies on, one piece at a time:
the work dir's tmpfs budget and the copy back, the monitor's marker sequence, refusals of
malformed notebooks that used to crash the grader. The end-to-end proof is test_hostile.py."""

from __future__ import annotations

import json
import os
import stat
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from datalit.grading import sandbox
from datalit.grading.sandbox import Limits, execute, preparation, workspace
from datalit.grading.sandbox import progress as progress_module

# Odd slots: tests/grading/test_sandbox.py takes even ones, so concurrent runs never share a uid.
SLOT = 101 + (os.getpid() % 400) * 2


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def sandboxed():
    if os.geteuid() != 0:
        pytest.skip("the sandbox runs candidate code as a slot uid, which needs root")
    if not sandbox.bwrap_available():
        pytest.fail("bwrap is unusable here: run `bash scripts/system-deps.sh` (as root)")


def test_the_work_dir_budget_holds_and_is_released(tmp_path, sandboxed):
    limits = Limits(cell_timeout_s=10, total_timeout_s=30, max_disk_bytes=8 * 1024**2, max_files=64)
    nb = _notebook(
        tmp_path / "nb.ipynb",
        "import os\nwritten = 0\n"
        "try:\n"
        "    with open('big', 'wb') as f:\n"
        "        for _ in range(100):\n"
        "            f.write(b'x' * 2**20); f.flush(); written += 2**20\n"
        "except OSError:\n"
        "    pass\n"
        "os.remove('big')\n"
        "made = 0\n"
        "try:\n"
        "    for n in range(1000):\n"
        "        open(f'f{n}', 'w').close(); made += 1\n"
        "except OSError:\n"
        "    pass\n"
        "for n in range(made):\n"
        "    os.remove(f'f{n}')\n"
        "os.makedirs('outputs')\n"
        "open('outputs/result.txt', 'w').write(f'{written} {made}')\n",
    )
    workdir = tmp_path / "w"
    ex = execute(nb, workdir=workdir, inputs={}, limits=limits, slot=SLOT)
    assert ex.status == "completed", ex.reason
    written, made = map(int, (workdir / "outputs" / "result.txt").read_text().split())
    assert 0 < written <= limits.max_disk_bytes
    assert 0 < made <= limits.max_files
    assert not os.path.ismount(workdir), "the tmpfs is gone; its files were copied back"
    assert (workdir / "outputs" / "result.txt").stat().st_uid == 0


def test_a_full_work_dir_is_named_in_the_reason(tmp_path, sandboxed):
    limits = Limits(cell_timeout_s=10, total_timeout_s=30, max_disk_bytes=4 * 1024**2)
    nb = _notebook(
        tmp_path / "nb.ipynb",
        "try:\n    open('fill', 'wb').write(b'x' * 2**23)\nexcept OSError:\n    pass",
    )
    ex = execute(nb, workdir=tmp_path / "w", inputs={}, limits=limits, slot=SLOT)
    assert "filled its work dir (at most 4 MiB in 10000 files and folders)" in ex.reason


def test_processes_share_one_memory_budget(tmp_path, sandboxed):
    """Each child stays under the per-process limit; together they exceed the run's budget, so
    the memory cgroup's OOM killer takes one of them."""
    if not sandbox.memory_cgroup_available():
        pytest.skip("no writable memory cgroup on this machine")
    limits = Limits(
        memory_bytes=400 * 1024**2,
        max_disk_bytes=16 * 1024**2,
        cell_timeout_s=20,
        total_timeout_s=40,
    )
    cell = textwrap.dedent(
        """
        import os, signal, time
        kids = []
        for i in range(4):
            pid = os.fork()
            if pid == 0:
                block = b"x" * (120 * 2**20)
                time.sleep(1)
                os._exit(0)
            kids.append(pid)
        statuses = [os.waitpid(pid, 0)[1] for pid in kids]
        killed = sum(os.WIFSIGNALED(s) and os.WTERMSIG(s) == signal.SIGKILL for s in statuses)
        print("KILLED", killed)
        """
    )
    nb = _notebook(tmp_path / "nb.ipynb", cell)
    ex = execute(nb, workdir=tmp_path / "w", inputs={}, limits=limits, slot=SLOT)
    assert ex.status == "completed", ex.reason
    killed = int(ex.stream_tail.split("KILLED")[1].split()[0])
    assert killed >= 1, "480 MiB (and the parent) do not fit in a 416 MiB budget"


def test_the_budget_counts_files_in_ram_and_names_an_oom_kill(tmp_path, sandboxed):
    """150 MiB in the process and 250 MiB written to the sandbox's /tmp (RAM that RLIMIT_AS does
    not see): over the 416 MiB budget, the cgroup kills the run, and the status says memory."""
    if not sandbox.memory_cgroup_available():
        pytest.skip("no writable memory cgroup on this machine")
    cell = textwrap.dedent(
        """
        hog = b"x" * (150 * 2**20)
        with open("/tmp/fill", "wb") as f:
            for _ in range(250):
                f.write(b"y" * 2**20)
        """
    )
    nb = _notebook(tmp_path / "nb.ipynb", "print('first')", cell)
    limits = Limits(
        memory_bytes=400 * 1024**2,
        max_disk_bytes=16 * 1024**2,
        cell_timeout_s=20,
        total_timeout_s=40,
    )
    ex = execute(nb, workdir=tmp_path / "w", inputs={}, limits=limits, slot=SLOT)
    assert ex.status == "memory", ex.reason
    assert "too much memory during cell 2" in ex.reason
    assert ex.cells_completed == 1


def test_inputs_that_do_not_fit_are_the_graders_mistake(tmp_path, sandboxed):
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * (3 * 1024**2))
    nb = _notebook(tmp_path / "nb.ipynb", "print(1)")
    limits = Limits(cell_timeout_s=10, total_timeout_s=30, max_disk_bytes=2 * 1024**2)
    with pytest.raises(sandbox.InvalidArgument, match="do not fit in the work dir"):
        execute(nb, workdir=tmp_path / "w", inputs={"data.bin": data}, limits=limits, slot=SLOT)
    assert not os.path.ismount(tmp_path / "w")


def _tree(root: Path, depth: int) -> None:
    """Folders `depth` levels below `root`'s parent (root is level 1), a file at the bottom."""
    root.mkdir()
    folder = root
    for level in range(depth - 1):
        folder = folder / f"level{level}"
        folder.mkdir()
    (folder / "bottom.txt").write_text("deep")


def test_the_copy_back_follows_nothing_and_stops_at_a_depth(tmp_path):
    source, target = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    (source / "outputs").mkdir()
    (source / "outputs" / "link.csv").symlink_to("/etc/passwd")
    (source / "outputs" / "dirlink").symlink_to("/etc")
    os.mkfifo(source / "outputs" / "pipe.json")
    (source / "outputs" / "plain.csv").write_text("a\n1\n")
    (source / os.fsdecode(b"\xff\xfe-name")).write_text("odd name")
    locked = source / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("still copied")
    locked.chmod(0)
    _tree(source / "deep", sandbox.KEPT_DEPTH + 5)
    started = time.monotonic()
    workspace._copy_tree(source, target, Limits())
    assert time.monotonic() - started < 5, "no FIFO was opened"
    out = target / "outputs"
    assert os.readlink(out / "link.csv") == "/etc/passwd"
    assert os.readlink(out / "dirlink") == "/etc"
    assert stat.S_ISFIFO(os.lstat(out / "pipe.json").st_mode)
    assert (out / "plain.csv").read_text() == "a\n1\n"
    assert (target / os.fsdecode(b"\xff\xfe-name")).read_text() == "odd name"
    assert (target / "locked" / "secret.txt").read_text() == "still copied"
    folders = [p for p in (target / "deep").rglob("*") if p.is_dir()]
    depth = max(len(p.relative_to(target).parts) for p in folders)
    assert depth == sandbox.KEPT_DEPTH, "deeper levels are dropped"
    assert not list((target / "deep").rglob("bottom.txt"))


def test_the_copy_back_writes_no_more_than_the_tmpfs_could_hold(tmp_path):
    """Hard links (one inode, a full copy per name) and sparse files (a size, no data) could
    turn a small tmpfs into terabytes on the real disk; the copy keeps holes and stops at the
    tmpfs's budget."""
    source, target = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    (source / "a.bin").write_bytes(b"x" * 2**20)
    for n in range(40):
        os.link(source / "a.bin", source / f"link-{n}.bin")
    with open(source / "sparse.bin", "wb") as f:
        f.seek(2**30)
        f.write(b"end")
    limits = Limits(max_disk_bytes=8 * 2**20, max_files=30)
    workspace._copy_tree(source, target, limits)
    used = sum(p.stat().st_blocks * 512 for p in target.iterdir())
    assert used <= limits.max_disk_bytes + 2**20
    assert len(list(target.iterdir())) <= limits.max_files
    sparse = target / "sparse.bin"
    if sparse.exists():  # kept if scanned before the budget ran out: with its hole
        assert sparse.stat().st_size == 2**30 + 3
        assert sparse.stat().st_blocks * 512 < 2**20


def _progress(*lines: str, cells: int = 3) -> progress_module._Progress:
    progress = progress_module._Progress(cells)
    progress.feed(("\n".join(lines) + "\n").encode(), now=1.0)
    return progress


def test_markers_out_of_sequence_are_ignored():
    forged = _progress(
        "ready 3",
        "cell-start 1",
        "cell-end 1 ok",
        "cell-start 2",
        "cell-end 1 error Fake",  # an error for a cell that is not running
        "cell-start 3",  # a cell starting while another runs
        "cell-end 9 ok",
        "exit 1",  # past the end; an exit while a cell runs
    )
    assert forged.error is None
    assert forged.running == 2
    assert forged.completed == 1
    assert forged.exited_after is None
    assert forged.forged == 4
    honest = _progress(
        "ready 3",
        "cell-start 1",
        "cell-end 1 ok",
        "cell-start 2",
        'cell-end 2 error "ValueError"',
        "done",
    )
    assert honest.error == (2, "ValueError")
    assert honest.running is None
    assert honest.forged == 0


@pytest.mark.parametrize(
    "lines",
    [
        ["ready 3", "cell-start 1", "cell-end 1 ok", "done", "cell-start 2"],  # after done
        ["ready 3", "ready 3"],
        ["cell-start 1", "ready 3"],  # before ready
        ["ready 4"],  # not the real number of cells
        ["ready 3", "hello"],  # not a marker
        ["ready 3", "cell-start 1", "done"],  # done while a cell runs
        ["ready 3", "cell-start 1", "cell-end 1"],  # an end without its outcome
    ],
)
def test_a_line_the_runner_would_not_write_is_forged(lines):
    assert _progress(*lines).forged == 1


def test_any_exception_name_comes_through_a_marker_cleaned():
    name = json.dumps("Ошибка\u202e\x1b[31m" + "x" * 300)
    progress = _progress("ready 3", "cell-start 1", f"cell-end 1 error {name}")
    assert progress.forged == 0
    k, reported = progress.error
    assert k == 1
    assert reported.startswith("Ошибкаx")
    assert len(reported) == 100


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    return path


def test_a_lone_surrogate_in_a_cell_is_an_invalid_notebook(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = '\ud800'"}
    data = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    with pytest.raises(preparation._Invalid, match=r"not valid Unicode \(U\+D800"):
        preparation._code_sources(_write(tmp_path, data.encode()))


def test_a_folder_as_the_notebook_is_refused_with_a_reason(tmp_path):
    (tmp_path / "nb.ipynb").mkdir()
    with pytest.raises(preparation._Invalid, match=r"^is not a regular file$"):
        preparation._code_sources(tmp_path / "nb.ipynb")


def test_a_version_3_notebook_is_named_as_such(tmp_path):
    data = json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}).encode()
    with pytest.raises(preparation._Invalid, match="format version 3"):
        preparation._code_sources(_write(tmp_path, data))
