"""The validate stage with real Great Expectations on real files: the orders-cleanup suite passes a
perfect cleaned table, fails a raw copy on exactly the checks its planted anomalies target, and
turns a candidate's odd data into failed expectations with messages, never a crash."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.generators.engine import generate
from datalit.generators.output import write_csv
from datalit.grading.extract import extract
from datalit.grading.results import Extracted, OutputFile
from datalit.grading.validate import (
    load_suite,
    text_columns,
    typed_for_checks,
    validate,
    warm_up,
)

SEED = 20240611
CSV_PATH = "outputs/orders_clean.csv"


def plain_categories(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    # The orders recipe returns some columns as pandas categories, which truth.py's arithmetic
    # does not accept (see the report); the values are the same either way.
    return {
        name: df.apply(lambda c: c.astype(c.cat.categories.dtype) if c.dtype == "category" else c)
        for name, df in tables.items()
    }


@pytest.fixture(scope="module")
def orders():
    """The generated orders-cleanup variant, its truth, the perfect and the raw orders table."""
    exercise = load_exercise("orders-cleanup")
    spec = exercise.generate
    g = generate(spec.recipe, seed=SEED, rows=spec.rows, plants=spec.plants)
    module_spec = importlib.util.spec_from_file_location(
        "orders_cleanup_truth", exercise.solution_folder / "truth.py"
    )
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    truth = module.truth(plain_categories(g.clean), plain_categories(g.raw), g.key)
    orphans = set(truth["answers"]["orphan_order_ids"])
    clean = g.clean["orders"]
    perfect = clean[~clean["order_id"].isin(orphans)]
    warm_up()
    return {
        "exercise": exercise,
        "truth": truth,
        "perfect": perfect,
        "raw": g.raw["orders"],
        "suite": load_suite(exercise),
    }


def run(orders, tmp_path: Path, table: pd.DataFrame, parameters: dict | None = None):
    (tmp_path / "outputs").mkdir(exist_ok=True)
    write_csv(table, tmp_path / CSV_PATH)
    extracted = extract(orders["exercise"], tmp_path)
    assert extracted.outputs["orders_clean"].status == "ok"
    params = orders["truth"]["suite_parameters"] if parameters is None else parameters
    return validate(orders["exercise"], extracted, parameters=params)


def by_id(validation):
    return {r.id: r for r in validation.results}


def test_a_perfect_cleaned_table_passes_every_expectation(orders, tmp_path):
    validation = run(orders, tmp_path, orders["perfect"])
    assert validation.skipped_reason == ""
    assert len(validation.results) == len(orders["suite"]["expectations"])
    failed = [
        (r.type, r.error, r.unexpected_sample[:3]) for r in validation.results if not r.success
    ]
    assert failed == []
    assert all(r.error == "" for r in validation.results)


def test_a_raw_copy_fails_exactly_the_checks_the_planted_anomalies_target(orders, tmp_path):
    validation = run(orders, tmp_path, orders["raw"])
    targeted = {e["id"] for e in orders["suite"]["expectations"] if e["meta"].get("anomaly")}
    failed = {r.id for r in validation.results if not r.success}
    assert failed == targeted
    results = by_id(validation)
    unique = results["1dc0be2c-272d-50eb-8b10-8066d23994bd"]
    duplicated = orders["raw"]["order_id"].duplicated(keep=False).sum()
    assert unique.unexpected_count == duplicated  # every copy in a group counts
    status = results["870d6960-5664-5950-b2f6-bb64b0e441e8"]
    assert status.unexpected_sample
    assert all(
        v.lower() in {"delivered", "shipped", "cancelled", "returned"}
        for v in status.unexpected_sample
    )
    assert all(
        v not in {"delivered", "shipped", "cancelled", "returned"} for v in status.unexpected_sample
    )


def test_results_come_back_in_suite_order_matched_by_id(orders, tmp_path):
    raw = orders["raw"]
    validation = run(orders, tmp_path, raw)
    suite = orders["suite"]["expectations"]
    assert [r.id for r in validation.results] == [e["id"] for e in suite]
    for result, entry in zip(validation.results, suite, strict=True):
        assert result.type == entry["type"]
        assert result.points == entry["meta"]["points"]
        assert result.feedback == entry["meta"]["feedback"]
        assert result.public == (entry["meta"]["visibility"] == "public")
        assert result.part == entry["meta"]["part"]
    # Two expectations of the same type: each got its own GX result, not its neighbour's.
    results = by_id(validation)
    status = results["870d6960-5664-5950-b2f6-bb64b0e441e8"]
    customers = results["5cee8d90-0672-5a45-9f3f-4666aa010e9c"]
    assert status.kwargs["column"] == "status"
    assert set(status.unexpected_sample) <= set(raw["status"].astype(str))
    assert customers.kwargs["column"] == "customer_id"
    assert set(customers.unexpected_sample) <= set(raw["customer_id"].astype(str))
    assert not set(customers.unexpected_sample) & set(
        orders["truth"]["suite_parameters"]["customer_ids"]
    )


def test_parameters_fill_the_hidden_row_count_and_stay_hidden_in_results(orders, tmp_path):
    params = orders["truth"]["suite_parameters"]
    one_lost = orders["perfect"].iloc[1:]
    row_count_id = "6cb016c2-549c-537c-8e89-3a606b2dae42"

    result = by_id(run(orders, tmp_path, one_lost))[row_count_id]
    assert not result.success
    assert result.observed == params["clean_order_rows"] - 1
    # The result keeps the suite's kwargs: the hidden value never reaches a report.
    assert result.kwargs == {"value": {"$PARAMETER": "clean_order_rows"}}
    assert not result.public

    fitted = {**params, "clean_order_rows": params["clean_order_rows"] - 1}
    assert by_id(run(orders, tmp_path, one_lost, fitted))[row_count_id].success


def test_a_missing_parameter_is_a_kit_error(orders, tmp_path):
    params = dict(orders["truth"]["suite_parameters"])
    del params["clean_order_rows"]
    with pytest.raises(InvalidArgument, match="clean_order_rows"):
        run(orders, tmp_path, orders["perfect"], params)


def test_a_missing_column_fails_its_expectations_with_an_error(orders, tmp_path):
    validation = run(orders, tmp_path, orders["perfect"].drop(columns=["customer_id"]))
    results = by_id(validation)
    orphan_check = results["5cee8d90-0672-5a45-9f3f-4666aa010e9c"]
    assert not orphan_check.success
    assert orphan_check.error == "column 'customer_id' is missing"
    assert not results["b70b59af-ed3c-570c-bdba-6c597e8ec5a1"].success  # column set
    assert results["1dc0be2c-272d-50eb-8b10-8066d23994bd"].success  # others unaffected
    assert results["6cb016c2-549c-537c-8e89-3a606b2dae42"].success


def test_odd_values_fail_checks_with_messages_and_never_crash(orders, tmp_path):
    odd = orders["perfect"].astype("str").copy()
    odd.loc[odd.index[:5], "quantity"] = ["two", "", "=1+2", "1e999", "NaN"]
    odd.loc[odd.index[:3], "order_id"] = ["x", "", "007"]
    odd.loc[odd.index[:2], "ordered_at"] = ["yesterday", "2024-13-45"]
    odd.loc[odd.index[:2], "status"] = ["", "\u202edelivered"]
    validation = run(orders, tmp_path, odd)
    results = by_id(validation)
    quantity = results["805e714d-6ae6-5628-968f-83f0a4a0e6f0"]
    assert not quantity.success  # the empty cell is missing
    assert quantity.unexpected_count == 1
    status = results["870d6960-5664-5950-b2f6-bb64b0e441e8"]
    assert not status.success
    assert status.unexpected_sample == ("\u202edelivered",)
    json.dumps([r.observed for r in validation.results])  # plain data only
    json.dumps([list(r.unexpected_sample) for r in validation.results])


def test_a_missing_or_unreadable_table_skips_the_suite(orders):
    exercise = orders["exercise"]
    for status, reason in [("missing", "not written"), ("unreadable", "row 3 has 2 fields")]:
        extracted = Extracted(
            outputs={"orders_clean": OutputFile(name="orders_clean", status=status, reason=reason)}
        )
        validation = validate(exercise, extracted, parameters=orders["truth"]["suite_parameters"])
        assert validation.results == ()
        assert validation.skipped_reason == reason


# --- typing rule ------------------------------------------------------------------------------


def test_typing_rule():
    text = pd.DataFrame(
        {
            "int": ["1", "2", "-3"],
            "int_gap": ["1", "", "3"],
            "float": ["1.5", "2", "1e3"],
            "zero_padded": ["007", "12", ""],
            "zero_point": ["0", "0.5", "10"],
            "word": ["1", "two", "3"],
            "arabic_digits": ["\u0661\u0662", "3", "4"],
            "date": ["2024-01-02", "2024-01-03 10:00:00", ""],
            "mixed_tz": ["2024-01-02T10:00:00Z", "2024-01-02T10:00:00+02:00", "2024-01-02"],
            "kept": ["1", "2", "3"],
            "empty": ["", "", ""],
        },
        dtype="str",
    )
    typed = typed_for_checks(text, {"kept"})
    assert typed["int"].dtype == np.int64
    assert typed["int_gap"].dtype == np.float64
    assert typed["int_gap"].isna().tolist() == [False, True, False]
    assert typed["float"].tolist() == [1.5, 2.0, 1000.0]
    assert typed["zero_point"].dtype == np.float64
    for name in ("zero_padded", "word", "arabic_digits", "mixed_tz", "kept", "empty"):
        assert str(typed[name].dtype) == "str", name
    assert typed["zero_padded"].isna().tolist() == [False, False, True]
    assert pd.api.types.is_datetime64_any_dtype(typed["date"])
    assert typed["date"].isna().tolist() == [False, False, True]
    assert typed["empty"].isna().all()


def test_columns_compared_with_text_stay_text(orders):
    keep = text_columns(orders["suite"], {"customer_ids": ["1", "2"], "clean_order_rows": 3})
    assert keep == {"status", "customer_id"}
    # Digit-only customer ids stay text, so an in-set check against text ids still works.
    typed = typed_for_checks(pd.DataFrame({"customer_id": ["1", "2"]}, dtype="str"), keep)
    assert typed["customer_id"].tolist() == ["1", "2"]


# --- suite loading ----------------------------------------------------------------------------


def copy_exercise(tmp_path: Path, suite: dict) -> Path:
    source = load_exercise("orders-cleanup").folder
    root = tmp_path / "kit"
    shutil.copytree(source, root / "exercises" / "orders-cleanup")
    (root / "exercises" / "orders-cleanup" / "suite.json").write_text(json.dumps(suite))
    return root


def test_a_suite_entry_gx_cannot_build_is_an_error_not_a_silent_skip(orders, tmp_path):
    suite = json.loads(json.dumps(orders["suite"]))
    suite["expectations"][3]["type"] = "expect_column_values_to_be_delightful"
    exercise = load_exercise("orders-cleanup", root=copy_exercise(tmp_path, suite))
    (tmp_path / "outputs").mkdir()
    write_csv(orders["perfect"], tmp_path / CSV_PATH)
    with pytest.raises(InvalidArgument, match="could not build"):
        validate(
            exercise, extract(exercise, tmp_path), parameters=orders["truth"]["suite_parameters"]
        )


def test_numeric_expectations_see_numbers_and_text_fails_them(orders, tmp_path):
    suite = json.loads(json.dumps(orders["suite"]))
    suite["expectations"].append(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "quantity", "min_value": 1, "max_value": 100},
            "meta": {"part": "clean_orders", "points": 1, "visibility": "public", "feedback": "q"},
        }
    )
    exercise = load_exercise("orders-cleanup", root=copy_exercise(tmp_path, suite))
    (tmp_path / "outputs").mkdir()
    params = orders["truth"]["suite_parameters"]

    write_csv(orders["perfect"], tmp_path / CSV_PATH)
    good = validate(exercise, extract(exercise, tmp_path), parameters=params)
    assert good.results[-1].success

    odd = orders["perfect"].astype("str").copy()
    odd.loc[odd.index[0], "quantity"] = "three"
    write_csv(odd, tmp_path / CSV_PATH)
    bad = validate(exercise, extract(exercise, tmp_path), parameters=params)
    between = bad.results[-1]
    assert not between.success
    assert between.error.startswith("the check could not run: column 'quantity' holds text")
    assert "'three'" in between.error


# --- timing and import isolation -------------------------------------------------------------


def test_warm_validate_time_on_2000_rows(orders, tmp_path):
    (tmp_path / "outputs").mkdir()
    write_csv(orders["raw"], tmp_path / CSV_PATH)
    extracted = extract(orders["exercise"], tmp_path)
    params = orders["truth"]["suite_parameters"]
    validate(orders["exercise"], extracted, parameters=params)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        validate(orders["exercise"], extracted, parameters=params)
        times.append(time.perf_counter() - start)
    median = sorted(times)[2]
    print(
        f"\nwarm validate, orders-cleanup suite, {len(orders['raw'])} rows: {median * 1000:.0f} ms"
    )
    assert median < 5.0  # a loose guard: ~0.15 s measured here


def test_only_validate_imports_great_expectations():
    code = textwrap.dedent(
        """
        import sys
        import datalit.grading.extract, datalit.grading.score, datalit.grading.results
        assert "great_expectations" not in sys.modules, "imported too early"
        import datalit.grading.validate
        assert "great_expectations" not in sys.modules, "validate imports GX at import time"
        datalit.grading.validate.warm_up()
        assert "great_expectations" in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
