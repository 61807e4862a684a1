"""`datalit check-exercise`: every exercise of the catalog is proven valid and fair on 3 seeds
(CI), and the verdict fails when an exercise is not."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datalit.exercise import list_exercises, repo_root
from datalit.grading.check import Coverage, SeedResult, _verdict

BIN = Path(sys.executable).parent
ROOT = repo_root()


def check(slug: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), "check-exercise", slug, *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("slug", list_exercises())
def test_every_exercise_passes_its_check_on_three_seeds(slug):
    r = check(slug, "--seeds", "3")
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines[-1] == f"check-exercise {slug}: PASS (3 seeds)"
    assert "caught by NOTHING" not in r.stdout


def test_a_naive_attempt_as_good_as_the_reference_and_an_uncaught_anomaly_fail(tmp_path):
    home = tmp_path / "home"
    for part in ("exercises", "solutions"):
        shutil.copytree(ROOT / part / "orders-cleanup", home / part / "orders-cleanup")
    solutions = home / "solutions" / "orders-cleanup"
    shutil.copyfile(solutions / "orders-cleanup.ipynb", solutions / "naive.ipynb")
    toml = home / "exercises" / "orders-cleanup" / "exercise.toml"
    # Typos in customer names: no check and no answer depends on the names.
    extra = '[[generate.plants]]\nanomaly = "typos"\ntable = "customers"\ncolumn = "name"\n'
    toml.write_text(toml.read_text().replace("[limits]", extra + "fraction = 0.05\n\n[limits]"))
    env = {"PATH": "/usr/bin:/bin", "DATALIT_HOME": str(home), "GX_ANALYTICS_ENABLED": "false"}
    r = check("orders-cleanup", "--seeds", "2", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert "FAIL the naive attempt's mean is 100.0 %, outside 10–90 %" in out
    assert "FAIL anomaly typos is caught by no graded check" in out
    assert "FAIL anomaly inconsistent_case" not in out
    assert out.strip().splitlines()[-1] == "check-exercise orders-cleanup: FAIL (2 seeds)"


def seeds(*rows, **extra):
    return [
        SeedResult(n, n, {"reference": r, "untouched": u, "naive": v, "careless": 20.0, **extra})
        for n, (r, u, v) in enumerate(rows, start=1)
    ]


CAUGHT = (Coverage("typos", (("part_a",),)),)


def test_a_sound_exercise_has_no_failures():
    assert _verdict(seeds((100, 0, 40), (100, 0, 44), (100, 0, 42)), CAUGHT) == []


def test_each_rule_fails_on_its_own():
    failures = _verdict(
        seeds((99.5, 0, 40), (100, 4.5, 48), (100, 0, 40)),
        (Coverage("typos", (("part_a",), ())),),
    )
    text = "\n".join(failures)
    assert "seed 1: the reference solution earns 99.5 %" in text
    assert "seed 2: the untouched release earns 4.5 %" in text
    assert "anomaly typos is caught by no graded check (seeds [2])" in text
    assert "vary by 4.6 percentage points" in text
    assert len(failures) == 4


def test_the_gaming_proofs_fail_on_their_own():
    ok = seeds((100, 0, 40), (100, 0, 40), copy=9.0, constant=0.0)
    assert _verdict(ok, CAUGHT) == []
    # A copy that matches on one seed by chance is what copying is worth on average.
    lucky = [*ok[:1], dataclasses.replace(ok[1], percent={**ok[1].percent, "copy": 10.5})]
    assert _verdict(lucky, CAUGHT) == []
    copied = seeds((100, 0, 40), (100, 0, 40), copy=10.5)
    assert "copied, earn 10.5 % on average" in "\n".join(_verdict(copied, CAUGHT))
    careless = [dataclasses.replace(s, percent={**s.percent, "careless": 40.0}) for s in ok]
    assert "careless attempt's mean is 40.0 %" in "\n".join(_verdict(careless, CAUGHT))
    shifted = [dataclasses.replace(s, shift_kept={"t": 51.0}) for s in ok]
    assert len(_verdict(shifted, CAUGHT)) == 2  # one failure per seed
    constant = [
        dataclasses.replace(s, constant_numeric=12.0, constant_by_part={"rate": 12.0, "n": 0.0})
        for s in ok
    ]
    text = "\n".join(_verdict(constant, CAUGHT))
    assert "constants (the other seeds' median answers) earn 12.0 %" in text
    assert "numeric part rate: a constant earns 12.0 %" in text
    assert "numeric part n:" not in text


@pytest.mark.parametrize(("naive", "ok"), [(9.9, False), (10.0, True), (90.0, True), (90.1, False)])
def test_naive_mean_bounds(naive, ok):
    failures = _verdict(seeds((100, 0, naive), (100, 0, naive)), CAUGHT)
    assert (failures == []) is ok


def test_keep_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "gradebook.db").write_text("a real course")
    r = check("orders-cleanup", "--seeds", "1", "--keep", str(tmp_path))
    assert r.returncode == 2
    assert "is not empty" in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.db"]
