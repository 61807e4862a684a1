"""`eval_runs`: an LLM evaluation log: a prompt suite, model outputs, an automated check and
human labels.

The automated check (``assertion_passed``) is "the prompt's expected answer appears in the output,
ignoring case", so it can be recomputed from ``prompts.expected`` and ``runs.output``. The human
label says whether the output is actually right: the check misses right answers written another
way ("Warszawa", "1,234") and passes wrong ones that mention the expected text ("not positive"),
and labelers make the odd mistake.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from datalit.generators import vocab_llm as V
from datalit.generators.pools import series, take, weighted_codes, zero_padded
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

CATEGORIES = V.OUTPUT_CATEGORIES
CORRECT, UNMATCHED, WRONG, MATCHED, REFUSAL = range(len(CATEGORIES))
PHRASINGS = 2  # output phrasings per (prompt, category)
MODELS = tuple(V.MODEL_VERSIONS)
LABELERS = tuple(V.LABELERS)
TASK_SHARES = {
    "capital": 0.25,
    "arithmetic": 0.2,
    "translation": 0.2,
    "sentiment": 0.2,
    "extraction": 0.15,
}
# Tasks with a finite set of distinct prompts; the others can make as many as needed.
_FINITE = ("capital", "translation", "sentiment")
DAY = 86_400


def passes(expected: str, output: str) -> bool:
    """The automated check: the expected answer appears in the output, ignoring case."""
    return expected.casefold() in output.casefold()


# Each builder returns (prompt, expected, {category: [phrasings]}); a category left out falls
# back to a correct answer for that prompt.
def _capital(item, template: int, rng: np.random.Generator):
    country, capital, other_name, wrong = item
    prompt = (
        f"What is the capital of {country}?",
        f"Name the capital city of {country}.",
        f"Which city is the capital of {country}? Answer with the city name only.",
    )[template]
    outputs = {
        CORRECT: [f"The capital of {country} is {capital}.", capital],
        WRONG: [f"The capital of {country} is {wrong}.", wrong],
        MATCHED: [
            f"Many people say {capital}, but the capital of {country} is {wrong}.",
            f"{wrong} (not {capital})",
        ],
    }
    if other_name:
        outputs[UNMATCHED] = [f"The capital of {country} is {other_name}.", other_name]
    return prompt, capital, outputs


def _arithmetic(item, template: int, rng: np.random.Generator):
    op = ("+", "×", "-")[int(rng.integers(0, 3))]
    if op == "+":
        a, b = (int(x) for x in rng.integers(1000, 10_000, 2))
        r = a + b
    elif op == "×":
        a, b = int(rng.integers(34, 100)), int(rng.integers(31, 100))
        r = a * b
    else:
        a, b = int(rng.integers(5000, 10_000)), int(rng.integers(1000, 4000))
        r = a - b
    delta = (-10, -1, 1, 10, 100)[int(rng.integers(0, 5))]
    w = r + delta
    prompt = (
        f"What is {a} {op} {b}?",
        f"Compute {a} {op} {b}. Reply with the number only.",
        f"Calculate {a} {op} {b}.",
    )[template]
    outputs = {
        CORRECT: [str(r), f"{a} {op} {b} = {r}"],
        UNMATCHED: [f"{r:,}", f"{a} {op} {b} = {r:,}"],
        WRONG: [str(w), f"{a} {op} {b} = {w}"],
        MATCHED: [f"{w} (my first attempt gave {r})", f"{a} {op} {b} = {r} {delta:+d} = {w}"],
    }
    return prompt, str(r), outputs


def _translation(item, template: int, rng: np.random.Generator):
    phrase, language, expected, other, wrong = item
    prompt = (
        f'Translate "{phrase}" into {language}.',
        f'How do you say "{phrase}" in {language}?',
    )[template]
    outputs = {
        CORRECT: [expected, f'In {language}: "{expected}"'],
        WRONG: [wrong, f'In {language}: "{wrong}"'],
        MATCHED: [
            f'"{expected}" is too formal here; say "{wrong}".',
            f"{wrong} (literally: {expected})",
        ],
    }
    if other:
        outputs[UNMATCHED] = [other, f'In {language}: "{other}"']
    return prompt, expected, outputs


def _sentiment(item, template: int, rng: np.random.Generator):
    review, label = item
    prompt = (
        f'Classify the sentiment of this review as positive, negative or neutral: "{review}"',
        f'Is this product review positive, negative or neutral? "{review}"',
    )[template]
    wrong = V.SENTIMENT_WRONG[label]
    outputs = {
        CORRECT: [label, f"Sentiment: {label}"],
        UNMATCHED: [V.SENTIMENT_PARAPHRASE[label]],
        WRONG: [wrong, f"Sentiment: {wrong}"],
        MATCHED: [f"Not {label}: {wrong}.", f"The review is not {label}; it is {wrong}."],
    }
    return prompt, label, outputs


_MESSAGES = (
    "Hi, order {} arrived with a broken lid.",
    "My parcel for {} never came, can you check?",
    "Please cancel {}, I ordered the wrong size.",
    "I was charged twice for {} yesterday.",
)


def _extraction(item, template: int, rng: np.random.Generator):
    digits = [int(d) for d in rng.integers(0, 10, 6)]
    order = "ORD-2024-" + "".join(map(str, digits))
    i = int(rng.integers(0, 5))
    swapped = digits.copy()
    swapped[i], swapped[i + 1] = swapped[i + 1], (swapped[i] + 1) % 10
    wrong = "ORD-2024-" + "".join(map(str, swapped))
    message = _MESSAGES[int(rng.integers(0, len(_MESSAGES)))].format(order)
    prompt = (
        f'Extract the order number from this message and reply with it only: "{message}"',
        f'Which order number does this customer mention? "{message}"',
    )[template]
    outputs = {
        CORRECT: [order, f"Order number: {order}"],
        WRONG: [wrong, f"Order number: {wrong}"],
        MATCHED: [f"{order} or {wrong}", f"Order number: {wrong} (also seen: {order})"],
    }
    return prompt, order, outputs


_TASKS = {
    "capital": (_capital, V.CAPITALS, 3),
    "arithmetic": (_arithmetic, None, 3),
    "translation": (_translation, V.TRANSLATIONS, 2),
    "sentiment": (_sentiment, V.REVIEWS, 2),
    "extraction": (_extraction, None, 2),
}


def _prompt_counts(n: int) -> dict[str, int]:
    """Prompts per task: the task shares, capped by the distinct prompts a finite task has."""
    counts = {t: round(n * s) for t, s in TASK_SHARES.items()}
    for t in _FINITE:
        _, items, templates = _TASKS[t]
        counts[t] = min(counts[t], len(items) * templates)
    counts["arithmetic"] += n - sum(counts.values())
    return counts


def prompts_and_outputs(rng: np.random.Generator, n: int):
    """The prompt suite and, per prompt, the output pool: CATEGORIES × PHRASINGS texts."""
    rows, pool = [], []
    available = np.zeros((n, len(CATEGORIES)), dtype=bool)
    for task, count in _prompt_counts(n).items():
        build, items, templates = _TASKS[task]
        if items is not None:
            # Distinct (item, template) pairs, so the suite never repeats a prompt.
            pairs = rng.choice(len(items) * templates, size=count, replace=False)
            chosen = [(items[int(p) // templates], int(p) % templates) for p in pairs]
        else:
            chosen = [(None, int(t)) for t in rng.integers(0, templates, count)]
        for item, template in chosen:
            prompt, expected, outputs = build(item, template, rng)
            outputs[REFUSAL] = [
                V.REFUSALS[int(i)] for i in rng.choice(len(V.REFUSALS), PHRASINGS, replace=False)
            ]
            available[len(rows), list(outputs)] = True
            rows.append((task, prompt, expected))
            for c in range(len(CATEGORIES)):
                texts = outputs.get(c, outputs[CORRECT])
                pool.extend(texts[k % len(texts)] for k in range(PHRASINGS))
    # Shuffle the suite so prompt ids do not follow the task order.
    order = rng.permutation(n)
    rows = [rows[i] for i in order]
    available = available[order]
    pool = [
        pool[(i * len(CATEGORIES)) * PHRASINGS + j]
        for i in order
        for j in range(len(CATEGORIES) * PHRASINGS)
    ]
    return rows, available, pool


def _times(rng: np.random.Generator, n: int, start: int, end: int) -> np.ndarray:
    """n sorted uniform instants in [start, end) without a sort: uniform order statistics are
    normalised cumulative sums of exponential gaps."""
    gaps = rng.exponential(1.0, n + 1)
    cum = np.cumsum(gaps)
    return start + (cum[:-1] / cum[-1] * (end - start)).astype(np.int64)


def _day(text: str) -> int:
    return int(np.datetime64(text, "s").astype(np.int64))


@recipe(
    "eval_runs",
    main_table="runs",
    default_rows=3000,
    min_rows=40,
    default_plants=[
        Plant("exact_duplicates", {"table": "runs", "fraction": 0.01}),
        Plant("missing_mcar", {"table": "runs", "column": "human_label", "fraction": 0.04}),
        Plant("pii_in_text", {"table": "runs", "column": "output", "fraction": 0.01}),
        Plant(
            "orphans",
            {
                "table": "runs",
                "column": "prompt_id",
                "parent": "prompts",
                "parent_column": "prompt_id",
                "fraction": 0.005,
            },
        ),
        Plant("inconsistent_case", {"table": "runs", "column": "model_version", "fraction": 0.01}),
        Plant("outliers", {"table": "runs", "column": "latency_ms", "fraction": 0.005}),
    ],
    answers=lambda tables: eval_runs_answers(tables),
)
def eval_runs(src: Seeded, *, rows: int) -> Built:
    """An LLM evaluation log: prompts, fictional models' outputs, an automated check, human labels.

    Four fictional model versions answer a suite of fact-checkable prompts; human pass/fail labels
    mostly agree with the automated check."""
    rng = src.rng
    n_prompts = int(np.clip(rows // 50, 20, 300))
    suite, available, pool = prompts_and_outputs(rng, n_prompts)
    expected = [e for _, _, e in suite]
    pool_prompt = np.repeat(np.arange(n_prompts), len(CATEGORIES) * PHRASINGS)
    pool_passes = np.array([passes(expected[p], t) for p, t in zip(pool_prompt, pool, strict=True)])
    pool_tokens = np.array([math.ceil(len(t) / 4) for t in pool], dtype=np.int64)

    # Runs in time order; each day's models are those whose evaluation window is open.
    windows = [(_day(a), _day(b) + DAY) for a, b, _, _ in V.MODEL_VERSIONS.values()]
    start, end = min(a for a, _ in windows), max(b for _, b in windows)
    created = _times(rng, rows, start, end)
    days = (end - start) // DAY
    day_start = start + np.arange(days) * DAY
    share = np.array([s for _, _, s, _ in V.MODEL_VERSIONS.values()])
    open_ = np.array([(day_start >= a) & (day_start < b) for a, b in windows]).T * share
    cdf = np.cumsum(open_, axis=1) / open_.sum(axis=1, keepdims=True)
    day = (created - start) // DAY
    model = (rng.random(rows)[:, None] > cdf[day]).sum(axis=1)

    prompt = rng.integers(0, n_prompts, rows)
    category = np.empty(rows, dtype=np.int64)
    for m, (_, _, _, probs) in enumerate(V.MODEL_VERSIONS.values()):
        rows_m = np.flatnonzero(model == m)
        category[rows_m] = weighted_codes(np.array(probs), len(rows_m), rng)
    category = np.where(available[prompt, category], category, CORRECT)
    out = (prompt * len(CATEGORIES) + category) * PHRASINGS + rng.integers(0, PHRASINGS, rows)

    labeler = weighted_codes(np.array([s for s, _ in V.LABELERS.values()]), rows, rng)
    slip = rng.random(rows) < np.array([e for _, e in V.LABELERS.values()])[labeler]
    truly_right = category <= UNMATCHED
    human_pass = truly_right ^ slip
    tokens = pool_tokens[out]
    base = np.array(list(V.MODEL_BASE_LATENCY_MS.values()))[model]
    latency = ((base + 14 * tokens) * rng.lognormal(0.0, 0.3, rows)).astype(np.int64)

    prompt_ids = zero_padded(np.arange(1, n_prompts + 1), 4, "P")
    prompts = pd.DataFrame(
        {
            "prompt_id": series(prompt_ids),
            "task": pd.Series([t for t, _, _ in suite], dtype="str"),
            "prompt": pd.Series([p for _, p, _ in suite], dtype="str"),
            "expected": pd.Series(expected, dtype="str"),
        },
        copy=False,
    )
    # Run ids in time order, drawn from a range ten times the number of runs (the harness numbers
    # every run it starts, logged or not): another variant's log shares few of them, so a cleaned
    # table copied from another candidate matches few of this one's runs. Drawn last, so the rest
    # of the log is what it was with consecutive ids.
    run_numbers = np.sort(rng.choice(10 * rows, rows, replace=False)) + 1
    width = max(7, len(str(10 * rows)))
    runs = pd.DataFrame(
        {
            "run_id": series(zero_padded(run_numbers, width, "R")),
            "prompt_id": series(zero_padded(prompt + 1, 4, "P")),
            "prompt": series(take(pa.array(prompts["prompt"]), prompt)),
            "model_version": series(take(MODELS, model)),
            "output": series(take(pool, out)),
            "output_tokens": tokens,
            "latency_ms": latency,
            "assertion_passed": pool_passes[out],
            "human_label": series(take(["fail", "pass"], human_pass.astype(np.int64))),
            "labeler": series(take(LABELERS, labeler)),
            "created_at": pd.Series(created.astype("datetime64[s]")),
        },
        copy=False,
    )
    return Built(tables={"prompts": prompts, "runs": runs})


def _rates(flags: pd.Series, groups: pd.Series) -> dict[str, float]:
    means = flags.groupby(groups.to_numpy()).mean()
    return {str(k): round(float(v), 6) for k, v in sorted(means.items())}


def eval_runs_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean tables: pass rates by model (human labels and the automated
    check), and how often the check agrees with the human label."""
    r = tables["runs"]
    human = r["human_label"] == "pass"
    check = r["assertion_passed"].astype(bool)
    return {
        "runs": len(r),
        "prompts": len(tables["prompts"]),
        "runs_by_model": {
            str(k): int(v) for k, v in sorted(r["model_version"].value_counts().items())
        },
        "human_pass_rate_by_model": _rates(human, r["model_version"]),
        "assertion_pass_rate_by_model": _rates(check, r["model_version"]),
        "human_pass_rate": round(float(human.mean()), 6),
        "agreement_rate": round(float((human == check).mean()), 6),
        "agreement_rate_by_labeler": _rates(human == check, r["labeler"]),
    }
