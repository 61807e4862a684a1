"""The eval_runs recipe's clean tables satisfy their own integrity rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators import vocab_llm as V
from datalit.generators.engine import generate
from datalit.generators.recipes import get
from datalit.generators.recipes.eval_runs import passes
from datalit.seeding import seeded


@pytest.fixture(scope="module", params=[0, 1, 2])
def tables(request):
    return get("eval_runs").build(seeded(request.param), rows=6000).tables


def test_columns_and_types(tables):
    p, r = tables["prompts"], tables["runs"]
    assert list(p.columns) == ["prompt_id", "task", "prompt", "expected"]
    assert list(r.columns) == [
        "run_id",
        "prompt_id",
        "prompt",
        "model_version",
        "output",
        "output_tokens",
        "latency_ms",
        "assertion_passed",
        "human_label",
        "labeler",
        "created_at",
    ]
    for col in (
        "run_id",
        "prompt_id",
        "prompt",
        "model_version",
        "output",
        "human_label",
        "labeler",
    ):
        assert r[col].dtype == "str"
    assert r["assertion_passed"].dtype == bool
    assert r["created_at"].dtype == "datetime64[s]"
    assert r["output_tokens"].dtype == "int64"
    assert r["latency_ms"].dtype == "int64"
    assert r.notna().all().all()
    assert p.notna().all().all()


def test_keys_and_denormalised_prompt_agree(tables):
    p, r = tables["prompts"], tables["runs"]
    assert p["prompt_id"].is_unique
    assert r["run_id"].is_unique
    assert p["prompt"].is_unique  # a suite never repeats a prompt
    assert r["prompt_id"].isin(p["prompt_id"]).all()
    assert (r["prompt"] == r["prompt_id"].map(p.set_index("prompt_id")["prompt"])).all()


def test_assertion_is_the_documented_check(tables):
    p, r = tables["prompts"], tables["runs"]
    expected = r["prompt_id"].map(p.set_index("prompt_id")["expected"])
    recomputed = [passes(e, o) for e, o in zip(expected, r["output"], strict=True)]
    assert (r["assertion_passed"].to_numpy() == np.array(recomputed)).all()


def test_rates_are_realistic(tables):
    r = tables["runs"]
    human = r["human_label"] == "pass"
    by_model = human.groupby(r["model_version"]).mean()
    assert set(by_model.index) == set(V.MODEL_VERSIONS)
    assert by_model.between(0.72, 0.95).all()
    assert 0.78 <= human.mean() <= 0.92
    agree = human == r["assertion_passed"]
    assert 0.85 <= agree.mean() <= 0.97
    # Disagreements both ways: right answers the check misses, wrong ones it lets through.
    assert (human & ~r["assertion_passed"]).sum() > 0
    assert (~human & r["assertion_passed"]).sum() > 0
    # The newer full model does better than the old one.
    assert by_model["acme-chat-1.3"] > by_model["acme-chat-1.2"]


def test_values_come_from_their_vocabularies(tables):
    p, r = tables["prompts"], tables["runs"]
    assert set(r["model_version"]) <= set(V.MODEL_VERSIONS)
    assert set(r["labeler"]) <= set(V.LABELERS)
    assert set(r["human_label"]) <= {"pass", "fail"}
    assert set(p["task"]) == {"capital", "arithmetic", "translation", "sentiment", "extraction"}
    capitals = {country: capital for country, capital, _, _ in V.CAPITALS}
    for prompt, expected in zip(p["prompt"], p["expected"], strict=True):
        for country, capital in capitals.items():
            if f" of {country}" in prompt and "capital" in prompt:
                assert expected == capital
    assert (r["output_tokens"] == r["output"].map(lambda t: math.ceil(len(t) / 4))).all()
    assert (r["latency_ms"] > 0).all()


def test_runs_fall_in_their_models_evaluation_window(tables):
    r = tables["runs"]
    assert r["created_at"].is_monotonic_increasing
    for model, (first, last, _, _) in V.MODEL_VERSIONS.items():
        when = r.loc[r["model_version"] == model, "created_at"]
        assert (when >= pd.Timestamp(first)).all()
        assert (when < pd.Timestamp(last) + pd.Timedelta(days=1)).all()


def test_arithmetic_expected_answers_are_right(tables):
    p = tables["prompts"]
    checked = 0
    for prompt, expected in zip(p["prompt"], p["expected"], strict=True):
        for op, fn in (("+", int.__add__), ("×", int.__mul__), ("-", int.__sub__)):
            words = prompt.replace("?", " ").replace(".", " ").split()
            if op in words:
                i = words.index(op)
                assert str(fn(int(words[i - 1]), int(words[i + 1]))) == expected
                checked += 1
    assert checked == (p["task"] == "arithmetic").sum() > 0


@pytest.mark.parametrize("rows", [40, 41, 999])
def test_exact_row_count(rows):
    t = get("eval_runs").build(seeded(rows), rows=rows).tables
    assert len(t["runs"]) == rows
    assert t["runs"]["prompt_id"].isin(t["prompts"]["prompt_id"]).all()


def test_same_seed_same_tables_different_seed_different_values():
    a = get("eval_runs").build(seeded(5), rows=1500).tables
    b = get("eval_runs").build(seeded(5), rows=1500).tables
    c = get("eval_runs").build(seeded(6), rows=1500).tables
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["runs"]["output"].equals(c["runs"]["output"])
    assert not a["runs"]["created_at"].equals(c["runs"]["created_at"])


def test_answers_come_from_the_tables(tables):
    recipe = get("eval_runs")
    answers = recipe.answers(tables)
    r = tables["runs"]
    assert answers["runs"] == len(r)
    assert sum(answers["runs_by_model"].values()) == len(r)
    human = r["human_label"] == "pass"
    assert answers["agreement_rate"] == pytest.approx((human == r["assertion_passed"]).mean())
    for model, rate in answers["human_pass_rate_by_model"].items():
        assert rate == pytest.approx(human[r["model_version"] == model].mean(), abs=1e-6)
    # Flip every human label: pass rates become their complements.
    flipped = r.assign(human_label=np.where(human, "fail", "pass"))
    changed = recipe.answers({**tables, "runs": flipped})
    for model, rate in answers["human_pass_rate_by_model"].items():
        assert changed["human_pass_rate_by_model"][model] == pytest.approx(1 - rate, abs=2e-6)
    assert changed["agreement_rate"] == pytest.approx(1 - answers["agreement_rate"], abs=2e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_default_plants_apply_and_the_key_explains_them(seed):
    g = generate("eval_runs", seed=seed, rows=3000)
    assert K.verify(g.clean, g.raw, g.key) == []
    planted = set(g.key["anomaly"])
    assert planted == {p.anomaly for p in get("eval_runs").default_plants}
