"""Less work must not score more: a cleaned table with its header and no rows passes every check
of a row's values vacuously; those checks earn it nothing (real extract, GX and score)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from datalit.exercise import load_exercise
from datalit.grading.extract import extract
from datalit.grading.rows import ExpectedTable
from datalit.grading.score import score
from datalit.grading.validate import validate

# The suite part alone: these tests are about what GX checks earn (the rows part, which needs
# the variant's true table, is tested in tests/grading/test_rows.py).
EXERCISE = dataclasses.replace(
    load_exercise("orders-cleanup"),
    parts=tuple(p for p in load_exercise("orders-cleanup").parts if p.kind != "rows"),
)
COLUMNS = (
    "order_id,customer_id,product_id,quantity,unit_price,currency,ordered_at,delivered_at,status"
)
PARAMETERS = {"clean_order_rows": 2, "customer_ids": ["C000001"]}
ANSWERS = {
    "orphan_order_ids": [],
    "duplicate_order_ids": [],
    "duplicate_customer_ids": [],
    "revenue_eur_by_country": {"FR": 1.0},
}


def _clean_orders_part(tmp_path: Path, csv_text: str):
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "orders_clean.csv").write_text(csv_text, encoding="utf-8")
    extracted = extract(EXERCISE, tmp_path)
    validation = validate(EXERCISE, extracted, parameters=PARAMETERS)
    scored = score(EXERCISE, extracted, validation, answers=ANSWERS)
    return next(p for p in scored.parts if p.id == "clean_orders"), validation


def test_a_header_without_rows_earns_only_the_column_check(tmp_path):
    part, validation = _clean_orders_part(tmp_path, COLUMNS + "\n")
    passed = {r.type for r in validation.results if r.success}
    assert "expect_column_values_to_be_unique" in passed, "GX passes it vacuously"
    columns_check = next(
        r.points for r in validation.results if r.type == "expect_table_columns_to_match_set"
    )
    assert part.points == columns_check
    assert "The table has no rows" in part.feedback
    assert part.details["vacuous"]


def test_a_table_with_rows_keeps_its_points(tmp_path):
    row = "100001,C000001,P001,1,9.5,EUR,2024-01-01 10:00:00,,delivered\n"
    other = "100002,C000001,P001,2,9.5,EUR,2024-01-02 10:00:00,,shipped\n"
    part, _ = _clean_orders_part(tmp_path, COLUMNS + "\n" + row + other)
    assert part.points == part.max_points
    assert not part.details["vacuous"]


def test_a_few_hand_picked_clean_rows_earn_only_the_table_checks(tmp_path):
    """One valid row out of the hundreds the table should hold passes every check of a row's
    values; a candidate who cuts the table down to it must not earn those checks' points."""
    row = "100001,C000001,P001,1,9.5,EUR,2024-01-01 10:00:00,,delivered\n"
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "orders_clean.csv").write_text(COLUMNS + "\n" + row)
    extracted = extract(EXERCISE, tmp_path)
    validation = validate(EXERCISE, extracted, parameters={**PARAMETERS, "clean_order_rows": 1800})
    # "So few rows" is measured against the raw orders table the candidate was given (its row
    # count comes with the true table), never against the hidden clean row count.
    raw = {"orders_clean": ExpectedTable(pd.DataFrame(), raw_rows=2000)}
    part = next(
        p
        for p in score(EXERCISE, extracted, validation, answers=ANSWERS, expected=raw).parts
        if p.id == "clean_orders"
    )
    assert validation.expected_rows == 1800
    row_checks = {
        r.id for r in validation.results if r.success and r.type.startswith("expect_column_values_")
    }
    assert row_checks
    assert row_checks <= set(part.details["vacuous"])
    table_checks = sum(
        r.points for r in validation.results if r.success and r.type.startswith("expect_table_")
    )
    assert part.points == table_checks
    assert "less than half the rows of the raw orders table" in part.feedback
    assert "1800" not in part.feedback
