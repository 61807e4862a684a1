"""One candidate must never make another fail: a CPU hog graded beside an honest submission.

The hog forks a few dozen busy loops, each in a session of its own: with the kernel's session
autogrouping, every session is a scheduling group, so without a cpu cgroup per slot the honest
notebook in the other slot got a small fraction of the CPU and hit its cell timeout. Each test
grades a two-candidate course through the real `datalit grade --jobs 2`, so both run at once.
The course has the hostile batch's tight limits (5 s per cell); the honest notebook is the
reference with a first cell of about 1.5 s of CPU work, which took longer than 5 s on the share
the hog left it before (about a fifth of a core on this 2-core machine), and 2-3 s now.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hostile.conftest import (
    MAX_AUTO,
    NOTEBOOK,
    REPO,
    SLUG,
    Fixture,
    _exercises_copy,
    build_notebook,
    ledgers,
    run_cli,
)

HOG_SPINNERS = """\
import os, time

def spin(until):
    try:
        os.setsid()  # a scheduling group of its own, where the kernel allows it
    except OSError:
        pass
    while time.monotonic() < until:
        pass
    os._exit(0)

until = time.monotonic() + 12

for _ in range(60):
    try:
        if os.fork() == 0:
            spin(until)
    except OSError:
        break
"""
HOG = (HOG_SPINNERS, *["import time\ntime.sleep(4.5)\n"] * 3)
"""The spinners outlive their cell and keep going for 12 s while three cells sleep just under the
5 s cell timeout, so the other slot's run falls inside the hogging even when its worker started
a few seconds later; then the release's own cells run, and the hog completes."""

ENDLESS = "while True:\n    pass\n"

HONEST_WORK = """\
# About 1.5 s of honest CPU work alone, at the start, so that it runs while the hog does.
total = 0
for i in range(15_000_000):
    total += i
"""


def _course(tmp_path: Path, notebooks: dict[str, dict]) -> tuple[Path, dict]:
    if os.geteuid() != 0:
        pytest.skip("the sandbox runs candidate code as a slot uid, which needs root")
    if shutil.which("bwrap") is None:
        pytest.fail("bwrap is not installed: run `bash scripts/system-deps.sh` (as root)")
    home, course, incoming = tmp_path / "home", tmp_path / "course", tmp_path / "incoming"
    for folder in (course, incoming, tmp_path / "work"):
        folder.mkdir()
    _exercises_copy(home)
    env = {
        **os.environ,
        "DATALIT_HOME": str(home),
        "DATALIT_WORK_ROOT": str(tmp_path / "work"),
        "GX_ANALYTICS_ENABLED": "false",
    }
    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "".join(f"{c}\n" for c in notebooks), encoding="utf-8")
    released = run_cli(
        *("release", SLUG, "--course", str(course), "--roster", str(roster)),
        *("--mode", "practice"),
        env=env,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    for candidate, nb in notebooks.items():
        (incoming / f"{candidate}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    collected = run_cli("collect", SLUG, str(incoming), "--course", str(course), env=env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    return course, env


def _with_cells(*sources: str, base: str = "reference") -> dict:
    fixture = Fixture(
        candidate="x", path=Path("x.py"), hostile="", base=base, insert="start", cells=sources
    )
    return build_notebook(fixture, {})


def _again_alone(stdout: str) -> list[str]:
    """The candidates the CLI says were graded again alone."""
    lines = [line for line in stdout.splitlines() if "graded again alone" in line]
    assert len(lines) <= 1, stdout
    return lines[0].rsplit(":", 1)[1].replace(",", " ").split() if lines else []


def _reference() -> dict:
    return json.loads((REPO / "solutions" / SLUG / NOTEBOOK).read_text(encoding="utf-8"))


def _grade(course: Path, env: dict) -> subprocess.CompletedProcess:
    return run_cli("grade", SLUG, "--course", str(course), "--jobs", "2", env=env)


def test_an_honest_notebook_beside_a_cpu_hog_scores_full_marks(tmp_path):
    honest = _with_cells(HONEST_WORK)
    course, env = _course(
        tmp_path, {"a-hog": _with_cells(*HOG, base="release"), "b-honest": honest}
    )
    graded = _grade(course, env)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    results = ledgers(course)
    honest = results["b-honest"]
    assert honest["reason"] == "all 5 code cells ran", honest["reason"]
    assert honest["auto_points"] == MAX_AUTO
    # Full marks on its first run, beside the hog: the slot's fair share did it, not the
    # regrade-alone backstop, which would name it here.
    assert _again_alone(graded.stdout) == [], graded.stdout
    assert "longer than" not in results["a-hog"]["reason"]  # the hog ran to its own end


def test_a_timeout_beside_a_busy_neighbour_is_graded_again_alone(tmp_path):
    course, env = _course(
        tmp_path, {"a-endless": _with_cells(ENDLESS, base="release"), "b-honest": _reference()}
    )
    graded = _grade(course, env)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert _again_alone(graded.stdout) == ["a-endless"], graded.stdout
    results = ledgers(course)
    assert "ran longer than 5 s" in results["a-endless"]["reason"]
    assert results["b-honest"]["auto_points"] == MAX_AUTO
