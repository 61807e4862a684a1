"""`rows` parts: a delivered table compared row by row with the candidate's own true table.

What must hold: the true table earns every point in any row order and any legitimate text form;
leaving the raw data as it was, copying another variant, shifting a column by one row or writing
a constant earns (about) nothing on the compared columns; dropped rows are scored by F1.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datalit.errors import InvalidArgument
from datalit.exercise import Output, Part, load_exercise
from datalit.generators.spec import Plant, varied_plants
from datalit.grading.parts.rows import RowColumn, RowsSettings
from datalit.grading.results import Extracted, OutputFile, Validation
from datalit.grading.rows import ExpectedTable, compare_rows, key_text
from datalit.grading.score import score

STATUSES = ["delivered", "shipped", "cancelled", "returned"]
PART = Part(
    id="rows",
    kind="rows",
    title="rows",
    points=10.0,
    output="t",
    settings=RowsSettings(
        key_columns=("id",),
        columns=(
            RowColumn("status"),
            RowColumn("amount", "number", tolerance=0.001),
            RowColumn("at", "instant", abs_tolerance=1.0),
        ),
        key_share=0.3,
    ),
)


def true_table(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [str(100_000 + i) for i in range(n)],
            "status": rng.choice(STATUSES, n),
            "amount": [f"{v:.2f}" for v in rng.uniform(1, 500, n)],
            "at": (
                pd.Timestamp("2026-03-01", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 28 * 86400, n), unit="s")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def expected(truth: pd.DataFrame, raw: pd.DataFrame | None = None, dropped=()) -> ExpectedTable:
    """What release computes: the true table, the dropped keys, the raw table's match."""
    exp = ExpectedTable(truth, frozenset(dropped))
    if raw is None:
        return exp
    untouched = compare_rows(PART, raw, exp)
    return dataclasses.replace(exp, raw_match={c.name: c.match for c in untouched.columns})


def points(table: pd.DataFrame, exp: ExpectedTable, part: Part = PART) -> float:
    out = OutputFile("t", "ok", table=table.astype(str))
    exercise = dataclasses.replace(
        load_exercise("orders-cleanup"),
        parts=(part,),
        outputs=(Output("t", "outputs/t.csv", "table"),),
    )
    result = score(
        exercise, Extracted({"t": out}), Validation(results=()), answers={}, expected={"t": exp}
    )
    return result.parts[0].points


def messy(truth: pd.DataFrame, share: float = 0.1, seed: int = 2) -> pd.DataFrame:
    """The raw table: a share of statuses in upper case."""
    rng = np.random.default_rng(seed)
    raw = truth.copy()
    hit = rng.random(len(raw)) < share
    raw.loc[hit, "status"] = raw.loc[hit, "status"].str.upper()
    return raw


def test_the_true_table_earns_every_point_in_any_order_and_text_form():
    truth = true_table()
    exp = expected(truth, messy(truth))
    assert points(truth, exp) == 10.0
    shuffled = truth.sample(frac=1, random_state=3)
    # Other legitimate text: ids written as floats, amounts unpadded, times with an offset.
    shuffled = shuffled.assign(
        id=shuffled["id"] + ".0",
        amount=shuffled["amount"].astype(float).astype(str),
        at=pd.to_datetime(shuffled["at"]).dt.tz_convert("Europe/Paris").astype(str),
    )
    assert points(shuffled, exp) == 10.0


def test_leaving_the_raw_column_as_it_was_earns_nothing_for_it():
    truth = true_table()
    raw = messy(truth)
    exp = expected(truth, raw)
    # Rows right (3 points), the two columns without planted cells right (2 x 7/3), status 0.
    assert points(raw, exp) == pytest.approx(3 + 2 * 7 / 3, abs=0.01)
    half = raw.copy()
    fixed = half["status"].str.islower() | (np.arange(len(half)) % 2 == 0)
    half["status"] = np.where(fixed, truth["status"], half["status"])
    between = points(half, exp)
    assert points(raw, exp) < between < 10.0


def test_a_copy_a_shift_and_a_constant_earn_nothing_on_the_columns():
    truth = true_table(seed=1)
    exp = expected(truth, messy(truth))
    other = true_table(seed=9)  # another variant: same ids, other values
    assert points(other, exp) == pytest.approx(3.0, abs=0.15)
    shifted = truth.copy()
    for c in ("status", "amount", "at"):
        shifted[c] = np.roll(truth[c].to_numpy(), 1)
    assert points(shifted, exp) == pytest.approx(3.0, abs=0.15)
    constant = truth.assign(status="delivered", amount="250.00", at="2026-03-14T12:00:00Z")
    assert points(constant, exp) == pytest.approx(3.0, abs=0.15)


def test_rows_that_had_to_go_are_scored_by_f1_and_repeats_cost():
    truth = true_table()
    gone = true_table(n=420).iloc[400:]  # 20 raw rows (orphans) that must be dropped
    raw = pd.concat([truth, gone])
    exp = expected(truth, raw, dropped=gone["id"])
    kept_all = compare_rows(PART, raw, exp)
    assert kept_all.keep_score == 0.0
    assert kept_all.kept_wrongly == 20
    perfect = compare_rows(PART, truth, exp)
    assert (perfect.keep_score, perfect.distinct_share) == (1.0, 1.0)
    repeated = compare_rows(PART, pd.concat([truth, truth.iloc[:40]]), exp)
    assert repeated.repeated == 40
    assert repeated.distinct_share == pytest.approx(400 / 440)
    # Dropping 20 good rows too: half the dropped keys are right.
    too_many = compare_rows(PART, truth.iloc[20:], exp)
    assert too_many.keep_score == pytest.approx(2 * 20 / (40 + 20))
    invented = compare_rows(PART, pd.concat([truth, truth.iloc[:5].assign(id="X1")]), exp)
    assert invented.invented == 1


def test_a_missing_key_or_column_is_said_and_scores_zero_for_it():
    truth = true_table()
    exp = expected(truth)
    p = points(truth.drop(columns=["id"]), exp)
    assert p == 0.0
    result = compare_rows(PART, truth.drop(columns=["amount"]), exp)
    assert [c.present for c in result.columns] == [True, False, True]


def test_instants_compare_to_the_second_and_reach_sentinel_years():
    truth = true_table(n=3)
    exp = expected(truth)
    close = truth.assign(at=(pd.to_datetime(truth["at"]) + pd.Timedelta("900ms")).astype(str))
    far = truth.assign(at=(pd.to_datetime(truth["at"]) + pd.Timedelta("2s")).astype(str))
    assert [c.match for c in compare_rows(PART, close, exp).columns][2] == 1.0
    assert [c.match for c in compare_rows(PART, far, exp).columns][2] == 0.0
    sentinel = truth.assign(at=["9999-12-31 00:00:00", "1900-01-01", "not a date"])
    assert [c.match for c in compare_rows(PART, sentinel, exp).columns][2] == 0.0


def test_keys_compare_as_text_with_float_written_integers():
    assert key_text(pd.Series(["100123.0", " 100123 ", "C01", "7.5", None])).tolist() == [
        "100123",
        "100123",
        "C01",
        "7.5",
        "",
    ]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=5, max_value=120),
    seed=st.integers(min_value=0, max_value=10_000),
    order=st.randoms(use_true_random=False),
)
def test_property_truth_in_any_order_earns_all_and_broken_cells_lose(n, seed, order):
    truth = true_table(n=n, seed=seed)
    exp = expected(truth, messy(truth, seed=seed))
    rows = list(range(n))
    order.shuffle(rows)
    assert points(truth.iloc[rows], exp) == 10.0
    broken = truth.copy()
    broken.loc[broken.index[0], "amount"] = "not a number"
    assert points(broken, exp) < 10.0


def test_varied_plants_vary_fractions_per_seed_within_the_spread():
    plants = (Plant("orphans", {"table": "orders", "fraction": 0.02}), Plant("typos", {"n": 3}))
    seen = set()
    for seed in range(50):
        varied = varied_plants(plants, seed=seed, spread=0.2)
        assert 0.016 <= varied[0].args["fraction"] <= 0.024
        assert varied[1] == plants[1]  # no fraction: unchanged
        assert varied == varied_plants(plants, seed=seed, spread=0.2)  # reproducible
        seen.add(varied[0].args["fraction"])
    assert len(seen) == 50
    assert varied_plants(plants, seed=1, spread=0.0) == plants
    with pytest.raises(InvalidArgument):
        varied_plants(plants, seed=1, spread=1.5)


def test_every_released_variant_gets_its_own_counts(tmp_path):
    from datalit.grading.course import Candidate, Course, release_variant

    exercise = load_exercise("orders-cleanup")
    course = Course(tmp_path / "course")
    course.ensure()
    rows = set()
    for n in range(6):
        released = release_variant(exercise, course, Candidate(f"c{n}"), 1000 + n)
        data = (released.keys_dir / "answers.json").read_text()
        rows.add(json.loads(data)["suite_parameters"]["clean_order_rows"])
    assert len(rows) >= 4
