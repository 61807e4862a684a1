"""An honest, careful solution written from the brief in another style than the reference earns
every auto-graded point (issue 10): the checks measure the work, not the reference's choices.

`tests/fixtures/alt-solutions/<slug>.ipynb` were written from the candidate's brief and release
notebook alone: orders-cleanup with the csv module, the last copy of a repeated order and Decimal
sums; pii-in-traces with overlapping candidates resolved by length, one digit-run pattern sorted
by digit count and the Luhn check, and the file rewritten row by row. Graded here through the
real command line (release, collect, grade) for two candidates with different variants.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alt-solutions"
CANDIDATES = ("ann", "bob")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.parametrize("slug", sorted(p.stem for p in FIXTURES.glob("*.ipynb")))
def test_an_alternative_style_solution_earns_every_auto_point(slug, tmp_path):
    course = tmp_path / "course"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name\n" + "".join(f"{c},{c.title()}\n" for c in CANDIDATES), encoding="utf-8"
    )
    released = run("release", slug, "--course", str(course), "--roster", str(roster))
    assert released.returncode == 0, released.stderr
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for candidate in CANDIDATES:
        (incoming / f"{candidate}.ipynb").write_bytes((FIXTURES / f"{slug}.ipynb").read_bytes())
    assert run("collect", slug, str(incoming), "--course", str(course)).returncode == 0
    graded = run("grade", slug, "--course", str(course))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    seeds = set()
    for candidate in CANDIDATES:
        ledger = json.loads(
            (course / ".datalit" / "results" / slug / f"{candidate}.json").read_text()
        )
        lost = [
            p["id"]
            for p in ledger["parts"]
            if p["kind"] != "manual" and p["points"] < p["max_points"]
        ]
        assert ledger["auto_points"] == ledger["max_auto_points"], lost
        answers = json.loads((course / "keys" / candidate / slug / "answers.json").read_text())
        seeds.add(answers["seed"])
    assert len(seeds) == len(CANDIDATES)  # each candidate had their own variant
