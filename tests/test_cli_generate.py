"""End to end through the real `datalit` command: files, determinism, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.output import read_key, read_raw

DATALIT = str(Path(sys.executable).parent / "datalit")


def datalit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATALIT, *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    base = tmp_path_factory.mktemp("gen")
    for name, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        r = datalit("generate", "orders", "--seed", seed, "--out", str(base / name))
        assert r.returncode == 0, r.stderr
    return base


def test_same_seed_gives_identical_bytes(twice):
    a, b = files(twice / "a"), files(twice / "b")
    assert a.keys() == b.keys()
    assert a == b


def test_different_seed_same_shape_different_values(twice):
    a, c = twice / "a", twice / "c"
    orders_a = pd.read_csv(a / "data" / "orders.csv", dtype=str)
    orders_c = pd.read_csv(c / "data" / "orders.csv", dtype=str)
    assert list(orders_a.columns) == list(orders_c.columns)
    assert len(orders_a) == len(orders_c)
    assert not orders_a.equals(orders_c)
    _, key_a = read_key(a)
    _, key_c = read_key(c)
    # Equal difficulty: the same number of planted changes of each kind.
    count = ["anomaly", "table", "change"]
    pd.testing.assert_series_equal(key_a.groupby(count).size(), key_c.groupby(count).size())


def test_written_files_are_explained_exactly_by_the_key(twice):
    clean, key = read_key(twice / "a")
    raw = read_raw(twice / "a")
    assert K.verify(clean, raw, key) == []
    assert len(key) > 0


def test_parquet_format_round_trips(tmp_path):
    r = datalit(
        "generate",
        "orders",
        "--seed",
        "3",
        "--rows",
        "300",
        "--format",
        "parquet",
        "--out",
        str(tmp_path / "p"),
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "p" / "data").iterdir()) == [
        "customers.parquet",
        "fx_rates.parquet",
        "orders.parquet",
        "products.parquet",
    ]
    clean, key = read_key(tmp_path / "p")
    assert K.verify(clean, read_raw(tmp_path / "p"), key) == []


def test_spec_file_selects_plants(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'recipe = "orders"\nrows = 300\n[[plants]]\nanomaly = "missing_mcar"\n'
        'table = "customers"\ncolumn = "email"\nfraction = 0.1\n'
    )
    r = datalit("generate", "--spec", str(spec), "--seed", "5", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    _, key = read_key(tmp_path / "o")
    assert set(key["anomaly"]) == {"missing_mcar"}
    assert set(key["column"]) == {"email"}
    assert len(key) == 3  # 10 % of 30 customers


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('recipe = "nope"', "valid recipes: "),
        ('recipe = "orders"\n[[plants]]\nanomaly = "nope"\ntable = "orders"', "valid anomalys: "),
        (
            'recipe = "orders"\n[[plants]]\nanomaly = "missing_mcar"\ntable = "orders"\n'
            'column = "quantity"\nfraction = 1.5',
            "argument 'fraction' must be a number in [0, 1]",
        ),
        (
            'recipe = "orders"\n[[plants]]\nanomaly = "missing_mcar"\ntable = "orders"\n'
            'column = "colour"',
            "argument 'column' must be a column of table 'orders'",
        ),
        (
            'recipe = "orders"\n[[plants]]\nanomaly = "missing_mcar"\ntable = "orders"',
            "needs the argument 'column'",
        ),
        ('recipe = "orders"\nrows = 3', "rows must be a whole number >= 20"),
        ("recipe = ", "not valid TOML"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, spec, message):
    path = tmp_path / "spec.toml"
    path.write_text(spec)
    out = tmp_path / "out"
    r = datalit("generate", "--spec", str(path), "--seed", "1", "--out", str(out))
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["spec.toml"]  # no temporary leftovers


def test_existing_output_is_not_replaced_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    r = datalit("generate", "orders", "--seed", "1", "--out", str(out))
    assert r.returncode == 2
    assert "--overwrite" in r.stderr
    r = datalit("generate", "orders", "--seed", "1", "--out", str(out), "--overwrite")
    assert r.returncode == 2, "a folder datalit did not write is never overwritten"
    assert (out / "precious.txt").read_text() == "keep me"


def test_failed_write_leaves_no_folder(tmp_path, monkeypatch):
    from datalit.generators.engine import generate
    from datalit.generators.output import write_generated

    g = generate("orders", seed=1, rows=100)

    def explode(name):
        if name.startswith("key/clean"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_generated(g, tmp_path / "out", on_file=explode)
    assert list(tmp_path.iterdir()) == []


def test_anomalies_lists_every_registered_type():
    r = datalit("anomalies")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(REGISTRY)
    for line, name in zip(lines, sorted(REGISTRY), strict=True):
        assert REGISTRY[name].description in line
        assert "fraction" in line or "table" in line


def test_an_exercise_slug_generates_its_data_and_true_answers(tmp_path):
    import json

    from datalit.exercise import compute_truth, load_exercise
    from datalit.generators.engine import generate

    out = tmp_path / "oc"
    r = datalit("generate", "orders-cleanup", "--seed", "5", "--out", str(out))
    assert r.returncode == 0, r.stderr
    exercise = load_exercise("orders-cleanup")
    spec = exercise.generate
    # The variant a candidate with this seed gets: plant counts varied by the exercise.
    g = generate(spec.recipe, seed=5, rows=spec.rows, plants=exercise.plants_for(5))
    expected = compute_truth(exercise, g.clean, g.raw, g.key)["answers"]
    assert json.loads((out / "key" / "answers.json").read_text()) == json.loads(
        json.dumps(expected)
    )
    assert len(read_raw(out)["orders"]) == len(g.raw["orders"])


def test_an_unknown_name_lists_recipes_and_exercises(tmp_path):
    r = datalit("generate", "nope", "--seed", "1", "--out", str(tmp_path / "x"))
    assert r.returncode == 2
    assert "give a recipe (" in r.stderr
    assert "orders-cleanup" in r.stderr
    assert not (tmp_path / "x").exists()
