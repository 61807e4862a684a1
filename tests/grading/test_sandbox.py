"""The sandboxed execution stage, against real bubblewrap (no mocks).

Every sandboxed test runs real candidate-style code in bwrap and checks the effect from outside
or from facts the notebook wrote into its work dir. Needs root (the sandbox switches to a slot
uid); `bash scripts/system-deps.sh` installs bubblewrap.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.grading import sandbox as sandbox_module
from datalit.grading.sandbox import (
    SLOT_UID_BASE,
    Execution,
    Limits,
    SandboxUnavailable,
    bwrap_available,
    cgroup,
    execute,
)

# A slot per test process, so that two test runs on one machine do not share (and kill) a uid.
SLOT = 100 + (os.getpid() % 400) * 2
UID = SLOT_UID_BASE + SLOT
FAST = Limits(cell_timeout_s=2, total_timeout_s=20)
REPO = Path(__file__).resolve().parents[2]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.fixture(autouse=True, scope="module")
def _require_sandbox():
    if os.geteuid() != 0:
        pytest.skip("the sandbox runs candidate code as a slot uid, which needs root")
    if not bwrap_available():
        pytest.fail("bwrap is unusable here: run `bash scripts/system-deps.sh` (as root)")


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, str(path))
    return path


def run(tmp_path: Path, *cells: str, name: str = "w", **kw) -> tuple[Execution, Path]:
    workdir = tmp_path / name
    nb = notebook(tmp_path / f"{name}.ipynb", *cells)
    kw.setdefault("limits", FAST)
    kw.setdefault("slot", SLOT)
    return execute(nb, workdir=workdir, inputs=kw.pop("inputs", {}), **kw), workdir


def executed_outputs(ex: Execution) -> list[list[dict]]:
    assert ex.executed_notebook is not None
    nb = nbformat.read(str(ex.executed_notebook), as_version=4)
    return [c.outputs for c in nb.cells]


def uid_pids(uid: int) -> list[int]:
    """Processes with `uid` among their uids, by an independent /proc scan."""
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        except (OSError, StopIteration):
            continue
        if str(uid) in uids:
            found.append(int(p))
    return found


def cmdline_pids(needle: bytes) -> list[int]:
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if needle in f.read():
                    found.append(int(p))
        except OSError:
            continue
    return found


# ----------------------------------------------------------------------------- normal runs


def test_completed_run_writes_outputs_and_strips_the_submission(tmp_path):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    (submitted / "answers.json").write_text('{"stale": true}')  # must not reach the work dir
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# My answers"),
            nbformat.v4.new_code_cell(
                "import json, os\n"
                "rows = open('data/raw.csv').read().splitlines()\n"
                "json.dump({'rows': len(rows), 'listing': sorted(os.listdir('.'))},"
                " open('answers.json', 'w'))\n"
                "print('wrote', len(rows))",
                outputs=[nbformat.v4.new_output("stream", name="stdout", text="FORGED")],
                metadata={"points": 1000, "grade": True},
            ),
            nbformat.v4.new_code_cell("6 * 7"),
        ],
        metadata={"kernelspec": {"name": "evil", "display_name": "x", "language": "python"}},
    )
    nbformat.write(nb, str(submitted / "nb.ipynb"))
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b\n1,2\n3,4\n")
    ex = execute(
        submitted / "nb.ipynb",
        workdir=tmp_path / "w",
        inputs={"data/raw.csv": raw},
        limits=FAST,
        slot=SLOT,
    )
    assert ex.status == "completed", ex
    assert (ex.cells_total, ex.cells_completed, ex.failed_cell) == (2, 2, None)
    assert ex.sandboxed
    answers = json.loads((tmp_path / "w" / "answers.json").read_text())
    assert answers == {"rows": 3, "listing": [".datalit", "data", "submission.ipynb"]}
    sub = nbformat.read(str(tmp_path / "w" / "submission.ipynb"), as_version=4)
    assert [c.cell_type for c in sub.cells] == ["code", "code"]
    assert all(not c.outputs and not c.metadata for c in sub.cells)
    assert "evil" not in json.dumps(sub.metadata)
    outs = executed_outputs(ex)
    assert outs[0][0]["text"] == "wrote 3\n"
    assert "FORGED" not in ex.executed_notebook.read_text()
    assert outs[1][0]["output_type"] == "execute_result"
    assert outs[1][0]["data"] == {"text/plain": "42"}
    assert "wrote 3" in ex.stream_tail


def test_typical_data_work_runs_in_the_sandbox(tmp_path):
    # Threads (clone3 is refused by the seccomp filter, glibc falls back to clone), a process
    # pool (POSIX semaphores in /dev/shm), subprocesses, pandas and Parquet.
    ex, w = run(
        tmp_path,
        "import concurrent.futures as cf, multiprocessing as mp, subprocess\n"
        "import pandas as pd\n"
        "with cf.ThreadPoolExecutor(4) as pool:\n"
        "    threads = list(pool.map(abs, [-1, -2]))\n"
        "with mp.Pool(2) as pool:\n"
        "    procs = pool.map(abs, [-3, -4])\n"
        "who = subprocess.run(['id', '-un'], capture_output=True, text=True).stdout.strip()\n"
        "df = pd.DataFrame({'threads': threads, 'procs': procs, 'who': [who, who]})\n"
        "df.to_parquet('out.parquet')\n"
        "from IPython.display import Image, display\n"
        f"display(Image(data=__import__('base64').b64decode({PNG!r})))\n"
        "df",
        limits=Limits(cell_timeout_s=20, total_timeout_s=30),
    )
    assert ex.status == "completed", (ex.reason, ex.stream_tail)
    df = pd.read_parquet(w / "out.parquet")
    assert df.to_dict("list") == {
        "threads": [1, 2],
        "procs": [3, 4],
        "who": ["candidate", "candidate"],
    }
    image, table = executed_outputs(ex)[0]
    assert image["data"]["image/png"].replace("\n", "") == PNG
    assert "threads" in table["data"]["text/plain"]


def test_failing_cell_stops_the_run_and_keeps_earlier_outputs(tmp_path):
    ex, w = run(
        tmp_path,
        "open('first.txt', 'w').write('1')\nprint('cell one')",
        "raise ValueError('bad data')",
        "open('third.txt', 'w').write('3')",
    )
    assert ex.status == "cell_error"
    assert (ex.failed_cell, ex.cells_completed, ex.cells_total) == (2, 1, 3)
    assert "cell 2" in ex.reason
    assert "ValueError" in ex.reason
    assert (w / "first.txt").read_text() == "1"
    assert not (w / "third.txt").exists()
    outs = executed_outputs(ex)
    assert outs[0][0]["text"] == "cell one\n"
    assert outs[1][0]["output_type"] == "error"
    assert outs[1][0]["evalue"] == "bad data"
    assert outs[2] == []


def test_cell_timeout_stops_the_cell_and_keeps_earlier_files(tmp_path):
    start = time.monotonic()
    ex, w = run(
        tmp_path,
        "open('before.txt', 'w').write('kept')\nprint('cell one done')",
        "while True:\n    pass",
        "open('after.txt', 'w').write('never')",
    )
    assert ex.status == "cell_timeout", ex
    assert ex.failed_cell == 2
    assert ex.cells_completed == 1
    assert "cell 2 ran longer than 2 s" in ex.reason
    assert (w / "before.txt").read_text() == "kept"
    assert not (w / "after.txt").exists()
    assert executed_outputs(ex)[0][0]["text"] == "cell one done\n"
    assert time.monotonic() - start < 10
    assert uid_pids(UID) == []


def test_total_timeout(tmp_path):
    ex, _ = run(
        tmp_path,
        "import time\ntime.sleep(1.5)",
        "time.sleep(1.5)",
        "time.sleep(1.5)",
        limits=Limits(cell_timeout_s=2, total_timeout_s=3),
    )
    assert ex.status == "total_timeout", ex
    assert ex.failed_cell == 2
    assert ex.cells_completed == 1
    assert uid_pids(UID) == []


# ----------------------------------------------------------------------------- isolation

PROBE = r"""
import json, os, socket, subprocess
facts = {}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    facts["connect"] = "connected"
except OSError as e:
    facts["connect"] = repr(e)
try:
    socket.getaddrinfo("example.com", 80)
    facts["dns"] = "resolved"
except OSError as e:
    facts["dns"] = repr(e)
facts["exists"] = {p: os.path.exists(p) for p in PATHS}
def listing(p):
    try:
        return sorted(os.listdir(p))
    except OSError as e:
        return repr(e)
facts["ls"] = {p: listing(p) for p in ["/", "/root", "/root/.pyenv/versions", "/etc", "/opt/datalit", "/tmp"]}
facts["uid"] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()]
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
facts["status"] = {k: status[k].strip() for k in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")}
import getpass
facts["user"] = getpass.getuser()
try:
    os.setuid(0)
    facts["setuid0"] = "became root"
except OSError as e:
    facts["setuid0"] = repr(e)
writes = {}
for p in ["/usr/x", "/etc/x", "/x", "/root/x", "/opt/datalit/venv/x", "/opt/datalit/runner.py", "/proc/sys/kernel/hostname"]:
    try:
        with open(p, "w") as f:
            f.write("pwned")
        writes[p] = "written"
    except OSError as e:
        writes[p] = repr(e)
facts["writes"] = writes
open(SCRATCH, "w").write("ok")
facts["pid"] = os.getpid()
facts["env"] = sorted(os.environ)
facts["mount_remount"] = subprocess.run(["mount", "-o", "remount,rw", "/usr"], capture_output=True).returncode
facts["nested_userns"] = subprocess.run(["unshare", "-U", "-r", "true"], capture_output=True).returncode
json.dump(facts, open("facts.json", "w"))
"""


def test_sandbox_hides_the_host_blocks_network_and_drops_privileges(tmp_path):
    course = tmp_path / "course"
    (course / "keys").mkdir(parents=True)
    (course / "keys" / "secret.txt").write_text("cohort secret")
    (course / "gradebook.db").write_bytes(b"SQLite format 3\x00")
    paths = [
        str(REPO),
        str(REPO / "pyproject.toml"),
        str(REPO / "solutions"),
        "/work/shared",
        str(course),
        str(course / "keys" / "secret.txt"),
        str(course / "gradebook.db"),
        str(tmp_path),
        "/root/.ssh",
        "/root/.pyenv/versions/3.12.1",
        "/home",
        "/var",
        "/sys/kernel",
        "/etc/shadow",
        "/etc/hostname",
    ]
    scratch = Path(f"/tmp/datalit-probe-{os.getpid()}-{time.monotonic_ns()}")
    ex, w = run(tmp_path, f"PATHS = {paths!r}\nSCRATCH = {str(scratch)!r}", PROBE)
    assert ex.status == "completed", (ex.reason, ex.stream_tail)
    facts = json.loads((w / "facts.json").read_text())
    # Network: no route, no DNS.
    assert facts["connect"] != "connected"
    assert facts["dns"] != "resolved"
    # Nothing of the repository, the course, /root (but the Python runtime) or the host's /etc.
    assert facts["exists"] == dict.fromkeys(paths, False)
    assert facts["ls"]["/root"] == [".pyenv"]
    assert facts["ls"]["/root/.pyenv/versions"] == [Path(sys.base_prefix).name]
    assert facts["ls"]["/etc"] == ["group", "ld.so.cache", "localtime", "passwd"]
    assert facts["ls"]["/opt/datalit"] == ["runner.py", "venv"]
    # The candidate's uid, no capabilities, no way back to root.
    assert facts["uid"] == [UID, UID, UID, UID, []]
    assert facts["status"]["Uid"].split() == [str(UID)] * 4
    assert facts["status"]["Gid"].split() == [str(UID)] * 4
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(facts["status"][cap], 16) == 0, cap
    assert facts["status"]["NoNewPrivs"] == "1"
    assert facts["status"]["Seccomp"] == "2"  # a seccomp filter is active
    assert facts["user"] == "candidate"  # the generated /etc/passwd
    assert facts["setuid0"].startswith("PermissionError")
    assert facts["mount_remount"] != 0
    # Writes outside /work fail; /tmp is a private tmpfs.
    assert not any(v == "written" for v in facts["writes"].values()), facts["writes"]
    assert not scratch.exists()
    assert facts["pid"] < 10  # own pid namespace
    assert "DATALIT_RUN_TOKEN" not in facts["env"]
    assert "PYTHONUNBUFFERED" not in facts["env"]
    assert uid_pids(UID) == []


def test_nested_user_namespaces_are_blocked(tmp_path):
    ex, w = run(
        tmp_path,
        "import subprocess, json\n"
        "r = subprocess.run(['unshare', '-U', '-r', 'id'], capture_output=True, text=True)\n"
        "json.dump([r.returncode, r.stdout, r.stderr], open('userns.json', 'w'))",
    )
    assert ex.status == "completed", ex
    code, out, _ = json.loads((w / "userns.json").read_text())
    assert code != 0
    assert "uid=0" not in out


# ----------------------------------------------------------------------------- hostile code


def test_memory_error_under_the_address_space_limit(tmp_path):
    ex, w = run(
        tmp_path,
        "open('ok.txt', 'w').write('1')",
        "x = bytearray(10**11)",
        limits=Limits(memory_bytes=1024**3, cell_timeout_s=10, total_timeout_s=20),
    )
    assert ex.status == "cell_error", ex
    assert ex.failed_cell == 2
    assert ex.cells_completed == 1
    assert "memory" in ex.reason.lower()
    assert "1 GiB" in ex.reason
    assert (w / "ok.txt").exists()


def test_fork_bomb_is_contained(tmp_path):
    uid = UID + 1
    start = time.monotonic()
    ex, _ = run(tmp_path, "import os\nwhile True:\n    os.fork()", slot=SLOT + 1)
    elapsed = time.monotonic() - start
    assert ex.status != "completed" or elapsed < 5
    assert elapsed < 15, ex
    assert uid_pids(uid) == []
    assert os.getpid() > 0
    assert os.fork


def test_os_exit_mid_run_is_killed_with_partial_progress(tmp_path):
    ex, w = run(
        tmp_path,
        "open('one.txt', 'w').write('1')\nprint('one')",
        "import os\nos._exit(0)",
        "open('three.txt', 'w').write('3')",
    )
    assert ex.status == "killed", ex
    assert ex.cells_completed == 1
    assert ex.failed_cell == 2
    assert "cell 2" in ex.reason
    assert (w / "one.txt").exists()
    assert not (w / "three.txt").exists()
    assert executed_outputs(ex)[0][0]["text"] == "one\n"


def test_kill_9_of_itself_is_reported_as_killed(tmp_path):
    ex, _ = run(tmp_path, "print(1)", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    assert ex.status == "killed"
    assert "SIGKILL" in ex.reason
    assert ex.cells_completed == 1
    assert ex.failed_cell == 2


def test_huge_output_is_capped(tmp_path):
    limits = Limits(cell_timeout_s=20, total_timeout_s=30)
    ex, _ = run(tmp_path, "print('x' * 10**8)\nprint('the end')", limits=limits)
    assert ex.status == "completed", ex.reason
    assert len(ex.stream_tail.encode()) <= limits.max_stream_bytes
    assert ex.stream_tail.endswith("the end\n")
    assert ex.executed_notebook.stat().st_size < 3 * limits.max_stream_bytes


def test_background_process_does_not_outlive_execute(tmp_path):
    ex, _ = run(
        tmp_path,
        "import subprocess\n"
        "p = subprocess.Popen(['sleep', '987651'], start_new_session=True)\n"
        "print(p.pid)",
    )
    assert ex.status == "completed", ex
    assert cmdline_pids(b"sleep\x00987651") == []
    assert uid_pids(UID) == []


# The runner's argv is NOTEBOOK OUTPUT MARKER_FD MAX_STREAM_BYTES; candidate code can see it.
MARKER_FD = "import sys, os\nfd = int(sys.argv[3])\n"


def test_forged_markers_cannot_outlast_the_total_timeout(tmp_path):
    start = time.monotonic()
    ex, _ = run(
        tmp_path,
        MARKER_FD
        + "os.write(fd, b'cell-end 1 ok\\ncell-start 2\\ncell-end 2 ok\\n' + b'z' * 10**6)\n"
        "while True:\n    pass",
        "print(2)",
        limits=Limits(cell_timeout_s=1, total_timeout_s=4),
    )
    # The forged `cell-end` stopped the per-cell clock; the total timeout still holds.
    assert ex.status == "total_timeout", ex
    assert time.monotonic() - start < 8
    assert uid_pids(UID) == []


def test_rewritten_executed_notebook_is_sanitized(tmp_path):
    forged = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "forged source",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={
                            "text/html": "<script>alert(1)</script>",
                            "application/javascript": "alert(2)",
                            "text/plain": "plain \x1b[31mred\x1b[0m \u202eevil",
                        },
                    ),
                    nbformat.v4.new_output("stream", name="stdout", text="x" * 10**6),
                ],
            )
        ]
    )
    ex, _ = run(
        tmp_path,
        "from IPython.display import display, HTML, Javascript\n"
        "display(HTML('<script>alert(3)</script>'), Javascript('alert(4)'))\n"
        "print('honest')",
        # At exit (after the runner's last write) replace the executed notebook.
        "import atexit\n"
        f"forged = {nbformat.writes(forged)!r}\n"
        "atexit.register(lambda: open('.datalit/executed.ipynb', 'w').write(forged))",
        limits=Limits(cell_timeout_s=5, total_timeout_s=20, max_stream_bytes=1000),
    )
    assert ex.status == "completed", ex
    nb = nbformat.read(str(ex.executed_notebook), as_version=4)
    assert [c.source for c in nb.cells] == [
        c.source
        for c in nbformat.reads(
            nbformat.writes(nbformat.read(str(tmp_path / "w.ipynb"), as_version=4)), as_version=4
        ).cells
    ]  # the trusted sources, not the forged one
    outputs = json.dumps([c.outputs for c in nb.cells])
    assert "<script>" not in outputs
    assert "alert" not in outputs
    assert "text/html" not in outputs
    assert "\\u001b" not in outputs
    assert "\\u202e" not in outputs
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "plain red evil"}
    assert len(outputs.encode()) < 2000  # the 1 MB stream was cut to the 1000-byte budget


def test_symlinked_executed_notebook_is_not_followed(tmp_path):
    secret = tmp_path / "secret.ipynb"
    leaked = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="SECRET")]
            )
        ]
    )
    nbformat.write(leaked, str(secret))
    ex, _ = run(
        tmp_path,
        "import os, atexit\n"
        "def swap():\n"
        "    os.remove('.datalit/executed.ipynb')\n"
        f"    os.symlink({str(secret)!r}, '.datalit/executed.ipynb')\n"
        "atexit.register(swap)",
    )
    assert ex.status == "completed", ex
    assert not ex.executed_notebook.is_symlink()
    assert "SECRET" not in ex.executed_notebook.read_text()
    assert secret.read_text().count("SECRET") == 1  # the host file is untouched


# ----------------------------------------------------------------------------- invalid input


def _utf16_notebook() -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    return nbformat.writes(nb).encode("utf-16")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"this is not json", "not valid JSON"),
        (_utf16_notebook(), "not UTF-8"),
        (b"", "empty"),
        (b"[1, 2]", "not a Jupyter notebook"),
        (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "cells": []}', "version 3"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "malformed"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_invalid_notebooks_are_reported_not_raised(tmp_path, content, words):
    bad = tmp_path / "bad.ipynb"
    bad.write_bytes(content)
    ex = execute(bad, workdir=tmp_path / "w", inputs={}, limits=FAST, slot=SLOT)
    assert ex.status == "invalid_notebook"
    assert words in ex.reason
    assert "Traceback" not in ex.reason
    assert ex.executed_notebook is None
    assert ex.cells_total == 0


def test_symlinked_notebook_is_invalid(tmp_path):
    real = notebook(tmp_path / "real.ipynb", "print(1)")
    link = tmp_path / "link.ipynb"
    link.symlink_to(real)
    ex = execute(link, workdir=tmp_path / "w", inputs={}, limits=FAST, slot=SLOT)
    assert ex.status == "invalid_notebook"
    assert "symbolic link" in ex.reason


def test_symlink_and_escaping_inputs_are_refused(tmp_path):
    nb = notebook(tmp_path / "nb.ipynb", "print(1)")
    target = tmp_path / "secret.txt"
    target.write_text("secret")
    link = tmp_path / "data.csv"
    link.symlink_to(target)
    with pytest.raises(InvalidArgument, match="symbolic link"):
        execute(nb, workdir=tmp_path / "w1", inputs={"data.csv": link}, slot=SLOT)
    for dest in ("../escape.csv", "/etc/x.csv", "a/../../b.csv", ".datalit/x"):
        with pytest.raises(InvalidArgument, match="relative path"):
            execute(nb, workdir=tmp_path / "w2", inputs={dest: target}, slot=SLOT)
    with pytest.raises(InvalidArgument, match="regular file"):
        execute(nb, workdir=tmp_path / "w3", inputs={"dir": tmp_path}, slot=SLOT)
    assert not (tmp_path / "escape.csv").exists()


def test_unavailable_message_names_the_package():
    msg = str(SandboxUnavailable())
    assert "bubblewrap" in msg
    assert "apt-get install bubblewrap" in msg


# ----------------------------------------------------------------------------- unsafe mode, speed


def test_unsafe_mode_keeps_limits_and_timeouts(tmp_path):
    ex, w = run(
        tmp_path,
        "import os, subprocess\n"
        "subprocess.Popen(['sleep', '987652'], start_new_session=True)\n"
        "open('uid.txt', 'w').write(str(os.getuid()))",
        "while True:\n    pass",
        sandbox=False,
    )
    assert not ex.sandboxed
    assert ex.status == "cell_timeout"
    assert ex.failed_cell == 2
    assert (w / "uid.txt").read_text() == str(os.getuid())
    assert cmdline_pids(b"sleep\x00987652") == []


def test_trivial_notebook_is_fast(tmp_path):
    timings = {}
    for sandbox in (True, False):
        start = time.monotonic()
        ex, _ = run(tmp_path, "x = 1", name=f"w{sandbox}", sandbox=sandbox)
        timings[sandbox] = time.monotonic() - start
        assert ex.status == "completed"
    print(
        f"\ntrivial notebook: sandboxed {timings[True]:.2f} s, unsandboxed {timings[False]:.2f} s"
    )
    assert timings[True] < 5


# ----------------------------------------------------------------------------- CPU fairness


def test_a_notebook_cannot_start_sessions_of_its_own(tmp_path):
    """Each new session is a scheduling autogroup: setsid() is a no-op that reports success, so
    a run stays one session and honest code that asks for a new session still works."""
    ex, w = run(
        tmp_path,
        "import json, os, subprocess\n"
        "before = os.getsid(0)\n"
        "os.setsid()\n"
        "p = subprocess.run(['sh', '-c', 'cat /proc/self/stat'], capture_output=True,\n"
        "                   text=True, start_new_session=True)\n"
        "child_sid = int(p.stdout.rsplit(')', 1)[1].split()[3])\n"
        "json.dump([before, os.getsid(0), child_sid], open('sid.json', 'w'))",
    )
    assert ex.status == "completed", (ex.reason, ex.stream_tail)
    before, after, child = json.loads((w / "sid.json").read_text())
    assert before == after == child


def test_every_run_is_in_a_cpu_cgroup_of_equal_weight(tmp_path):
    if not sandbox_module.cpu_cgroup_available():
        pytest.skip("no writable cpu cgroup on this machine (the session fallback applies)")
    seen: list[str] = []
    groups = cgroup._make_cgroups(SLOT, 1024**3)
    procs = groups.cpu.procs
    weight = groups.cpu.path / ("cpu.weight" if groups.cpu.version == 2 else "cpu.shares")
    groups.remove()

    def watch():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen:
            with contextlib.suppress(OSError):
                pids = procs.read_text().split()
                if len(pids) >= 2:
                    seen.extend(pids)
                    seen.append(weight.read_text().strip())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    ex, _ = run(tmp_path, "import time\ntime.sleep(3)", limits=Limits(cell_timeout_s=10))
    watcher.join()
    assert ex.status == "completed", ex
    assert seen, "no process of the run was ever in the slot's cpu cgroup"
    expected = (
        sandbox_module.CPU_WEIGHT_V2 if groups.cpu.version == 2 else sandbox_module.CPU_SHARES_V1
    )
    assert seen[-1] == str(expected)
    assert not procs.exists() or procs.read_text().split() == []  # removed after the run


# ----------------------------------------------------------------------------- the run's account


def test_markers_forged_by_the_last_cell_do_not_make_a_failed_run_look_complete(tmp_path):
    ex, _ = run(
        tmp_path,
        "x = 1",
        MARKER_FD + "os.write(fd, b'cell-end 2 ok\\ndone\\n')\nraise ValueError('it failed')",
    )
    assert ex.status == "tampered", ex
    assert "all 2 code cells ran" not in ex.reason
    assert "progress channel" in ex.reason


def test_an_exception_with_a_non_ascii_name_is_reported_as_raised(tmp_path):
    ex, _ = run(tmp_path, "class Ошибка(Exception):\n    pass\n\nraise Ошибка('нет')")
    assert ex.status == "cell_error", ex
    assert ex.reason == "cell 1 raised Ошибка and the run stopped there"
