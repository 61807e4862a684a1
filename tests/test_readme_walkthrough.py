"""The README's "Running an assessment" walkthrough, run as written: every `$D …` line of its
code block, in order, in a fresh folder, with what people do in between (candidates work in
the notebook they were sent and mail it back under a name of their choosing; a reviewer grades
the findings in formgrader). If the README's commands drift from the CLI, this fails."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.formgrader_api import grade_in_formgrader, running_formgrader

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"


def walkthrough() -> list[list[str]]:
    """The `$D` commands of the README's "Running an assessment" block, as argument lists."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running an assessment", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        if line.startswith("$D "):
            words = shlex.split(line[3:], comments=True)
            commands.append([str(BIN / "datalit"), *words])
    return commands


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=900, check=False)
    assert r.returncode == 0, (args, r.stdout[-3000:], r.stderr[-3000:])
    return r


def work_in(zip_path: Path, returned: Path, sent_as: str) -> None:
    """A candidate: unzip what they were sent, do the work in that notebook (the reference
    solution's cells; the notebook keeps its metadata), zip the folder back."""
    nb_name = f"{EX}.ipynb"
    with zipfile.ZipFile(zip_path) as zf:
        mine = json.loads(zf.read(f"{EX}/{nb_name}"))
    solution = json.loads((REPO / "solutions" / EX / nb_name).read_text(encoding="utf-8"))
    mine["cells"] = solution["cells"]
    with zipfile.ZipFile(returned / sent_as, "w") as zf:
        zf.writestr(f"{EX}/{nb_name}", json.dumps(mine))


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None, reason="grading needs root and bwrap"
)
def test_the_readme_walkthrough_runs_as_written(tmp_path):
    steps = walkthrough()
    verbs = [s[1] for s in steps]
    assert verbs == ["list", "release", "collect", "grade", "release-feedback", "export"]
    (tmp_path / "roster.csv").write_text(
        "id,name,email\nann,Ann Lee,ann@example.org\nbob,Bob Roy,bob@example.org\n"
        "cy,Cy Park,cy@example.org\n",
        encoding="utf-8",
    )
    by_verb = dict(zip(verbs, steps, strict=True))
    assert EX in run(by_verb["list"], tmp_path).stdout
    run(by_verb["release"], tmp_path)
    merge = tmp_path / "course" / "handout" / EX / "mail-merge.csv"
    with merge.open(encoding="utf-8") as fh:
        sent = {row["id"]: Path(row["zip"]) for row in csv.DictReader(fh)}
    assert sorted(sent) == ["ann", "bob", "cy"]

    returned = tmp_path / "returned"
    returned.mkdir()
    work_in(sent["ann"], returned, "my take-home.zip")  # any name: the notebook says whose
    work_in(sent["bob"], returned, "bob.zip")  # cy never sends anything
    collected = run(by_verb["collect"], tmp_path).stdout
    assert "collected 2 submission(s)" in collected
    run(by_verb["grade"], tmp_path)

    with running_formgrader(tmp_path / "course") as call:
        for candidate in ("ann", "bob"):
            grade_in_formgrader(call, EX, candidate, 3, "Clear and specific.")
    released = run(by_verb["release-feedback"], tmp_path)
    assert (tmp_path / "course" / "feedback" / "ann" / EX / "report.html").is_file(), released

    exported = run(by_verb["export"], tmp_path).stdout
    scores = tmp_path / "course" / "exports" / "scores.csv"
    assert exported.strip().splitlines()[-1] == f"exported 3 row(s) to {scores}"
    with scores.open(encoding="utf-8") as fh:
        rows = {row["candidate"]: row for row in csv.DictReader(fh)}
    assert rows["cy"]["status"] == "not submitted"
    for candidate in ("ann", "bob"):
        assert rows[candidate]["status"] == "graded"
        assert float(rows[candidate]["total_points"]) == pytest.approx(
            float(rows[candidate]["max_points"]) - 1  # everything but one point of the finding
        )
