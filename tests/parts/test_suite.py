"""The suite kind: its points are its expectations' in suite.json; a header alone earns none."""

import json

import pandas as pd

from datalit.exercise import load_exercise
from datalit.grading.parts import ScoreInputs, get
from datalit.grading.results import ExpectationResult, OutputFile, Validation

EX = load_exercise("orders-cleanup")
PART = next(p for p in EX.parts if p.kind == "suite")


def test_the_maximum_is_the_sum_of_its_expectations():
    suite = json.loads(EX.suite_path.read_text(encoding="utf-8"))
    mine = [e for e in suite["expectations"] if e["meta"].get("part") == PART.id]
    assert PART.points == sum(e["meta"]["points"] for e in mine)
    assert get("suite").scored_by_checks


def result(type_: str, success: bool) -> ExpectationResult:
    return ExpectationResult("e-" + type_, PART.id, type_, {}, 1.0, True, "fb", success)


def test_row_checks_on_a_table_without_rows_earn_nothing():
    checks = (result("expect_column_values_to_not_be_null", True),
              result("expect_table_columns_to_match_set", True))  # fmt: skip
    empty = OutputFile(PART.output, "ok", table=pd.DataFrame({"order_id": []}, dtype=str))
    scored = get("suite").score(PART, ScoreInputs(EX, empty, Validation(checks), {}))
    assert scored.points == 1.0  # only the table-level check
    assert scored.details["vacuous"] == ["e-expect_column_values_to_not_be_null"]
