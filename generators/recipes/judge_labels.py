"""`judge_labels`: an LLM-as-judge validation set: the same outputs labelled pass/fail by humans and
by an LLM judge, production outputs the judge alone labelled, and pairwise comparisons the judge
made in both orders.

Built on the `eval_runs` vocabulary (prompts, fictional model versions, output categories). The
humans are the reference: their label is whether the output is right. The judge passes almost every
right output and misses most wrong ones, so raw agreement looks good at a high pass rate while its
true-negative rate is poor; its prompt was tuned on the `dev` split, where it does better than on
`test` and in production. In the pairwise subset it prefers the output shown first (position
bias), and between two outputs of equal quality the longer one (length bias).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.generators import vocab_llm as V
from datalit.generators.pools import series, take, weighted_codes, zero_padded
from datalit.generators.recipes.eval_runs import (
    CATEGORIES,
    CORRECT,
    PHRASINGS,
    UNMATCHED,
    prompts_and_outputs,
)
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

MODELS = tuple(V.MODEL_VERSIONS)
MODEL_SHARES = np.array([s for _, _, s, _ in V.MODEL_VERSIONS.values()])
MODEL_CATEGORY_PROBS = np.array([p for _, _, _, p in V.MODEL_VERSIONS.values()])

# The judge's chance of passing an output, by output category (correct, correct but written
# another way, wrong, wrong but mentioning the expected text, refusal). Invented, in the range
# LLM-judge write-ups report before calibration: right answers almost always pass, plausible wrong
# ones mostly pass too. On `dev` (where the judge prompt was iterated) it is much better.
JUDGE_PASS = {
    "dev": (0.995, 0.97, 0.25, 0.45, 0.10),
    "test": (0.98, 0.93, 0.60, 0.85, 0.40),
}
# How good the deployed judge is differs from one variant to the next (another prompt revision,
# another model snapshot): the chance that it misses a right output is scaled by a factor from
# TEST_MISS_SCALE, and its pass chance on wrong outputs moves by up to TEST_WRONG_SHIFT. Without
# this the test TPR (and with it raw agreement) would be nearly the same number for every
# candidate, and a guessed constant would pass for the computed value.
TEST_MISS_SCALE = (0.4, 1.6)
TEST_WRONG_SHIFT = 0.06
DEV_SHARE = 0.5
# Pairwise comparisons: chance that the judge answers "first" whatever the outputs (position
# bias), and otherwise the chance it picks the output it does not prefer (noise). Invented.
POSITION_BIAS = 0.2
PAIR_NOISE = 0.05
JUDGED_ONCE = 0.1  # pairs whose swapped comparison was never run


def _items(rng: np.random.Generator, n: int, n_prompts: int, available: np.ndarray):
    """n (prompt, model, category, output) draws: model by share, category by the model's mix."""
    prompt = rng.integers(0, n_prompts, n)
    model = weighted_codes(MODEL_SHARES, n, rng).astype(np.int64)
    category = np.empty(n, dtype=np.int64)
    for m in range(len(MODELS)):
        rows = np.flatnonzero(model == m)
        category[rows] = weighted_codes(MODEL_CATEGORY_PROBS[m], len(rows), rng)
    category = np.where(available[prompt, category], category, CORRECT)
    out = (prompt * len(CATEGORIES) + category) * PHRASINGS + rng.integers(0, PHRASINGS, n)
    return prompt, model, category, out


def _test_pass(rng: np.random.Generator) -> np.ndarray:
    """This variant's deployed judge: JUDGE_PASS["test"] with its misses of right outputs scaled
    and its pass chance on wrong outputs shifted (one draw each, for all categories alike)."""
    p = np.array(JUDGE_PASS["test"])
    right = np.arange(len(p)) <= UNMATCHED
    scale = rng.uniform(*TEST_MISS_SCALE)
    shift = rng.uniform(-TEST_WRONG_SHIFT, TEST_WRONG_SHIFT)
    return np.where(right, 1 - (1 - p) * scale, np.clip(p + shift, 0.0, 1.0))


def _judge(rng: np.random.Generator, category: np.ndarray, pass_chance: np.ndarray) -> np.ndarray:
    return rng.random(len(category)) < pass_chance[category]


def _labels(flags: np.ndarray) -> pd.Series:
    return series(take(["fail", "pass"], flags.astype(np.int64)))


@recipe(
    "judge_labels",
    main_table="labels",
    default_rows=3000,
    min_rows=40,
    default_plants=[
        Plant("missing_mcar", {"table": "labels", "column": "human_label", "fraction": 0.05}),
        Plant("inconsistent_case", {"table": "labels", "column": "judge_label", "fraction": 0.04}),
        Plant("exact_duplicates", {"table": "labels", "fraction": 0.03}),
    ],
    answers=lambda tables: judge_metrics(tables),
)
def judge_labels(src: Seeded, *, rows: int) -> Built:
    """An LLM-judge validation set: human and judge pass/fail labels on the same outputs, judge-only
    production labels, and pairwise comparisons judged in both orders.

    The judge agrees with the humans on most outputs because most outputs pass, but it misses most
    failures (poor true-negative rate); it is better on the dev split it was tuned on; in pairwise
    comparisons it favours the first position and the longer output."""
    rng = src.rng
    dev_pass, test_pass = np.array(JUDGE_PASS["dev"]), _test_pass(rng)
    n_prompts = int(np.clip(rows // 50, 20, 300))
    suite, available, pool = prompts_and_outputs(rng, n_prompts)
    prompt_text = [p for _, p, _ in suite]
    task = [t for t, _, _ in suite]

    # Labelled items: humans say whether the output is right; the judge as on its split.
    prompt, model, category, out = _items(rng, rows, n_prompts, available)
    is_dev = rng.random(rows) < DEV_SHARE
    judge = np.where(is_dev, _judge(rng, category, dev_pass), _judge(rng, category, test_pass))
    labels = pd.DataFrame(
        {
            "item_id": series(zero_padded(np.arange(1, rows + 1), 5, "L")),
            "split": series(take(["test", "dev"], is_dev.astype(np.int64))),
            "task": series(take(task, prompt)),
            "prompt": series(take(prompt_text, prompt)),
            "model_version": series(take(MODELS, model)),
            "output": series(take(pool, out)),
            "human_label": _labels(category <= UNMATCHED),
            "judge_label": _labels(judge),
        },
        copy=False,
    )

    # Production: the same kind of outputs, judged by the judge only (as on test).
    n_prod = rows
    prompt, model, category, out = _items(rng, n_prod, n_prompts, available)
    production = pd.DataFrame(
        {
            "item_id": series(zero_padded(np.arange(1, n_prod + 1), 5, "Q")),
            "task": series(take(task, prompt)),
            "prompt": series(take(prompt_text, prompt)),
            "model_version": series(take(MODELS, model)),
            "output": series(take(pool, out)),
            "judge_label": _labels(_judge(rng, category, test_pass)),
        },
        copy=False,
    )

    # Pairwise: two different models answer one prompt; the judge compares them in both orders.
    n_pairs = max(10, rows // 8)
    prompt = rng.integers(0, n_prompts, n_pairs)
    model_a = weighted_codes(MODEL_SHARES, n_pairs, rng).astype(np.int64)
    model_b = (model_a + rng.integers(1, len(MODELS), n_pairs)) % len(MODELS)
    outputs = []
    for m in (model_a, model_b):
        category = np.array(
            [weighted_codes(MODEL_CATEGORY_PROBS[k], 1, rng)[0] for k in m], dtype=np.int64
        )
        category = np.where(available[prompt, category], category, CORRECT)
        idx = (prompt * len(CATEGORIES) + category) * PHRASINGS + rng.integers(
            0, PHRASINGS, n_pairs
        )
        outputs.append((category <= UNMATCHED, np.array([len(pool[i]) for i in idx]), idx))
    (right_a, len_a, out_a), (right_b, len_b, out_b) = outputs
    # The judge prefers the right output; between equals, the longer one (length bias).
    prefers_a = np.where(right_a != right_b, right_a, len_a >= len_b)

    shown = []  # (pair, a shown first?) for every comparison that was run
    once = rng.random(n_pairs) < JUDGED_ONCE
    a_first_only = rng.random(n_pairs) < 0.5
    for pair in range(n_pairs):
        orders = [bool(a_first_only[pair])] if once[pair] else [True, False]
        shown.extend((pair, a_first) for a_first in orders)
    pair_of = np.array([p for p, _ in shown], dtype=np.int64)
    a_first = np.array([a for _, a in shown], dtype=bool)
    picks_preferred = rng.random(len(shown)) >= PAIR_NOISE
    picks_a = prefers_a[pair_of] == picks_preferred
    says_first = np.where(rng.random(len(shown)) < POSITION_BIAS, True, picks_a == a_first)
    order = rng.permutation(len(shown))
    pair_of, a_first, says_first = pair_of[order], a_first[order], says_first[order]
    first_model = np.where(a_first, model_a[pair_of], model_b[pair_of])
    second_model = np.where(a_first, model_b[pair_of], model_a[pair_of])
    first_out = np.where(a_first, out_a[pair_of], out_b[pair_of])
    second_out = np.where(a_first, out_b[pair_of], out_a[pair_of])
    pairwise = pd.DataFrame(
        {
            "comparison_id": series(zero_padded(np.arange(1, len(shown) + 1), 5, "C")),
            "pair_id": series(zero_padded(pair_of + 1, 4, "PR")),
            "prompt": series(take(prompt_text, prompt[pair_of])),
            "first_model": series(take(MODELS, first_model)),
            "first_output": series(take(pool, first_out)),
            "second_model": series(take(MODELS, second_model)),
            "second_output": series(take(pool, second_out)),
            "verdict": series(take(["second", "first"], says_first.astype(np.int64))),
        },
        copy=False,
    )
    return Built(tables={"labels": labels, "production": production, "pairwise": pairwise})


def cohen_kappa(a: pd.Series, b: pd.Series) -> float:
    """Cohen's kappa of two boolean raters: agreement beyond what their base rates give by chance."""
    observed = float((a == b).mean())
    pa, pb = float(a.mean()), float(b.mean())
    chance = pa * pb + (1 - pa) * (1 - pb)
    return (observed - chance) / (1 - chance) if chance < 1 else 1.0


def corrected_failure_rate(judge_pass_rate: float, tpr: float, tnr: float) -> float:
    """Rogan–Gladen: the true failure rate behind a judge's observed pass rate, given the judge's
    true-positive and true-negative rates (positive = pass), clipped to [0, 1]."""
    youden = tpr + tnr - 1
    if youden <= 0:
        return float("nan")
    true_pass = (judge_pass_rate + tnr - 1) / youden
    return 1 - min(1.0, max(0.0, true_pass))


def flip_rate(pairwise: pd.DataFrame) -> float:
    """Share of pairs judged in both orders whose winning model changes with the order."""
    p = pairwise.astype(str)
    winner = p["first_model"].where(p["verdict"] == "first", p["second_model"])
    per_pair = winner.groupby(p["pair_id"]).agg(["size", "nunique"])
    both = per_pair[per_pair["size"] == 2]
    return float((both["nunique"] > 1).mean())


def judge_metrics(tables: dict[str, pd.DataFrame], *, exclude: pd.Index | None = None) -> dict:
    """The judge's figures on clean tables: on the labelled test split, raw agreement with the
    humans, Cohen's kappa, TPR and TNR (positive = pass); the pairwise order-swap flip rate; the
    judge's production failure rate and that rate corrected with the test TPR/TNR. `exclude`
    drops labelled items (by row) before anything is computed."""
    labels = tables["labels"]
    if exclude is not None:
        labels = labels.drop(index=labels.index.intersection(exclude))
    test = labels[labels["split"].astype(str) == "test"]
    human = test["human_label"].astype(str) == "pass"
    judge = test["judge_label"].astype(str) == "pass"
    tpr = float(judge[human].mean())
    tnr = float((~judge[~human]).mean())
    production_pass = float((tables["production"]["judge_label"].astype(str) == "pass").mean())
    return {
        "labelled_items": len(labels),
        "test_items": len(test),
        "raw_agreement": float((human == judge).mean()),
        "cohen_kappa": cohen_kappa(human, judge),
        "tpr": tpr,
        "tnr": tnr,
        "human_pass_rate": float(human.mean()),
        "judge_pass_rate": float(judge.mean()),
        "flip_rate": flip_rate(tables["pairwise"]),
        "judge_failure_rate": 1 - production_pass,
        "corrected_failure_rate": corrected_failure_rate(production_pass, tpr, tnr),
    }
