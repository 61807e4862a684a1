"""The score stage: suite points, F1 on flagged ids, numeric tolerances, manual parts; maxima from
the exercise; candidate feedback that never reveals a true id, count or value."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.generators.engine import generate
from datalit.generators.output import write_csv
from datalit.grading.extract import extract
from datalit.grading.results import (
    ExpectationResult,
    Extracted,
    OutputFile,
    Validation,
)
from datalit.grading.rows import ExpectedTable, read_expected, write_expected
from datalit.grading.score import score
from datalit.grading.validate import validate

EXERCISE = load_exercise("orders-cleanup")
TRUE_ORPHANS = [100011, 100042, 100077, 100123]
TRUE_DUP_ORDERS = [100005, 100006]
TRUE_DUP_CUSTOMERS = ["C000010", "C000020"]
TRUE_REVENUE = {"DE": 1000.0, "FR": 200.0, "GB": 3000.0, "NL": 0.0}
ANSWERS = {
    "orphan_order_ids": TRUE_ORPHANS,
    "duplicate_order_ids": TRUE_DUP_ORDERS,
    "duplicate_customer_ids": TRUE_DUP_CUSTOMERS,
    "revenue_eur_by_country": TRUE_REVENUE,
}
NO_SUITE = Validation(results=(), skipped_reason="outputs/orders_clean.csv was not written")
NO_TABLE = {"orders_clean": ExpectedTable(pd.DataFrame({"order_id": ["1"], "status": ["shipped"]}))}


def outputs(flags=None, answers=None, statuses=None) -> Extracted:
    """Extracted outputs: JSON data given here is `ok`; `statuses` maps a name to
    (status, reason) and overrides."""
    files = {
        "orders_clean": OutputFile(
            "orders_clean", "missing", "outputs/orders_clean.csv was not written"
        ),
        "flags": OutputFile("flags", "ok", data=flags)
        if flags is not None
        else OutputFile("flags", "missing", "outputs/flags.json was not written (not attempted)"),
        "answers": OutputFile("answers", "ok", data=answers)
        if answers is not None
        else OutputFile("answers", "missing", "outputs/answers.json was not written"),
    }
    for name, (status, reason) in (statuses or {}).items():
        files[name] = OutputFile(name, status, reason)
    return Extracted(outputs=files)


def part(result, part_id):
    return next(p for p in result.parts if p.id == part_id)


def score_flags(flags: dict, answers: dict = ANSWERS):
    return score(EXERCISE, outputs(flags=flags), NO_SUITE, answers=answers)


# --- ids: F1 ----------------------------------------------------------------------------------


def test_perfect_ids_earn_every_point():
    p = part(score_flags({"orphan_order_ids": TRUE_ORPHANS}), "orphan_orders")
    assert (p.points, p.max_points, p.status) == (2.0, 2.0, "scored")
    assert p.details["f1"] == 1.0
    assert "none were missed" in p.feedback


def test_ids_match_as_stripped_text_whatever_their_json_type():
    given = ["100011", " 100042 ", 100077.0, 100123, 100123, "100123"]
    p = part(score_flags({"orphan_order_ids": given}), "orphan_orders")
    assert p.points == 2.0
    assert "repeated or empty entries ignored" in p.feedback


def test_half_the_ids_found_scores_the_f1():
    p = part(score_flags({"orphan_order_ids": TRUE_ORPHANS[:2]}), "orphan_orders")
    # precision 1, recall 0.5 -> F1 2/3 of 2 points
    assert p.points == 1.33
    assert p.details["precision"] == 1.0
    assert p.details["recall"] == 0.5
    assert (p.details["true_positives"], p.details["false_negatives"]) == (2, 2)
    assert "some problems were missed" in p.feedback.lower()
    assert "not problems" not in p.feedback


def test_wrong_ids_lower_precision_and_say_so_without_the_truth():
    flagged = [*TRUE_ORPHANS, 999001, 999002, 999003, 999004]
    p = part(score_flags({"orphan_order_ids": flagged}), "orphan_orders")
    assert p.points == round(2 * (2 * 0.5 * 1 / 1.5), 2)  # precision .5, recall 1
    assert p.details["false_positives"] == 4
    assert p.feedback == "You flagged 8 ids. Some flagged ids are not problems."


def test_feedback_never_reveals_true_ids_or_their_count():
    p = part(score_flags({"orphan_order_ids": [100011, 555]}), "orphan_orders")
    assert "You flagged 2 ids" in p.feedback
    for true_id in TRUE_ORPHANS:
        assert str(true_id) not in p.feedback
    assert str(len(TRUE_ORPHANS)) not in p.feedback
    assert p.details["true_count"] == len(TRUE_ORPHANS)  # the reviewer sees it


def test_an_empty_list_scores_zero():
    p = part(score_flags({"orphan_order_ids": []}), "orphan_orders")
    assert (p.points, p.status) == (0.0, "scored")
    assert p.feedback == "You flagged no ids. Some problems were missed."


def test_an_empty_list_is_right_when_there_is_nothing_to_find():
    answers = {**ANSWERS, "orphan_order_ids": []}
    assert part(score_flags({"orphan_order_ids": []}, answers), "orphan_orders").points == 2.0
    assert part(score_flags({"orphan_order_ids": [1]}, answers), "orphan_orders").points == 0.0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("100011,100042", "'orphan_order_ids' holds text; write a list of ids"),
        ({"100011": True}, "'orphan_order_ids' holds an object; write a list of ids"),
        ([100011, [100042]], "entry 2 of 'orphan_order_ids' is a list"),
        ([100011, None], "entry 2 of 'orphan_order_ids' is null"),
        ([True], "entry 1 of 'orphan_order_ids' is true/false"),
    ],
)
def test_ids_of_the_wrong_type_score_zero_with_a_reason(value, reason):
    p = part(score_flags({"orphan_order_ids": value}), "orphan_orders")
    assert (p.points, p.status) == (0.0, "unreadable")
    assert p.feedback.startswith("flags.json: ")
    assert reason in p.feedback


def test_a_missing_key_or_a_non_object_file():
    p = part(score_flags({"duplicate_order_ids": TRUE_DUP_ORDERS}), "orphan_orders")
    assert (p.points, p.status) == (0.0, "not_attempted")
    assert p.feedback == "flags.json has no key 'orphan_order_ids'"
    assert (
        part(score_flags({"duplicate_order_ids": TRUE_DUP_ORDERS}), "duplicate_orders").points
        == 2.0
    )

    as_list = part(
        score(EXERCISE, outputs(flags=[1, 2]), NO_SUITE, answers=ANSWERS), "orphan_orders"
    )
    assert (as_list.points, as_list.status) == (0.0, "unreadable")
    assert "flags.json holds a list, not a JSON object" in as_list.feedback


# --- numeric ----------------------------------------------------------------------------------


def score_revenue(value):
    result = score(
        EXERCISE,
        outputs(answers={"revenue_eur_by_country": value}),
        NO_SUITE,
        answers=ANSWERS,
    )
    return part(result, "revenue_by_country")


def test_exact_revenue_earns_every_point():
    p = score_revenue(dict(TRUE_REVENUE))
    assert (p.points, p.max_points) == (4.0, 4.0)
    assert p.feedback == "4 of 4 values are within 0.1% of the true values."


def test_tolerance_edges():
    tol = EXERCISE.part("revenue_by_country").settings.tolerance
    at_edge = {"DE": 1000.0 * (1 + tol), "FR": 200.0 * (1 - tol), "GB": 3000.0, "NL": 0.0}
    assert score_revenue(at_edge).points == 4.0
    just_out = {"DE": 1000.0 * (1 + tol) + 0.01, "FR": 200.0, "GB": 3000.0, "NL": 0.0}
    p = score_revenue(just_out)
    assert p.points == 3.0
    assert p.feedback.startswith("3 of 4 values")
    # A true zero needs (almost) exactly zero: a relative tolerance of zero is zero.
    assert score_revenue({**TRUE_REVENUE, "NL": 0.01}).points == 3.0


def test_missing_entries_earn_nothing_and_extra_keys_are_ignored():
    p = score_revenue({"DE": 1000.0, " FR ": 200, "XX": 5.0, "total": 4200.0})
    assert p.points == 2.0
    assert p.details["missing"] == 2
    assert "2 expected entries are missing" in p.feedback


def test_non_numbers_are_explained():
    p = score_revenue({"DE": "1,000.00", "FR": None, "GB": True, "NL": 0})
    assert p.points == 1.0
    assert "Not a number" in p.feedback
    assert "'DE'" in p.feedback
    assert "'GB'" in p.feedback


def test_numeric_feedback_never_reveals_true_values():
    p = score_revenue({"DE": 1.0, "FR": 2.0})
    for value in TRUE_REVENUE.values():
        if value:
            assert f"{value:g}" not in p.feedback
            assert str(value) not in p.feedback
    assert p.details["compared"][0]["expected"] == 1000.0  # the reviewer sees it


def test_a_single_number_answer():
    exercise_answers = {**ANSWERS, "revenue_eur_by_country": 1234.5}
    for given, points in [(1234.5, 4.0), (1235.5, 4.0), (1237.0, 0.0)]:
        result = score(
            EXERCISE,
            outputs(answers={"revenue_eur_by_country": given}),
            NO_SUITE,
            answers=exercise_answers,
        )
        assert part(result, "revenue_by_country").points == points
    text = score(
        EXERCISE,
        outputs(answers={"revenue_eur_by_country": "1234.5"}),
        NO_SUITE,
        answers=exercise_answers,
    )
    assert "not a number" in part(text, "revenue_by_country").feedback


def test_a_dict_answer_given_as_a_number_is_unreadable():
    p = score_revenue(4200.0)
    assert (p.points, p.status) == (0.0, "unreadable")
    assert "holds a number; write an object" in p.feedback


def test_a_key_missing_from_the_answer_key_is_a_kit_error():
    with pytest.raises(InvalidArgument, match="revenue_eur_by_country"):
        score(
            EXERCISE,
            outputs(answers={"revenue_eur_by_country": {}}),
            NO_SUITE,
            answers={k: v for k, v in ANSWERS.items() if k != "revenue_eur_by_country"},
        )


# --- statuses, suite parts, manual parts, maxima ----------------------------------------------


def test_missing_and_unreadable_outputs():
    result = score(
        EXERCISE,
        outputs(statuses={"flags": ("unreadable", "outputs/flags.json contains NaN")}),
        NO_SUITE,
        answers=ANSWERS,
    )
    clean = part(result, "clean_orders")
    assert (clean.points, clean.status) == (0.0, "not_attempted")
    orphans = part(result, "orphan_orders")
    assert (orphans.points, orphans.status) == (0.0, "unreadable")
    assert orphans.feedback == "outputs/flags.json contains NaN"
    revenue = part(result, "revenue_by_country")
    assert revenue.status == "not_attempted"


def test_manual_part_needs_a_reviewer_and_maxima_come_from_the_exercise():
    result = score(EXERCISE, outputs(), NO_SUITE, answers=ANSWERS)
    finding = part(result, "finding")
    assert (finding.points, finding.status) == (0.0, "needs_manual")
    assert finding.max_points == EXERCISE.part("finding").points == 4.0
    assert [p.id for p in result.parts] == [p.id for p in EXERCISE.parts]
    assert [p.max_points for p in result.parts] == [p.points for p in EXERCISE.parts]
    assert result.max_points == EXERCISE.max_points
    assert result.max_auto_points == EXERCISE.max_auto_points
    assert result.auto_points == 0.0


def expectation(id_, points, success, public=True, error=""):
    return ExpectationResult(
        id=id_,
        part="clean_orders",
        type="expect_x",
        kwargs={},
        points=points,
        public=public,
        feedback=f"feedback {id_}",
        success=success,
        error=error,
    )


def test_suite_part_sums_passed_points_and_shows_only_public_feedback():
    validation = Validation(
        results=(
            expectation("a", 0.25, True),
            expectation("b", 0.5, False, error="column 'status' is missing"),
            expectation("c", 1, True, public=False),
            expectation("d", 1, False, public=False),
        )
    )
    extracted = outputs(statuses={"orders_clean": ("ok", "")})
    p = part(
        score(EXERCISE, extracted, validation, answers=ANSWERS, expected=NO_TABLE), "clean_orders"
    )
    assert (p.points, p.max_points, p.status) == (
        1.25,
        EXERCISE.part("clean_orders").points,
        "scored",
    )
    assert "1 of 2 public checks passed." in p.feedback
    assert "feedback b (column 'status' is missing)" in p.feedback
    assert "feedback d" not in p.feedback  # hidden checks' text stays hidden
    assert {f["id"] for f in p.details["failed"]} == {"b", "d"}


def test_an_unreadable_table_scores_zero_with_the_reason():
    extracted = outputs(statuses={"orders_clean": ("unreadable", "row 3 has 2 fields, expected 9")})
    skipped = Validation(results=(), skipped_reason="row 3 has 2 fields, expected 9")
    p = part(score(EXERCISE, extracted, skipped, answers=ANSWERS), "clean_orders")
    assert (p.points, p.status, p.feedback) == (0.0, "unreadable", "row 3 has 2 fields, expected 9")


# --- end to end on real files -----------------------------------------------------------------


def test_a_perfect_submission_earns_every_automatic_point(tmp_path: Path):
    g = generate(
        EXERCISE.generate.recipe,
        seed=5,
        rows=EXERCISE.generate.rows,
        plants=EXERCISE.generate.plants,
    )
    spec = importlib.util.spec_from_file_location("oc_truth", EXERCISE.solution_folder / "truth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def plain(tables):  # see test_validate.plain_categories
        return {
            n: df.apply(lambda c: c.astype(c.cat.categories.dtype) if c.dtype == "category" else c)
            for n, df in tables.items()
        }

    truth = module.truth(plain(g.clean), plain(g.raw), g.key)
    answers = truth["answers"]
    out = tmp_path / "outputs"
    out.mkdir()
    clean = g.clean["orders"]
    write_csv(clean[~clean["order_id"].isin(answers["orphan_order_ids"])], out / "orders_clean.csv")
    flags = {
        k: answers[k] for k in ("duplicate_order_ids", "orphan_order_ids", "duplicate_customer_ids")
    }
    (out / "flags.json").write_text(json.dumps(flags))
    (out / "answers.json").write_text(
        json.dumps({"revenue_eur_by_country": answers["revenue_eur_by_country"]})
    )

    extracted = extract(EXERCISE, tmp_path)
    validation = validate(EXERCISE, extracted, parameters=truth["suite_parameters"])
    write_expected(tmp_path / "expected", EXERCISE, truth["tables"], plain(g.raw))
    expected = read_expected(tmp_path / "expected", EXERCISE)
    result = score(EXERCISE, extracted, validation, answers=answers, expected=expected)

    assert result.auto_points == pytest.approx(EXERCISE.max_auto_points)
    assert {p.status for p in result.parts if p.kind != "manual"} == {"scored"}
    # Typed as text by pandas and written back: the same ids, as strings, still match.
    flags_as_text = {k: [str(v) for v in vals] for k, vals in flags.items()}
    (out / "flags.json").write_text(json.dumps(flags_as_text))
    again = score(
        EXERCISE, extract(EXERCISE, tmp_path), validation, answers=answers, expected=expected
    )
    assert again.auto_points == pytest.approx(EXERCISE.max_auto_points)
