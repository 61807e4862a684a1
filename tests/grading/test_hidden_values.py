"""No candidate-visible text reveals a hidden value, and no step sits at a place set by one.

A hidden value is one the candidate cannot count in their own raw data: the clean row count,
hidden suite parameters (row counts, sum windows, id sets), true answers, the number of planted
ids, the raw keys a table must drop. With immediate feedback a candidate can resubmit at will, so
a message or a jump in points that changes at a fraction of such a value (the old "less than half
the rows it should", at half the hidden clean row count) lets them binary-search it.

The scan: for every exercise and three seeds, the variant and its answer key (no sandbox), then
submissions built from files as `check-exercise`'s gaming attempts are (`grade_files`: the real
extract, validate and score stages): the true tables, the true tables cut to row counts around
half the hidden count and half the raw count, a header alone, the raw table copied, and JSON
answers true, perturbed, empty and of the wrong type. Every text of the candidate view (the JSON
the candidate's report is rendered from) is searched for each hidden value as a token, rendered
the ways messages render numbers (1187, 1,187, 0.42, 0.4219, 42.2%).

Left out, on purpose: integers below 10 and numbers below 10 with at most one decimal (they
appear in every message: "1 of 2 public checks passed", "within 0.1%"); a hidden value that
equals a count the candidate can make in their raw data (a raw table's rows, a raw column's
distinct values: for a table that drops no row, the clean row count is the raw one) or a number
of the submission itself, which messages echo ("You flagged 62 ids", "2071 rows (71 repeat an
earlier row's key)": the candidate's own count, even when it is the true one); the number of
entries of a dict answer (the keys the question asks for: the 61 days of March and April; each
earns an equal share of the points, so the points show it anyway); and the numbers the view
holds as numbers (points are the grade, which measures agreement with the truth smoothly; a
public check's failing-value count is that check, a public rule, run on the candidate's own
table).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from datalit.exercise import Exercise, list_exercises
from datalit.generators.output import write_csv
from datalit.grading.extract import extract
from datalit.grading.report import report
from datalit.grading.results import Extracted, GradeResult, OutputFile, Validation
from datalit.grading.rows import (
    EXPECTED_DIR,
    ExpectedTable,
    read_expected,
    text_frame,
    write_expected,
)
from datalit.grading.score import score
from datalit.grading.table_typing import parameter_names
from datalit.grading.validate import load_suite, validate
from tests.grading._variants import Variant, answer_field, answer_truth, variant

SEEDS = (1, 2, 3)
EXERCISES = list_exercises()
SMALL = 10
"""Integers below this (and one-decimal numbers below it) are not searched for."""
TOKEN = re.compile(r"(?<![\w.,])-?\d[\d,]*(?:\.\d+)?%?(?![\w])")


# --- the variant's key, written as a release writes it ----------------------------------------


def write_keys(v: Variant, folder: Path) -> Path:
    keys = folder / "keys"
    keys.mkdir(parents=True)
    answers = {"answers": v.truth["answers"], "suite_parameters": v.truth["suite_parameters"]}
    (keys / "answers.json").write_text(json.dumps(answers, default=str), encoding="utf-8")
    write_expected(keys / EXPECTED_DIR, v.exercise, v.truth["tables"], v.generated.raw)
    return keys


# --- what is hidden ---------------------------------------------------------------------------


def _public_parameters(exercise: Exercise) -> set[str]:
    """Parameters a public check uses (practice mode hands them to the candidate)."""
    suite = load_suite(exercise)
    return set().union(
        *(
            parameter_names(e.get("kwargs", {}))
            for e in suite["expectations"]
            if (e.get("meta") or {}).get("visibility") == "public"
        )
    )


def _countable(v: Variant) -> set[int]:
    """Counts the candidate can make in their raw data."""
    counts = set()
    for table in v.generated.raw.values():
        counts.add(len(table))
        for column in table.columns:
            counts.add(int(table[column].astype(str).nunique()))
    return counts


def _numbers(value, *, dict_sizes: bool = True) -> list[float | int]:
    """Every number inside `value`, and the length of every list in it (a count) and, with
    `dict_sizes`, of every dict."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        inner = [n for item in value.values() for n in _numbers(item, dict_sizes=dict_sizes)]
        return [len(value), *inner] if dict_sizes else inner
    if isinstance(value, list | tuple):
        inner = [n for item in value for n in _numbers(item, dict_sizes=dict_sizes)]
        return [len(value), *inner]
    return []


def _ids(value) -> list[str]:
    """The true ids of an answer (list entries that are text or whole numbers)."""
    if isinstance(value, list):
        return [
            str(x).strip() for x in value if isinstance(x, str | int) and not isinstance(x, bool)
        ]
    return []


def hidden_tokens(v: Variant, expected: dict[str, ExpectedTable]) -> dict[str, str]:
    """Hidden value -> a token that would reveal it, for this variant."""
    public = _public_parameters(v.exercise)
    values: dict[str, float | int] = {}
    for name, value in v.truth["suite_parameters"].items():
        # Text parameters (customer_ids) are ids of the candidate's own raw tables.
        if name not in public:
            for n in _numbers(value):
                values.setdefault(f"suite parameter {name}: {n!r}", n)
    for name, value in v.truth["answers"].items():
        # Not the number of entries of a dict answer: those are the keys the question asks for.
        for n in _numbers(value, dict_sizes=False):
            values.setdefault(f"answer {name}: {n!r}", n)
    for name, table in expected.items():
        values[f"true rows of {name}"] = len(table.table)
        values[f"raw keys {name} drops"] = len(table.dropped)
    countable = _countable(v)
    tokens: dict[str, str] = {}
    for what, n in values.items():
        if isinstance(n, int) and n in countable:
            continue
        if isinstance(n, float) and n.is_integer() and int(n) in countable:
            continue
        for shown in _renderings(n):
            tokens.setdefault(shown, what)
    for name, value in v.truth["answers"].items():
        for ident in _ids(value):
            if ident and not (ident.isdigit() and int(ident) < SMALL):
                tokens.setdefault(ident, f"a true id of {name}")
    return tokens


def _renderings(n: float | int) -> set[str]:
    if not math.isfinite(n):
        return set()
    if isinstance(n, int) or float(n).is_integer():
        i = int(n)
        return set() if abs(i) < SMALL else {str(i), f"{i:,}"}
    shown = {repr(n), f"{n:g}", f"{n:.2f}", f"{n:.3f}", f"{n:.4f}", f"{n:,.2f}"}
    shown |= {f"{n * 100:.1f}%", f"{n * 100:g}%", f"{n * 100:.0f}%"}
    return {s for s in shown if not _too_common(s)}


def _too_common(token: str) -> bool:
    number = float(token.rstrip("%").replace(",", ""))
    decimals = token.rstrip("%").partition(".")[2]
    return abs(number) < SMALL and len(decimals) <= 1


# --- submissions ------------------------------------------------------------------------------


def _cut(table: pd.DataFrame, rows: int) -> pd.DataFrame:
    return table.iloc[: max(0, min(rows, len(table)))]


def table_variants(v: Variant) -> list[dict[str, pd.DataFrame]]:
    """Per submission, the table outputs as the candidate would write them (all text); the
    first is the true tables."""
    exercise, raw = v.exercise, v.generated.raw
    true = {}
    for o in exercise.outputs:
        if o.kind != "table":
            continue
        if o.name in v.truth["tables"]:
            true[o.name] = text_frame(v.truth["tables"][o.name])
        elif o.name in {p.output for p in exercise.parts if p.kind == "spans"}:
            true[o.name] = _span_frame(exercise, o.name, v.truth["answers"])
    submissions = [true, {n: t.iloc[:0] for n, t in true.items()}]
    for name, table in true.items():
        n = len(table)
        source = exercise.output(name).source_table
        r = len(raw[source]) if source in raw else n
        for k in sorted({1, n // 2 - 1, n // 2, n // 2 + 1, (r + 1) // 2 - 1, (r + 1) // 2, n - 1}):
            if 0 < k < n:
                submissions.append({**true, name: _cut(table, k)})
        if source in raw:
            submissions.append({**true, name: text_frame(raw[source])})
    return submissions


def _span_frame(exercise: Exercise, output: str, answers: dict) -> pd.DataFrame:
    part = next(p for p in exercise.parts if p.kind == "spans" and p.output == output)
    spans = answers[answer_truth(part)]
    return pd.DataFrame(
        {
            answer_field(part): [str(s["id"]) for s in spans],
            "start": [str(s["start"]) for s in spans],
            "end": [str(s["end"]) for s in spans],
        }
    )


def json_variants(exercise: Exercise, answers: dict) -> list[dict[str, object]]:
    """Per submission, the JSON outputs: true, perturbed, empty, of the wrong type."""
    names = [o.name for o in exercise.outputs if o.kind == "json"]
    fields = {n: [p for p in exercise.parts if p.output == n and answer_field(p)] for n in names}

    def build(value_of) -> dict[str, object]:
        return {n: {answer_field(p): value_of(p) for p in parts} for n, parts in fields.items()}

    def perturbed(p):
        truth = answers.get(answer_truth(p))
        if isinstance(truth, list):
            ids = truth[: len(truth) // 2]
            return [*ids, "zz-not-an-id", 987654321]
        if isinstance(truth, dict):
            items = list(truth.items())[1:]
            out = {k: _moved(x) for k, x in items}
            if items:
                out[items[0][0]] = "twelve"
            return out
        return _moved(truth)

    return [
        build(lambda p: answers.get(answer_truth(p))),
        build(perturbed),
        {n: {} for n in names},
        build(lambda p: "some text"),
    ]


def _moved(x):
    return x * 1.37 + 1 if isinstance(x, int | float) and not isinstance(x, bool) else x


def write_outputs(exercise: Exercise, folder: Path, tables: dict, data: dict) -> None:
    for name, table in tables.items():
        path = folder / exercise.output(name).path
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(table, path)
    for name, value in data.items():
        path = folder / exercise.output(name).path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


# --- the candidate view -----------------------------------------------------------------------


def candidate_view(exercise: Exercise, scored, validation, course: Path) -> dict:
    result = GradeResult(
        exercise=exercise.slug,
        candidate="candidate",
        submission_sha256="",
        grader_version="test",
        status="graded",
        reason="",
        execution=None,
        score=scored,
        validation=validation,
    )
    paths = report(
        course=course,
        exercise=exercise,
        result=result,
        kit_anomalies=[p.anomaly for p in exercise.generate.plants or ()],
    )
    return json.loads(paths.candidate_json.read_text(encoding="utf-8"))


def texts(view) -> list[str]:
    if isinstance(view, str):
        return [view]
    if isinstance(view, dict):
        return [t for item in view.values() for t in texts(item)]
    if isinstance(view, list):
        return [t for item in view for t in texts(item)]
    return []


def own_tokens(tables: dict[str, pd.DataFrame], data: dict[str, object]) -> set[str]:
    """The numbers of the submission itself, which messages may echo ("You flagged 62 ids"):
    its row counts and repeated keys, the numbers and counts of its JSON values, its distinct
    ids."""
    own: set[float | int] = set()
    for table in tables.values():
        own.add(len(table))
        for column in table.columns:
            distinct = int(table[column].nunique())
            own.update((distinct, len(table) - distinct))
    for value in data.values():
        own.update(_numbers(value))
        if isinstance(value, dict):
            for item in value.values():
                if isinstance(item, list):
                    own.add(len({str(x).strip() for x in item} - {""}))
    return {shown for n in own for shown in _renderings(n)}


def leaks(view: dict, tokens: dict[str, str]) -> list[str]:
    found = []
    for text in texts(view):
        for token in TOKEN.findall(text):
            if token in tokens:
                found.append(f"{token!r} ({tokens[token]}) in {text!r}")
        for word in re.findall(r"[\w-]+", text):
            if word in tokens and not TOKEN.fullmatch(word):
                found.append(f"{word!r} ({tokens[word]}) in {text!r}")
    return found


def _grade(v: Variant, keys: Path, folder: Path):
    """grade_files, keeping the validation (the candidate view shows its public checks)."""
    extracted = extract(v.exercise, folder)
    validation = validate(v.exercise, extracted, parameters=v.truth["suite_parameters"])
    expected = read_expected(keys / EXPECTED_DIR, v.exercise)
    return score(
        v.exercise, extracted, validation, answers=v.truth["answers"], expected=expected
    ), validation


@pytest.mark.parametrize("slug", EXERCISES)
def test_no_candidate_visible_text_holds_a_hidden_value(slug, tmp_path):
    problems = []
    for j, seed in enumerate(SEEDS):
        v = variant(slug, seed)
        base = tmp_path / f"seed{seed}"
        keys = write_keys(v, base)
        expected = read_expected(keys / EXPECTED_DIR, v.exercise)
        tokens = hidden_tokens(v, expected)
        assert tokens, "the scan must look for something"
        jsons = json_variants(v.exercise, v.truth["answers"])
        # Every seed grades the true tables; the other table variants are shared out among the
        # seeds (a GX validation costs about 0.2 s).
        every = table_variants(v)
        mine = [every[0], *every[1 + j :: len(SEEDS)]]
        for i, tables in enumerate(mine):
            folder = base / f"submission{i}"
            data = jsons[i % len(jsons)]
            write_outputs(v.exercise, folder, tables, data)
            scored, validation = _grade(v, keys, folder)
            view = candidate_view(v.exercise, scored, validation, base / f"course{i}")
            own = own_tokens(tables, data)
            searched = {t: what for t, what in tokens.items() if t not in own}
            problems += [f"seed {seed}, submission {i}: {p}" for p in leaks(view, searched)]
    assert not problems, "\n".join(problems[:20])


# --- the sparse rule, directly ----------------------------------------------------------------


def _suite_and_rows(exercise: Exercise) -> list[tuple[str, str, str | None]]:
    """(table output, suite part, rows part reading it or None) for each suite part."""
    out = []
    for part in exercise.parts:
        if part.kind == "suite":
            rows = next(
                (p.id for p in exercise.parts if p.kind == "rows" and p.output == part.output),
                None,
            )
            out.append((part.output, part.id, rows))
    return out


SPARSE_CASES = [
    (slug, *case)
    for slug in EXERCISES
    for case in _suite_and_rows(variant(slug, SEEDS[0]).exercise)
    if case[2] is not None
]


def _cut_scores(v: Variant, expected, output: str, validation: Validation, ks):
    """The scored parts for the true table cut to each k rows, the checks' outcomes held fixed."""
    exercise = v.exercise
    table = expected[output].table
    missing = {
        o.name: OutputFile(o.name, "missing", f"{o.path} was not written") for o in exercise.outputs
    }
    for k in ks:
        outputs = {**missing, output: OutputFile(output, "ok", table=table.iloc[:k])}
        scored = score(
            exercise,
            Extracted(outputs=outputs),
            validation,
            answers=v.truth["answers"],
            expected=expected,
        )
        yield k, {p.id: p for p in scored.parts}


@pytest.mark.parametrize(("slug", "output", "suite_part", "rows_part"), SPARSE_CASES)
def test_a_cut_down_table_changes_text_and_points_only_at_half_the_raw_rows(
    slug, output, suite_part, rows_part, tmp_path
):
    """The true table cut to k rows: the suite part's text and points change at k = 1 (no rows
    at all) and at half the raw table's rows, nowhere else; in particular not at half the
    hidden clean row count. The rows part's text changes with k only where it states k itself
    (its points fall smoothly with k: the share of true rows present)."""
    v = variant(slug, SEEDS[0])
    keys = write_keys(v, tmp_path)
    expected = read_expected(keys / EXPECTED_DIR, v.exercise)
    true_rows = len(expected[output].table)
    raw_rows = len(v.generated.raw[v.exercise.output(output).source_table])
    assert expected[output].raw_rows == raw_rows
    # The checks' outcomes on the whole true table, held fixed: what changes below is the score
    # stage's own doing (on a real cut table only the hidden row count check changes, at k = N).
    extracted = Extracted(
        outputs={
            o.name: OutputFile(o.name, "ok", table=expected[output].table)
            if o.name == output
            else OutputFile(o.name, "missing", "not written")
            for o in v.exercise.outputs
        }
    )
    validation = validate(v.exercise, extracted, parameters=v.truth["suite_parameters"])
    half_true, half_raw = (true_rows + 1) // 2, (raw_rows + 1) // 2
    ks = sorted(
        {0, 1, 2, *range(3, true_rows, max(1, true_rows // 40))}
        | {half_true - 1, half_true, half_true + 1, half_raw - 1, half_raw, half_raw + 1}
        | {int(0.9 * true_rows) + d for d in (-1, 0, 1)}
        | {true_rows - 1}
    )
    ks = [k for k in ks if 0 <= k < true_rows]
    suite_changes, rows_texts = [], {}
    previous = None
    for k, parts in _cut_scores(v, expected, output, validation, ks):
        suite = parts[suite_part]
        now = (suite.feedback, suite.points)
        if previous is not None and now != previous:
            suite_changes.append(k)
        previous = now
        if k > 0:
            rows_texts[k] = re.sub(rf"\b{k} rows?\b", "K rows", parts[rows_part].feedback)
    # The first k at or above half the raw rows is where the rule stops applying.
    expected_changes = [1, half_raw] if half_raw < true_rows else [1]
    assert suite_changes == expected_changes, (
        f"changes at {suite_changes}; half the raw rows {half_raw}, half the true rows {half_true}"
    )
    assert len(set(rows_texts.values())) == 1, sorted(set(rows_texts.values()))


def test_the_sparse_message_names_the_raw_table_and_never_the_hidden_count(tmp_path):
    v = variant("orders-cleanup", SEEDS[0])
    keys = write_keys(v, tmp_path)
    expected = read_expected(keys / EXPECTED_DIR, v.exercise)
    raw_rows = len(v.generated.raw["orders"])
    true_rows = len(expected["orders_clean"].table)
    table = expected["orders_clean"].table.iloc[:5]
    folder = tmp_path / "submission"
    write_outputs(v.exercise, folder, {"orders_clean": table}, {})
    scored, _ = _grade(v, keys, folder)
    suite = next(p for p in scored.parts if p.id == "clean_orders")
    assert (
        f"less than half the rows of the raw orders table it is cleaned from ({raw_rows:,} rows)"
        in suite.feedback
    )
    assert suite.details["vacuous"]
    assert (suite.details["rows"], suite.details["raw_rows"]) == (5, raw_rows)
    for shown in (str(true_rows), f"{true_rows:,}", str(true_rows // 2)):
        assert shown not in suite.feedback


def test_the_raw_row_count_comes_from_the_key_alone(tmp_path):
    """Recorded at release beside the true table; for keys written before that, read from the
    answer key's manifest (keys/<c>/<ex>/key/manifest.json); without either, unknown, and only
    a table without rows earns its value checks nothing."""
    v = variant("orders-cleanup", SEEDS[0])
    keys = write_keys(v, tmp_path)
    raw_rows = len(v.generated.raw["orders"])
    assert read_expected(keys / EXPECTED_DIR, v.exercise)["orders_clean"].raw_rows == raw_rows

    meta_path = keys / EXPECTED_DIR / "orders_clean.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["raw_rows"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    assert read_expected(keys / EXPECTED_DIR, v.exercise)["orders_clean"].raw_rows is None
    (keys / "key").mkdir()
    manifest = {"tables": {"orders": {"raw_rows": raw_rows, "clean_rows": 2000}}}
    (keys / "key" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    expected = read_expected(keys / EXPECTED_DIR, v.exercise)
    assert expected["orders_clean"].raw_rows == raw_rows

    unknown = {"orders_clean": ExpectedTable(expected["orders_clean"].table)}
    whole = {
        o.name: OutputFile(o.name, "ok", table=expected["orders_clean"].table)
        if o.name == "orders_clean"
        else OutputFile(o.name, "missing", "not written")
        for o in v.exercise.outputs
    }
    validation = validate(v.exercise, Extracted(whole), parameters=v.truth["suite_parameters"])
    for table, vacuous_rule in (
        (expected["orders_clean"].table.iloc[:3], False),
        (expected["orders_clean"].table.iloc[:0], True),
    ):
        outputs = {
            o.name: OutputFile(o.name, "ok", table=table)
            if o.name == "orders_clean"
            else OutputFile(o.name, "missing", "not written")
            for o in v.exercise.outputs
        }
        scored = score(
            v.exercise, Extracted(outputs), validation, answers=v.truth["answers"], expected=unknown
        )
        suite = next(p for p in scored.parts if p.id == "clean_orders")
        assert suite.details["raw_rows"] is None
        assert ("The table has no rows" in suite.feedback) == vacuous_rule
        assert "less than half" not in suite.feedback
