"""The shipments recipe's clean tables satisfy their own integrity rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datalit.generators import vocab
from datalit.generators.recipes import get
from datalit.generators.recipes.shipments import KG_PER_UNIT, MAX_KG, MIN_KG
from datalit.seeding import seeded


@pytest.fixture(scope="module", params=[0, 1, 2])
def tables(request):
    return get("shipments").build(seeded(request.param), rows=3000).tables


def test_keys_and_vocabularies_are_valid(tables):
    s = tables["shipments"]
    assert s["shipment_id"].is_unique
    assert s["currency"].isin(tables["fx_rates"]["currency"]).all()
    assert s["category"].isin(tables["categories"]["category"]).all()
    assert set(tables["categories"]["category"]) == set(vocab.PRODUCT_CATEGORIES)
    assert set(s["weight_unit"].astype(str)) == set(KG_PER_UNIT)


def test_currency_follows_origin(tables):
    s = tables["shipments"]
    expected = s["origin"].astype(str).map({iso: v[1] for iso, v in vocab.COUNTRIES.items()})
    assert (s["currency"].astype(str) == expected).all()


def test_weights_lie_within_the_carriers_limits(tables):
    s = tables["shipments"]
    kg = s["weight"] * s["weight_unit"].astype(str).map(KG_PER_UNIT)
    assert kg.between(MIN_KG - 1e-9, MAX_KG + 1e-9).all()
    grams = s.loc[s["weight_unit"] == "g", "weight"]
    assert (grams == np.round(grams)).all()


def test_values_and_transit_days_are_plausible(tables):
    s = tables["shipments"]
    assert (s["declared_value"] >= 1).all()
    assert (s["declared_value"] == s["declared_value"].round(2)).all()
    assert s["transit_days"].between(1, 9).all()
    # Quartiles 3 and 5 on every seed: the outlier fences of the exercises rest on them.
    assert s["transit_days"].quantile([0.25, 0.75]).tolist() == [3.0, 5.0]


def test_same_seed_same_tables():
    a = get("shipments").build(seeded(7), rows=500).tables
    b = get("shipments").build(seeded(7), rows=500).tables
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
