"""Span-level scoring (pii redaction) and absolute tolerances on numeric parts."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from datalit.exercise import Output, Part, load_exercise
from datalit.grading.parts.numeric import NumericSettings
from datalit.grading.parts.spans import SpansSettings
from datalit.grading.results import Extracted, OutputFile, Validation
from datalit.grading.score import score

BASE = load_exercise("orders-cleanup")
SPANS = Part(
    id="pii_spans",
    kind="spans",
    title="Personal data found",
    points=6.0,
    output="spans",
    settings=SpansSettings(field="turn_id", truth="pii_spans", beta=2.0),
)
RATE = Part(
    id="kappa",
    kind="numeric",
    title="Cohen's kappa",
    points=2.0,
    output="answers",
    settings=NumericSettings(field="kappa", truth="kappa", abs_tolerance=0.02),
)
EXERCISE = dataclasses.replace(
    BASE,
    outputs=(
        Output(name="spans", path="outputs/spans.csv", kind="table"),
        Output(name="answers", path="outputs/answers.json", kind="json"),
    ),
    parts=(SPANS, RATE),
)
TRUTH = [
    {"id": "t1", "start": 10, "end": 30},
    {"id": "t1", "start": 40, "end": 52},
    {"id": "t2", "start": 0, "end": 16},
    {"id": "t3", "start": 5, "end": 25},
]
NO_SUITE = Validation(results=(), skipped_reason="no suite here")


def spans_score(rows, answers=None):
    table = pd.DataFrame(rows, columns=["turn_id", "start", "end"]).astype(str)
    files = {
        "spans": OutputFile("spans", "ok", table=table),
        "answers": OutputFile("answers", "ok", data=answers or {}),
    }
    result = score(
        EXERCISE, Extracted(outputs=files), NO_SUITE, answers={"pii_spans": TRUTH, "kappa": 0.1}
    )
    return {p.id: p for p in result.parts}


def test_exact_spans_earn_every_point():
    p = spans_score([(t["id"], t["start"], t["end"]) for t in TRUTH])["pii_spans"]
    assert (p.points, p.status) == (6.0, "scored")
    assert "none was missed" in p.feedback


def test_a_span_covering_half_counts_and_a_sliver_does_not():
    rows = [("t1", 9, 31), ("t1", 46, 60), ("t2", 0, 16), ("t3", 5, 12)]
    p = spans_score(rows)["pii_spans"]
    # t1 spans: both found (the second 6 of 12 chars covered); t3: 7 of 20 chars -> missed.
    # Flagged ("t1",46,60): 6 of 14 chars on a true span -> not right; ("t3",5,12) is right.
    assert p.details["recall"] == 0.75
    assert p.details["precision"] == 0.75
    assert p.points == pytest.approx(6 * 0.75, abs=0.01)


def test_recall_weighs_more_than_precision():
    over = [(t["id"], t["start"], t["end"]) for t in TRUTH] + [("t9", 0, 5)] * 1 + [("t8", 1, 4)]
    under = [(t["id"], t["start"], t["end"]) for t in TRUTH[:2]]
    over_p, under_p = spans_score(over)["pii_spans"], spans_score(under)["pii_spans"]
    # Over-redacting (precision 4/6) costs less than missing half (recall 1/2).
    assert over_p.points > under_p.points > 0


def test_spans_of_another_id_do_not_count_and_feedback_hides_the_truth():
    p = spans_score([("t2", 10, 30), ("t1", 0, 16)])["pii_spans"]
    assert p.points == 0.0
    assert "4" not in p.feedback
    assert "t3" not in p.feedback


@pytest.mark.parametrize("bad", [("t1", "x", 5), ("t1", 9, 3), ("t1", -1, 3), ("t1", 2.5, 4)])
def test_bad_offsets_are_unreadable_with_the_line(bad):
    p = spans_score([("t2", 0, 16), bad])["pii_spans"]
    assert (p.points, p.status) == (0.0, "unreadable")
    assert "line 3" in p.feedback


def test_missing_columns_are_named():
    files = {
        "spans": OutputFile("spans", "ok", table=pd.DataFrame({"turn_id": ["t1"]})),
        "answers": OutputFile("answers", "ok", data={}),
    }
    result = score(EXERCISE, Extracted(outputs=files), NO_SUITE, answers={"pii_spans": TRUTH})
    p = result.parts[0]
    assert p.status == "unreadable"
    assert "'start'" in p.feedback


@pytest.mark.parametrize(
    ("given", "ok"), [(0.1, True), (0.12, True), (0.079, False), (0.13, False)]
)
def test_absolute_tolerance(given, ok):
    p = spans_score([], answers={"kappa": given})["kappa"]
    assert (p.points == 2.0) is ok
    assert "0.02" in p.feedback


def test_reviewer_samples_list_only_wrong_and_missed_spans():
    right = [(t["id"], t["start"], t["end"]) for t in TRUTH[:3]]
    # 24 spans that are right without being exact, sorting before the two wrong ones.
    nearly = [("t1", 10 + k, 30) for k in range(1, 9)] + [("t2", 0, 16 + k) for k in range(1, 17)]
    wrong = [("z0", 0, 5), ("z9", 1, 4)]
    p = spans_score(right + nearly + wrong)["pii_spans"]
    assert p.details["false_positive_sample"] == [["z0", 0, 5], ["z9", 1, 4]]
    assert p.details["missed_sample"] == [["t3", 5, 25]]
