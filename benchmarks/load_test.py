"""Load test: 200 submissions of orders-cleanup, a mix of good, bad and hostile, graded by the real
`datalit grade --jobs 2` in the full sandbox.

The mix (per 200): the reference solution 100, the naive attempt 30, the untouched release 20,
invalid JSON 10, and the reference with one hostile cell inserted half-way (the cells before it
still count): an infinite loop 8, `bytearray(10**11)` 8, a 1.8 GB allocation that is really
touched 6, a fork bomb 6, `os._exit(0)` 6, an endless print loop 6, a CPU hog (40 busy loops,
each in a session of its own, for 10 s) 6; and the reference with its JSON outputs padded
(flags.json with a third of a million `{}` just under its 1 MB limit, answers.json with 45 MB)
written at the end 6. The exercise is a copy
(DATALIT_HOME) with short time limits (5 s per cell, 30 s in total), so the hostile submissions
cost seconds, not minutes.

Measured: throughput (submissions per minute of the grade command's wall time, start-up
included) and the peak memory of the grader's process tree, sampled from /proc every 0.2 s:
the trusted processes (the main process and its workers; summed RSS and the largest single
RSS) and, separately, everything including the sandboxed processes. Checked: every submission
has exactly one ledger and one gradebook submission, every reference submission got full marks
(whoever was graded beside it), no hostile submission scored more than the reference, no process
or work dir is left.

Run: `.venv/bin/python benchmarks/load_test.py [--submissions 200] [--write-docs]` (root and
bubblewrap needed, like `datalit grade`). `--write-docs` replaces the figures between the
load-test markers in docs/security.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXERCISE = "orders-cleanup"
DOC = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- load-test:begin -->", "<!-- load-test:end -->"
SLOT_UIDS = range(64000, 65000)

HOSTILE_CELLS = {
    "infinite_loop": "while True:\n    pass",
    "memory_error": "x = bytearray(10**11)",
    "memory_touch": "x = b'x' * (1800 * 1024**2)\nprint(len(x))",
    "fork_bomb": "import os\nwhile True:\n    os.fork()",
    "os_exit": "import os\nos._exit(0)",
    "print_flood": "while True:\n    print(1)",
    "cpu_hog": (
        "import os, time\n"
        "until = time.monotonic() + 10\n"
        "for _ in range(40):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        while time.monotonic() < until:\n"
        "            pass\n"
        "        os._exit(0)\n"
        "time.sleep(4)"
    ),
    "json_padding": (
        "text = json.dumps(dict(flags, pad=[]))\n"
        "room = 1024**2 - len(text) - 16\n"
        "(OUTPUTS / 'flags.json').write_text(text[:-2] + '{},' * (room // 3) + '{}]}')\n"
        "with open(OUTPUTS / 'answers.json', 'w') as f:\n"
        "    f.write(json.dumps(answers)[:-1] + ', \"pad\": [' + '{},' * (15 * 1024**2) + '{}]}')"
    ),
}
AT_THE_END = ("json_padding",)
"""Hostile cells that go after the last cell (they rewrite what the notebook wrote)."""
MIX = {  # per 200
    "reference": 88,
    "naive": 30,
    "untouched": 20,
    "invalid_json": 10,
    "infinite_loop": 8,
    "memory_error": 8,
    "memory_touch": 6,
    "fork_bomb": 6,
    "os_exit": 6,
    "print_flood": 6,
    "cpu_hog": 6,
    "json_padding": 6,
}


def run(cmd: list[str], env: dict) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def exercise_copy(base: Path) -> Path:
    """exercises/ and solutions/ of orders-cleanup with short time limits."""
    home = base / "home"
    for top in ("exercises", "solutions"):
        shutil.copytree(ROOT / top / EXERCISE, home / top / EXERCISE)
    toml = home / "exercises" / EXERCISE / "exercise.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r"cell_timeout_s = \d+", "cell_timeout_s = 5", text)
    text = re.sub(r"total_timeout_s = \d+", "total_timeout_s = 30", text)
    toml.write_text(text, encoding="utf-8")
    return home


def with_hostile_cell(reference: dict, source: str, at_the_end: bool = False) -> dict:
    nb = json.loads(json.dumps(reference))
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    at = len(nb["cells"]) if at_the_end else code[len(code) // 2]
    cell = {"cell_type": "code", "id": "hostile", "metadata": {}, "outputs": []}
    cell.update({"execution_count": None, "source": source})
    nb["cells"].insert(at, cell)
    return nb


def kinds_for(n: int) -> dict[str, str]:
    """Candidate id -> kind, spread through the batch (hostile ones are not bunched up)."""
    counts = {k: max(1, round(v * n / 200)) for k, v in MIX.items()}
    counts["reference"] += n - sum(counts.values())
    pool = [k for k, c in counts.items() for _ in range(c)]
    # Deterministic interleaving: sort by each item's position within its kind.
    seen: collections.Counter = collections.Counter()
    keyed = []
    for kind in pool:
        seen[kind] += 1
        keyed.append((seen[kind] / counts[kind], kind))
    keyed.sort()
    return {f"s{i:03d}": kind for i, (_, kind) in enumerate(keyed)}


def build(base: Path, home: Path, env: dict, n: int) -> tuple[Path, dict[str, str]]:
    course = base / "course"
    kinds = kinds_for(n)
    roster = base / "roster.csv"
    roster.write_text("id\n" + "".join(f"{c}\n" for c in kinds), encoding="utf-8")
    run(
        [
            str(BIN / "datalit"),
            "release",
            EXERCISE,
            "--course",
            str(course),
            "--roster",
            str(roster),
        ],
        env,
    )
    incoming = base / "incoming"
    incoming.mkdir()
    solutions = home / "solutions" / EXERCISE
    reference = json.loads((solutions / f"{EXERCISE}.ipynb").read_text(encoding="utf-8"))
    for cand, kind in kinds.items():
        target = incoming / f"{cand}.ipynb"
        if kind == "reference":
            shutil.copyfile(solutions / f"{EXERCISE}.ipynb", target)
        elif kind == "naive":
            shutil.copyfile(solutions / "naive.ipynb", target)
        elif kind == "untouched":
            shutil.copyfile(course / "release" / cand / EXERCISE / f"{EXERCISE}.ipynb", target)
        elif kind == "invalid_json":
            target.write_text('{"cells": [ {"cell_type": "code", "source": "x = 1"', "utf-8")
        else:
            nb = with_hostile_cell(reference, HOSTILE_CELLS[kind], kind in AT_THE_END)
            target.write_text(json.dumps(nb), encoding="utf-8")
    run([str(BIN / "datalit"), "collect", EXERCISE, str(incoming), "--course", str(course)], env)
    return course, kinds


# --- memory sampling ----------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, uid, rss bytes) of every live process."""
    page = os.sysconf("SC_PAGE_SIZE")
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/status", "rb") as fh:
                uid = next(int(line.split()[1]) for line in fh if line.startswith(b"Uid:"))
        except (OSError, StopIteration, ValueError):
            continue
        if fields[0] in ("Z", "X"):
            continue
        out[int(name)] = (int(fields[1]), uid, int(fields[21]) * page)
    return out


class Sampler:
    """Every 0.2 s: RSS of the grader's trusted processes (main + workers, not bwrap and below)
    and of the whole tree including the sandboxes; keeps the maxima."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.peak_trusted = 0
        self.peak_trusted_single = 0
        self.peak_total = 0
        self.peak_workers = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> None:
        table = _proc_table()
        children: dict[int, list[int]] = collections.defaultdict(list)
        for pid, (ppid, _, _) in table.items():
            children[ppid].append(pid)
        if self.root not in table:
            return
        # Trusted: the main process and its children (the workers and multiprocessing's
        # resource tracker). Below a worker: bwrap and the sandboxed notebook (and, for a moment
        # after each fork, a copy of the worker about to exec bwrap).
        trusted, total, workers = [], 0, 0
        stack = [(self.root, 0)]
        while stack:
            pid, depth = stack.pop()
            total += table[pid][2]
            if depth <= 1:
                trusted.append(table[pid][2])
                workers += depth == 1 and "spawn_main" in _cmdline(pid)
            stack.extend((kid, depth + 1) for kid in children.get(pid, []))
        self.samples += 1
        self.peak_trusted = max(self.peak_trusted, sum(trusted))
        self.peak_trusted_single = max(self.peak_trusted_single, max(trusted))
        self.peak_total = max(self.peak_total, total)
        self.peak_workers = max(self.peak_workers, workers)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read(200).replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


# --- checks -------------------------------------------------------------------------------------


def check(course: Path, kinds: dict[str, str], work: Path) -> dict:
    folder = course / ".datalit" / "results" / EXERCISE
    entries = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    problems = []
    if set(entries) != set(kinds):
        problems.append(f"ledgers missing for {sorted(set(kinds) - set(entries))[:5]}")
    con = sqlite3.connect(course / "gradebook.db")
    rows = dict(
        con.execute(
            "SELECT sa.student_id, count(*) FROM submitted_assignment sa JOIN assignment a "
            "ON a.id = sa.assignment_id WHERE a.name = ? GROUP BY sa.student_id",
            (EXERCISE,),
        ).fetchall()
    )
    con.close()
    if rows != dict.fromkeys(kinds, 1):
        problems.append("the gradebook does not hold exactly one submission per candidate")
    by_kind: dict[str, list[dict]] = collections.defaultdict(list)
    for cand, kind in kinds.items():
        if cand in entries:
            by_kind[kind].append(entries[cand])
    full = max((e["max_auto_points"] for e in entries.values()), default=0)
    if any(e["auto_points"] != full for e in by_kind["reference"]):
        problems.append("a reference submission did not get full marks")
    summary = {}
    for kind, items in by_kind.items():
        statuses = collections.Counter(e["status"] for e in items)
        points = [e["auto_points"] for e in items]
        summary[kind] = {
            "n": len(items),
            "statuses": dict(statuses),
            "auto_points": f"{min(points):g}-{max(points):g}",
        }
        if kind not in ("reference", "naive", "untouched") and max(points) > full:
            problems.append(f"{kind} scored more than the reference")
    left = [p for p in (work.iterdir() if work.is_dir() else []) for _ in p.iterdir()]
    if left:
        problems.append(f"work dirs left: {left[:3]}")
    survivors = [pid for pid, (_, uid, _) in _proc_table().items() if uid in SLOT_UIDS]
    full_refs = sum(e["auto_points"] == full for e in by_kind["reference"])
    return {
        "by_kind": summary,
        "problems": problems,
        "slot_processes_now": len(survivors),
        "references_full": f"{full_refs} of {len(by_kind['reference'])}",
    }


def _again_alone(output: str) -> list[str]:
    """The candidates `datalit grade` says it graded again alone (timed out beside another)."""
    text = " ".join(output.split())
    marker = "(the second run is the one recorded):"
    if marker not in text:
        return []
    tail = text.split(marker, 1)[1]
    return re.findall(r"s\d{3}", tail.split(" candidate reports:")[0])


def write_docs(figures: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{DOC} has no {BEGIN} ... {END} block")
    block = "\n".join(
        [
            BEGIN,
            f"Measured {figures['date']} on {figures['machine']}, `datalit grade --jobs 2`, "
            f"{figures['submissions']} submissions (the mix above), full sandbox:",
            "",
            "| figure | value |",
            "|---|---|",
            f"| wall time of the batch (start-up included) | {figures['wall_s']:.0f} s |",
            f"| throughput | {figures['per_minute']:.1f} submissions/min |",
            f"| peak RSS, grader's trusted processes (main + {figures['workers']} workers, summed) "
            f"| {figures['peak_trusted_mb']:.0f} MB |",
            f"| peak RSS of one trusted process | {figures['peak_single_mb']:.0f} MB |",
            f"| peak RSS, whole tree including the sandboxed notebooks | "
            f"{figures['peak_total_mb']:.0f} MB |",
            f"| results recorded | {figures['recorded']} of {figures['submissions']}, one each |",
            f"| reference submissions with full marks | {figures['references_full']} |",
            "| graded again alone after a timeout beside a busy slot | "
            + (", ".join(f"{k} {v}" for k, v in sorted(figures["again_alone"].items())) or "none")
            + " |",
            f"| processes / work dirs left afterwards | {figures['left']} |",
            f"| 1-minute load average of the machine | {figures['load_avg']} |",
            END,
        ]
    )
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + block + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the course folder.")
    parser.add_argument("--write-docs", action="store_true", help="Update docs/security.md.")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="datalit-load-"))
    try:
        home = exercise_copy(base)
        work = base / "work"
        env = {**os.environ, "DATALIT_HOME": str(home), "DATALIT_WORK_ROOT": str(work)}
        env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
        course, kinds = build(base, home, env, args.submissions)
        print(f"course ready: {len(kinds)} submissions {dict(collections.Counter(kinds.values()))}")
        argv = [str(BIN / "datalit"), "grade", EXERCISE, "--course", str(course)]
        argv += ["--jobs", str(args.jobs)]
        log = open(base / "grade.log", "w+", encoding="utf-8")  # noqa: SIM115
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid)
        code = proc.wait()
        wall = time.perf_counter() - start
        sampler.stop()
        log.close()
        output = (base / "grade.log").read_text(encoding="utf-8", errors="replace")
        if code != 0:
            sys.exit(f"datalit grade exited with {code}:\n{output[-5000:]}")
        facts = check(course, kinds, work)
        alone = _again_alone(output)
        figures = {
            "date": dt.date.today().isoformat(),
            "machine": f"{os.cpu_count()} cores, {_mem_gb():.0f} GB RAM, {platform.machine()}, "
            f"Python {platform.python_version()}",
            "submissions": len(kinds),
            "wall_s": wall,
            "per_minute": len(kinds) / (wall / 60),
            "workers": sampler.peak_workers,
            "peak_trusted_mb": sampler.peak_trusted / 1024**2,
            "peak_single_mb": sampler.peak_trusted_single / 1024**2,
            "peak_total_mb": sampler.peak_total / 1024**2,
            "recorded": len(kinds) if not facts["problems"] else "see problems",
            "left": "none" if not facts["problems"] and not facts["slot_processes_now"] else "yes",
            "samples": sampler.samples,
            "load_avg": f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
            "references_full": facts["references_full"],
            "again_alone": dict(collections.Counter(kinds[c] for c in alone)),
        }
        for kind, info in facts["by_kind"].items():
            print(f"  {kind:<14} {info}")
        for key, value in figures.items():
            print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
        if facts["problems"]:
            sys.exit("problems: " + "; ".join(facts["problems"]))
        if args.write_docs:
            write_docs(figures)
            print(f"wrote the figures into {DOC}")
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def _mem_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


if __name__ == "__main__":
    main()
