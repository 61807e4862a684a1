"""The spans kind: span-level F-beta with half-overlap matching, per id."""

import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import Output
from datalit.grading.parts import ScoreInputs, get
from datalit.grading.results import OutputFile, Validation
from tests.parts._kit import exercise_with, part_from_toml

RAW = {"id": "pii", "kind": "spans", "points": 6, "output": "spans", "field": "turn_id",
       "truth": "pii"}  # fmt: skip
PART = part_from_toml(RAW)
TRUTH = {"pii": [{"id": "t1", "start": 0, "end": 10}, {"id": "t2", "start": 5, "end": 9}]}


def score(rows):
    table = pd.DataFrame(rows, columns=["turn_id", "start", "end"]).astype(str)
    exercise = exercise_with(PART, Output("spans", "outputs/spans.csv", "table"))
    inputs = ScoreInputs(exercise, OutputFile("spans", "ok", table=table), Validation(()), TRUTH)
    return get("spans").score(PART, inputs)


def test_half_overlap_finds_a_span_and_recall_counts_more():
    assert score([["t1", 0, 6], ["t2", 5, 9]]).points == 6.0  # 6 of 10 characters: found
    missed = score([["t1", 0, 10]])  # precision 1, recall 1/2: F2 = 5/9
    assert missed.points == pytest.approx(round(6 * 5 / 9, 2))
    assert missed.details["missed_sample"] == [["t2", 5, 9]]


def test_a_span_that_is_not_whole_numbers_is_unreadable():
    result = score([["t1", "a", 3]])
    assert result.points == 0.0
    assert "start and end must be whole numbers" in result.feedback


def test_beta_must_be_positive():
    with pytest.raises(InvalidArgument, match="beta must be > 0"):
        part_from_toml({**RAW, "beta": 0})
