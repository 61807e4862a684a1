"""The answer key's contract, for every registered anomaly, alone and stacked (hypothesis).

For any seed, fraction and example arguments: the key explains the raw tables exactly from the
clean tables (every differing cell is in it, every key row is a real difference, added and removed
rows are identified); the input tables are untouched; the same seed gives the same output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.engine import plant_all
from datalit.generators.spec import Plant
from tests.conftest import small_tables

NAMES = sorted(REGISTRY)
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def plants_for(data, recipe: str, count: int) -> list[Plant]:
    """`count` plants drawn from the examples of anomalies that apply to `recipe`."""
    pool = [(name, args) for name in NAMES for r, args in REGISTRY[name].examples if r == recipe]
    chosen = data.draw(st.lists(st.sampled_from(pool), min_size=count, max_size=count))
    out = []
    for name, args in chosen:
        fraction = data.draw(st.floats(0.0, 0.3), label=f"{name} fraction")
        out.append(Plant(name, {**args, "fraction": fraction}))
    return out


def snapshot(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: df.copy(deep=True) for name, df in tables.items()}


def assert_untouched(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    for name, df in before.items():
        pd.testing.assert_frame_equal(after[name], df)


def run(recipe: str, seed: int, plants: list[Plant]):
    # Clean tables come from a few cached seeds; the plants' rng takes the full seed.
    tables = small_tables(recipe, seed % 4)
    before = snapshot(tables)
    try:
        raw, key = plant_all(tables, plants, np.random.default_rng(seed))
    except InvalidArgument as exc:
        # A tiny table can be too small for a plant: that must be a clear, specific error.
        assert "table" in str(exc) or "argument" in str(exc)
        return None
    assert_untouched(before, tables)
    problems = K.verify(tables, raw, key)
    assert problems == [], "\n".join(problems)
    return raw, key


@FAST
@given(data=st.data(), name=st.sampled_from(NAMES), seed=st.integers(0, 2**32))
def test_each_anomaly_alone_keeps_the_key_exact(data, name, seed):
    recipe, args = data.draw(st.sampled_from(REGISTRY[name].examples))
    fraction = data.draw(st.floats(0.0, 1.0))
    out = run(recipe, seed, [Plant(name, {**args, "fraction": fraction})])
    if out is not None and fraction > 0:
        _, key = out
        # A plant that ran on a non-empty selection left at least one visible trace,
        # unless every chosen change was undone by construction (never for a single plant).
        assert (key["anomaly"] == name).any() or key.empty


@FAST
@given(data=st.data(), seed=st.integers(0, 2**32), count=st.integers(2, 6))
def test_stacked_anomalies_keep_the_key_exact(data, seed, count):
    recipes = sorted({r for a in REGISTRY.values() for r, _ in a.examples})
    recipe = data.draw(st.sampled_from(recipes))
    run(recipe, seed, plants_for(data, recipe, count))


@settings(max_examples=5, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_same_seed_same_output(data, seed):
    recipe = "orders"
    plants = plants_for(data, recipe, 3)
    tables = small_tables(recipe, seed % 4)
    try:
        first = plant_all(tables, plants, np.random.default_rng(seed))
    except InvalidArgument:
        return
    second = plant_all(tables, plants, np.random.default_rng(seed))
    for name in first[0]:
        pd.testing.assert_frame_equal(first[0][name], second[0][name])
    pd.testing.assert_frame_equal(first[1], second[1])


@pytest.mark.parametrize("name", NAMES)
def test_every_anomaly_is_covered_by_an_example_that_plants(name):
    """Each anomaly's examples are valid and, at a fraction of 0.2, plant something."""
    for recipe, args in REGISTRY[name].examples:
        out = run(recipe, 7, [Plant(name, {**args, "fraction": 0.2})])
        assert out is not None, f"{name} example {args} failed on {recipe}"
        assert (out[1]["anomaly"] == name).any(), f"{name} example {args} planted nothing"
