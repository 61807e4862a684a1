"""Shared pieces of the fault tests: courses with real releases and submissions, the real
`datalit grade` command line, what the gradebook and the ledgers hold, and the processes a grader
run leaves (read from /proc, no mocks)."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from datalit.exercise import load_exercise
from datalit.grading.course import collect, release
from datalit.grading.record import ledger_path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXERCISE = load_exercise("orders-cleanup")
SLUG = EXERCISE.slug
AUTO_PARTS = [p for p in EXERCISE.parts if p.auto]
MANUAL_CELLS = {p.cell or p.id for p in EXERCISE.parts if p.kind == "manual"}
SLOT_UIDS = range(64000, 65000)
REFERENCE = EXERCISE.solution_folder / EXERCISE.notebook
NAIVE = EXERCISE.solution_folder / "naive.ipynb"


def build_course(course: Path, kinds: dict[str, str | bytes]) -> Path:
    """Release orders-cleanup to `kinds`' candidates and collect their submissions: "reference"
    (the solution), "naive", "untouched" (their own release notebook) or the notebook's bytes."""
    course.mkdir(parents=True, exist_ok=True)
    roster = course.parent / f"{course.name}-roster.csv"
    roster.write_text("id\n" + "".join(f"{c}\n" for c in kinds), encoding="utf-8")
    release(exercise=EXERCISE, course=course, roster=roster)
    incoming = course.parent / f"{course.name}-incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    for cand, kind in kinds.items():
        target = incoming / f"{cand}.ipynb"
        if isinstance(kind, bytes):
            target.write_bytes(kind)
        elif kind == "reference":
            shutil.copyfile(REFERENCE, target)
        elif kind == "naive":
            shutil.copyfile(NAIVE, target)
        elif kind == "untouched":
            shutil.copyfile(course / "release" / cand / SLUG / EXERCISE.notebook, target)
        else:
            raise ValueError(kind)
    summary = collect(exercise=EXERCISE, course=course, source=incoming)
    assert not summary.problems, summary.problems
    return course


def grade_env(work_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a `datalit grade` run with a private work folder (slot locks stay
    machine-wide: they keep grader runs of every test and every user apart)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATALIT_TEST_")}  # no plan
    env["DATALIT_WORK_ROOT"] = str(work_root)
    env.update(extra)
    return env


def grade_argv(course: Path, *extra: str) -> list[str]:
    return [str(BIN / "datalit"), "grade", SLUG, "--course", str(course), *extra]


class Started:
    """A `datalit grade` process started in its own process group (so the group can be killed
    as a whole). Its output goes to files, not pipes: a leftover process holding a pipe open
    would make reading it hang instead of failing the test."""

    def __init__(self, course: Path, env: dict, *extra: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="grade-", dir=course.parent))
        self._out = open(self.folder / "stdout", "w+", encoding="utf-8")  # noqa: SIM115
        self._err = open(self.folder / "stderr", "w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            grade_argv(course, "--jobs", "2", *extra),
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._out.close()
            self._err.close()

    @property
    def stdout(self) -> str:
        return (self.folder / "stdout").read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return (self.folder / "stderr").read_text(encoding="utf-8", errors="replace")


def start_grade(course: Path, env: dict, *extra: str) -> Started:
    return Started(course, env, *extra)


def run_grade(
    course: Path, env: dict, *extra: str, timeout: float = 1800
) -> subprocess.CompletedProcess:
    return subprocess.run(
        grade_argv(course, "--jobs", "2", *extra),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


_ROW = re.compile(r"^[│|]\s*(\S+)\s*[│|]")


def graded_in_output(stdout: str) -> set[str]:
    """The candidates in the score table `datalit grade` printed (those it graded)."""
    names = set()
    for line in stdout.splitlines():
        m = _ROW.match(line)
        if m and m.group(1) != "candidate":
            names.add(m.group(1))
    return names


def skipped_in_output(stdout: str) -> set[str]:
    m = re.search(r"unchanged, not regraded: (.*?) \(use --regrade\)", stdout, re.S)
    return {n.strip() for n in m.group(1).replace("\n", " ").split(",")} if m else set()


# --- the record ----------------------------------------------------------------------------


def ledgers(course: Path) -> dict[str, dict]:
    folder = course / ".datalit" / "results" / SLUG
    if not folder.is_dir():
        return {}
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in folder.glob("*.json")
        if not p.name.startswith(".")
    }


def ledger_identities(course: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every ledger file: a ledger is replaced (new inode) whenever a run
    records its candidate with a changed entry."""
    out = {}
    for cand in ledgers(course):
        info = ledger_path(course, SLUG, cand).stat()
        out[cand] = (info.st_ino, info.st_mtime_ns)
    return out


def gradebook_rows(course: Path) -> dict[str, dict[str, float | None]]:
    """Per candidate with a submission of the exercise: {grade cell name: auto_score}. Read with
    plain sqlite3 (which also rolls back the journal of a killed transaction, as any reader
    does)."""
    con = sqlite3.connect(course / "gradebook.db", timeout=30)
    try:
        rows = con.execute(
            """
            SELECT sa.student_id, bc.name, g.auto_score
            FROM submitted_assignment sa
            JOIN assignment a ON a.id = sa.assignment_id
            JOIN submitted_notebook sn ON sn.assignment_id = sa.id
            JOIN grade g ON g.notebook_id = sn.id
            JOIN base_cell bc ON bc.id = g.cell_id
            WHERE a.name = ?
            """,
            (SLUG,),
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict] = {}
    for student, cell, score in rows:
        cells = out.setdefault(student, {})
        assert cell not in cells, f"two grades of {cell} for {student}"
        cells[cell] = score
    return out


def submission_counts(course: Path) -> dict[str, int]:
    con = sqlite3.connect(course / "gradebook.db", timeout=30)
    try:
        rows = con.execute(
            "SELECT sa.student_id, count(*) FROM submitted_assignment sa "
            "JOIN assignment a ON a.id = sa.assignment_id WHERE a.name = ? GROUP BY sa.student_id",
            (SLUG,),
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def integrity(course: Path) -> str:
    con = sqlite3.connect(course / "gradebook.db", timeout=30)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def export(course: Path) -> dict[str, dict]:
    """`nbgrader export` in the course folder, as an instructor runs it."""
    out = course / "grades.csv"
    proc = subprocess.run(
        [str(BIN / "nbgrader"), "export", "--to", str(out)],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(out.read_text()))}


def assert_record_consistent(course: Path, *, allow_unledgered: int = 0) -> set[str]:
    """Every ledger matches a complete gradebook submission (part by part) and every gradebook
    submission is complete (no half-recorded one). Returns the candidates with a gradebook
    submission but no ledger (a kill between the commit and the ledger write), at most
    `allow_unledgered` of them."""
    entries = ledgers(course)
    rows = gradebook_rows(course)
    for cand, cells in rows.items():
        for part in AUTO_PARTS:
            assert cells.get(part.id) is not None, f"{cand}: {part.id} has no auto score"
        assert set(cells) == {p.id for p in AUTO_PARTS} | MANUAL_CELLS, (cand, sorted(cells))
    for cand, entry in entries.items():
        assert cand in rows, f"{cand} has a ledger but no gradebook submission"
        for part in entry["parts"]:
            if part["points"] is not None:
                assert rows[cand][part["cell"]] == part["points"], (cand, part)
    unledgered = set(rows) - set(entries)
    assert len(unledgered) <= allow_unledgered, unledgered
    return unledgered


def assert_export_matches_ledgers(course: Path) -> None:
    rows = export(course)
    entries = ledgers(course)
    students_with_rows = set(gradebook_rows(course))
    assert set(rows) == students_with_rows, (sorted(rows), sorted(students_with_rows))
    for cand, entry in entries.items():
        # Sums of part points in another order (SQL vs Python) may differ in the last float bit;
        # points are rounded to cents, so a real disagreement is at least 0.01.
        exported = float(rows[cand]["raw_score"])
        assert abs(exported - entry["auto_points"]) < 0.005, (cand, exported, entry["auto_points"])


def claims_free(course: Path) -> bool:
    """No process holds a candidate claim of the course."""
    folder = course / ".datalit" / "claims" / SLUG
    for lock in folder.glob("*.lock") if folder.is_dir() else ():
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
    return True


def leftover_work(work_root: Path) -> list[Path]:
    """Work dirs left in the slots' folders."""
    if not work_root.is_dir():
        return []
    return sorted(p for slot in work_root.iterdir() if slot.is_dir() for p in slot.iterdir())


# --- processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    start: int
    """Start time in clock ticks after boot (tells a pid from a later process reusing it)."""
    uid: int
    cmd: str


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[19])


def _uid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def processes() -> dict[int, tuple[int, Proc]]:
    """Every live (not zombie) process: pid -> (ppid, Proc)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        st, uid = _stat(pid), _uid(pid)
        if st is None or uid is None or st[0] in ("Z", "X"):
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read(300).replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            cmd = ""
        out[pid] = (st[1], Proc(pid, st[2], uid, cmd))
    return out


def alive(proc: Proc) -> bool:
    """The process still runs (a zombie has exited: this VM's init does not reap orphans)."""
    st = _stat(proc.pid)
    return st is not None and st[0] not in ("Z", "X") and st[2] == proc.start


def ticks_now() -> int:
    with open("/proc/uptime", encoding="ascii") as fh:
        return int(float(fh.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


class Tracker:
    """Samples the process tree under `root` every 50 ms in a thread: every worker, bwrap and
    sandboxed process the grader ever started is remembered."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, Proc] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.05)

    def sample(self) -> None:
        table = processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        stack = [self.root]
        while stack:
            pid = stack.pop()
            for kid in children.get(pid, []):
                self.seen.setdefault(kid, table[kid][1])
                stack.append(kid)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def slot_uids(self) -> set[int]:
        return {p.uid for p in self.seen.values() if p.uid in SLOT_UIDS}

    def survivors(self, killed_at: int) -> list[Proc]:
        """Processes of the run still alive: every one seen under the grader, and any process of
        a slot uid the run used that started before the kill (one started later belongs to
        another grader run that took the slot since)."""
        left = [p for p in self.seen.values() if alive(p)]
        uids = self.slot_uids
        for _, proc in processes().values():
            if proc.uid in uids and proc.start <= killed_at and proc not in left:
                left.append(proc)
        return left


def wait_gone(tracker: Tracker, killed_at: int, timeout: float = 15.0) -> list[Proc]:
    deadline = time.monotonic() + timeout
    while True:
        left = tracker.survivors(killed_at)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)
