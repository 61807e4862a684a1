"""The judge_labels recipe: clean tables that satisfy their own rules, and a judge that looks good on
raw agreement while missing most failures."""

from __future__ import annotations

import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators import vocab_llm as V
from datalit.generators.engine import generate
from datalit.generators.recipes import get
from datalit.generators.recipes.judge_labels import (
    cohen_kappa,
    corrected_failure_rate,
    flip_rate,
)
from datalit.seeding import seeded


@pytest.fixture(scope="module", params=[0, 1, 2])
def tables(request):
    return get("judge_labels").build(seeded(request.param), rows=3000).tables


def test_columns_keys_and_values(tables):
    labels, production, pairwise = tables["labels"], tables["production"], tables["pairwise"]
    assert list(labels.columns) == [
        "item_id", "split", "task", "prompt", "model_version", "output", "human_label", "judge_label"
    ]  # fmt: skip
    assert list(production.columns) == [
        "item_id", "task", "prompt", "model_version", "output", "judge_label"
    ]  # fmt: skip
    for df in (labels, production, pairwise):
        assert df.notna().all().all()
    assert labels["item_id"].is_unique
    assert production["item_id"].is_unique
    assert pairwise["comparison_id"].is_unique
    assert set(labels["split"]) == {"dev", "test"}
    for col in ("human_label", "judge_label"):
        assert set(labels[col]) == {"pass", "fail"}
    assert set(production["judge_label"]) == {"pass", "fail"}
    assert set(labels["model_version"]) <= set(V.MODEL_VERSIONS)
    assert set(pairwise["verdict"]) == {"first", "second"}
    assert (pairwise["first_model"] != pairwise["second_model"]).all()


def test_each_pair_is_judged_once_per_order(tables):
    p = tables["pairwise"].astype(str)
    per_pair = p.groupby("pair_id")
    assert per_pair.size().isin([1, 2]).all()
    assert (per_pair.size() == 2).mean() > 0.8
    both = p[p.groupby("pair_id")["pair_id"].transform("size") == 2]
    # The second comparison shows the same two outputs in the other order.
    for _, g in list(both.groupby("pair_id"))[:50]:
        a, b = g.iloc[0], g.iloc[1]
        assert (a["first_model"], a["first_output"]) == (b["second_model"], b["second_output"])
        assert a["prompt"] == b["prompt"]


def test_the_judge_looks_good_but_misses_failures(tables):
    m = get("judge_labels").answers(tables)
    assert 0.8 <= m["human_pass_rate"] <= 0.9
    assert m["raw_agreement"] > 0.85
    assert m["tpr"] > 0.95
    assert m["tnr"] < 0.55
    assert m["cohen_kappa"] < 0.6
    # The judge was tuned on dev, where it catches far more failures.
    dev = tables["labels"][tables["labels"]["split"] == "dev"]
    human, judge = dev["human_label"] == "pass", dev["judge_label"] == "pass"
    assert (~judge[~human]).mean() > m["tnr"] + 0.15
    # Position bias: the verdict often changes with the order; "first" wins more than half.
    assert 0.15 < m["flip_rate"] < 0.4
    assert (tables["pairwise"]["verdict"] == "first").mean() > 0.55
    # The judge under-reports failures; the corrected rate is closer to the humans' rate.
    assert m["corrected_failure_rate"] > m["judge_failure_rate"] + 0.02


def test_metric_helpers():
    a = pd.Series([True, True, False, False])
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(a, ~a) == -1.0
    # A perfect judge needs no correction; a judge no better than chance cannot be corrected.
    assert corrected_failure_rate(0.8, 1.0, 1.0) == pytest.approx(0.2)
    assert pd.isna(corrected_failure_rate(0.8, 0.5, 0.5))
    pairs = pd.DataFrame(
        {
            "pair_id": ["A", "A", "B", "B", "C"],
            "first_model": ["x", "y", "x", "y", "x"],
            "second_model": ["y", "x", "y", "x", "y"],
            "verdict": ["first", "first", "first", "second", "first"],
        }
    )
    assert flip_rate(pairs) == 0.5  # A flips (first both times), B does not, C was judged once


def test_same_seed_same_tables():
    a = get("judge_labels").build(seeded(7), rows=800).tables
    b = get("judge_labels").build(seeded(7), rows=800).tables
    c = get("judge_labels").build(seeded(8), rows=800).tables
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["labels"]["output"].equals(c["labels"]["output"])


@pytest.mark.parametrize("rows", [40, 41])
def test_small_tables(rows):
    t = get("judge_labels").build(seeded(rows), rows=rows).tables
    assert len(t["labels"]) == rows


def test_default_plants_apply_and_the_key_explains_them():
    g = generate("judge_labels", seed=0, rows=3000)
    assert K.verify(g.clean, g.raw, g.key) == []
    assert set(g.key["anomaly"]) == {p.anomaly for p in get("judge_labels").default_plants}
