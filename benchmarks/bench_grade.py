"""Benchmark: grading 20 copies of the orders-cleanup reference submission with datalit
(`--jobs 1` and `--jobs 2`, full sandbox) against the anchor, `nbgrader autograde` on an nbgrader
assignment made from the same solution notebook with its checks written as nbgrader test cells in
plain pandas (the way an nbgrader user would do it; no isolation at all).

Each figure is the batch's wall time (the real command lines, start-up included) divided by 20.
Last line: `grade: S s/submission jobs1, T s/submission jobs2; nbgrader autograde: U s/submission;
ratio U/T`.

Run: `make bench-grade` (or `.venv/bin/python benchmarks/bench_grade.py [--copies N]`). Needs
bubblewrap and root, like `datalit grade`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXERCISE = "orders-cleanup"


def run(cmd: list[str], cwd: Path | None = None) -> float:
    """Run a command line; return its wall time. Fails loudly if the command fails."""
    start = time.perf_counter()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return time.perf_counter() - start


def datalit_course(base: Path, copies: int) -> Path:
    course = base / "datalit-course"
    roster = base / "roster.csv"
    roster.write_text("id\n" + "".join(f"c{i:02d}\n" for i in range(copies)), encoding="utf-8")
    run(
        [
            str(BIN / "datalit"),
            "release",
            EXERCISE,
            "--course",
            str(course),
            "--roster",
            str(roster),
        ]
    )
    incoming = base / "incoming"
    incoming.mkdir()
    solution = ROOT / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"
    for i in range(copies):
        shutil.copyfile(solution, incoming / f"c{i:02d}.ipynb")
    run([str(BIN / "datalit"), "collect", EXERCISE, str(incoming), "--course", str(course)])
    return course


NBGRADER_TESTS = [
    (
        "test_clean_table",
        3,
        """import pandas as pd
clean = pd.read_csv("outputs/orders_clean.csv")
assert clean["order_id"].is_unique
assert set(clean["status"]) <= {"delivered", "shipped", "cancelled", "returned"}
assert clean["quantity"].notna().all()
customers = pd.read_csv("data/customers.csv")
assert clean["customer_id"].isin(customers["customer_id"]).all()
assert len(clean) == EXPECTED_ROWS""",
    ),
    (
        "test_flags",
        3,
        """import json
flags = json.load(open("outputs/flags.json"))
assert set(flags["orphan_order_ids"]) == set(EXPECTED_ORPHANS)
assert set(flags["duplicate_order_ids"]) == set(EXPECTED_DUPLICATES)
assert set(flags["duplicate_customer_ids"]) == set(EXPECTED_CUSTOMERS)""",
    ),
    (
        "test_revenue",
        4,
        """import json, math
answers = json.load(open("outputs/answers.json"))
for country, value in EXPECTED_REVENUE.items():
    assert math.isclose(answers["revenue_eur_by_country"][country], value, rel_tol=0.005)""",
    ),
]


def nbgrader_course(base: Path, copies: int, data: Path, truth: dict) -> Path:
    """An nbgrader course whose assignment is the solution notebook plus plain-pandas tests."""
    course = base / "nbgrader-course"
    (course / "source" / EXERCISE).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 600\n",
        encoding="utf-8",
    )
    nb = nbformat.read(ROOT / "solutions" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)
    answers = truth["answers"]
    constants = {
        "EXPECTED_ROWS": truth["suite_parameters"]["clean_order_rows"],
        "EXPECTED_ORPHANS": answers["orphan_order_ids"],
        "EXPECTED_DUPLICATES": answers["duplicate_order_ids"],
        "EXPECTED_CUSTOMERS": answers["duplicate_customer_ids"],
        "EXPECTED_REVENUE": answers["revenue_eur_by_country"],
    }
    for grade_id, points, body in NBGRADER_TESTS:
        for name, value in constants.items():
            body = body.replace(name, json.dumps(value))
        cell = nbformat.v4.new_code_cell(body)
        cell.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": points,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
        nb.cells.append(cell)
    nbformat.write(nb, course / "source" / EXERCISE / f"{EXERCISE}.ipynb")
    shutil.copytree(data, course / "source" / EXERCISE / "data")
    run([str(BIN / "nbgrader"), "generate_assignment", EXERCISE, "--force"], cwd=course)
    for i in range(copies):
        folder = course / "submitted" / f"s{i:02d}" / EXERCISE
        folder.mkdir(parents=True)
        shutil.copyfile(
            course / "source" / EXERCISE / f"{EXERCISE}.ipynb", folder / f"{EXERCISE}.ipynb"
        )
        shutil.copytree(data, folder / "data")
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    n = args.copies
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        base = Path(tmp)
        course = datalit_course(base, n)
        grade = [str(BIN / "datalit"), "grade", EXERCISE, "--course", str(course), "--regrade"]
        jobs1 = run([*grade, "--jobs", "1"]) / n
        print(f"datalit grade --jobs 1: {jobs1 * n:.1f} s for {n} submissions")
        jobs2 = run([*grade, "--jobs", "2"]) / n
        print(f"datalit grade --jobs 2: {jobs2 * n:.1f} s for {n} submissions")
        first = course / "release" / "c00" / EXERCISE / "data"
        truth = json.loads((course / "keys" / "c00" / EXERCISE / "answers.json").read_text())
        nb_course = nbgrader_course(base, n, first, truth)
        anchor = run([str(BIN / "nbgrader"), "autograde", EXERCISE], cwd=nb_course) / n
        print(f"nbgrader autograde: {anchor * n:.1f} s for {n} submissions (no isolation)")
        print(
            f"grade: {jobs1:.2f} s/submission jobs1, {jobs2:.2f} s/submission jobs2; "
            f"nbgrader autograde: {anchor:.2f} s/submission; ratio {anchor / jobs2:.2f}"
        )


if __name__ == "__main__":
    main()
