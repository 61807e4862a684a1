"""The score stage never raises on anything the extract stage can hand it, and always returns a
well-formed score: every part of the exercise present in order, its maximum from the exercise,
0 <= points <= maximum, finite, with JSON-safe details.

Every exercise is scored against a real answer key (one generated variant). The JSON outputs
hold arbitrary JSON values (null, true/false, integers with hundreds of digits, floats with -0.0
and 1e308, text with any non-surrogate character, nested and empty lists and objects) at the top
level and at every field a part reads, mixed with the true ids and the true answer's keys so the
comparisons themselves run. A span table gets arbitrary text in its cells. Values are what
`json.loads` gives after the extract stage's checks: no NaN or Infinity (refused as invalid
JSON), no lone surrogates (refused), no integer beyond the 4,300 digits Python parses.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalit.exercise import Exercise, list_exercises
from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    SCORED,
    UNREADABLE,
    Extracted,
    OutputFile,
    Score,
)
from datalit.grading.score import score
from datalit.grading.validate import validate
from tests.grading._variants import answer_field, answer_truth, variant

SEED = 3
EXERCISES = list_exercises()
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- JSON values as json.loads returns them ---------------------------------------------------

huge_integers = st.integers(min_value=10**300, max_value=10**400) | st.integers(
    min_value=-(10**400), max_value=-(10**300)
)
"""Valid JSON, but beyond a float's range: float() raises OverflowError on them."""
odd_floats = st.sampled_from([-0.0, 0.0, 1e308, -1e308, 5e-324, 1.7976931348623157e308, 0.5])
number_like_text = st.sampled_from(["12", "1e400", "-0", "NaN", "Infinity", " 3.5 ", "1,000.00"])
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_integers,
    st.floats(allow_nan=False, allow_infinity=False),
    odd_floats,
    text,
    number_like_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _field_values(exercise: Exercise, answers: dict, field: str):
    """Anything at all, and shapes close to the answer: the true ids or the true answer's keys,
    holding arbitrary values (so the comparison runs on them)."""
    truths = [
        answers[answer_truth(p)]
        for p in exercise.parts
        if answer_field(p) == field and answer_truth(p) in answers
    ]
    options = [json_values, huge_integers, odd_floats, st.lists(scalars, max_size=6)]
    for truth in truths:
        if isinstance(truth, dict) and truth:
            keys = st.sampled_from(sorted(truth)) | text
            options.append(st.dictionaries(keys, json_values, max_size=len(truth) + 2))
            options.append(
                st.fixed_dictionaries(dict.fromkeys(truth, scalars)) if len(truth) <= 8 else scalars
            )
        elif isinstance(truth, list) and truth and not isinstance(truth[0], dict):
            options.append(st.lists(st.sampled_from(truth) | scalars, max_size=8))
    return st.one_of(options)


@st.composite
def json_output(draw, exercise: Exercise, answers: dict, name: str):
    fields = [answer_field(p) for p in exercise.parts if p.output == name and answer_field(p)]
    if draw(st.booleans(), label="an arbitrary top level"):
        return draw(json_values)
    data = {}
    for f in dict.fromkeys(fields):
        if draw(st.booleans(), label=f"write {f}"):
            data[f] = draw(_field_values(exercise, answers, f), label=f)
    data.update(draw(st.dictionaries(text, json_values, max_size=2), label="extra keys"))
    return data


span_cells = st.one_of(text, number_like_text, st.integers().map(str), huge_integers.map(str))


@st.composite
def span_table(draw, columns: list[str]) -> pd.DataFrame:
    rows = draw(st.integers(min_value=0, max_value=5))
    kept = [c for c in columns if draw(st.booleans()) or c == columns[0]]
    return pd.DataFrame(
        {c: pd.Series([draw(span_cells) for _ in range(rows)], dtype="str") for c in kept}
    )


# --- what a well-formed score is --------------------------------------------------------------


def assert_well_formed(exercise: Exercise, result: Score) -> None:
    assert [p.id for p in result.parts] == [p.id for p in exercise.parts]
    for part, scored in zip(exercise.parts, result.parts, strict=True):
        assert scored.max_points == part.points
        assert isinstance(scored.points, int | float)
        assert math.isfinite(scored.points)
        assert 0 <= scored.points <= scored.max_points
        assert scored.status in (SCORED, NOT_ATTEMPTED, UNREADABLE, NEEDS_MANUAL)
        assert isinstance(scored.feedback, str)
        scored.feedback.encode("utf-8")
        # The reports write details as JSON (allow_nan=False: NaN is not JSON).
        json.dumps(scored.details, allow_nan=False)
    assert math.isfinite(result.auto_points)


def _missing(exercise: Exercise) -> dict[str, OutputFile]:
    return {
        o.name: OutputFile(o.name, "missing", f"{o.path} was not written") for o in exercise.outputs
    }


def _score(exercise: Exercise, truth: dict, outputs: dict[str, OutputFile]) -> Score:
    extracted = Extracted(outputs={**_missing(exercise), **outputs})
    validation = validate(exercise, extracted, parameters=truth["suite_parameters"])
    return score(exercise, extracted, validation, answers=truth["answers"])


# --- the properties ---------------------------------------------------------------------------


def _json_names(exercise: Exercise) -> list[str]:
    return [o.name for o in exercise.outputs if o.kind == "json"]


@pytest.mark.parametrize("slug", [s for s in EXERCISES if _json_names(variant(s, SEED).exercise)])
@FUZZ
@given(data=st.data())
def test_any_json_at_any_field_scores_without_raising(slug, data):
    v = variant(slug, SEED)
    answers = v.truth["answers"]
    outputs = {
        name: OutputFile(name, "ok", data=data.draw(json_output(v.exercise, answers, name)))
        for name in _json_names(v.exercise)
    }
    assert_well_formed(v.exercise, _score(v.exercise, v.truth, outputs))


def _span_outputs(exercise: Exercise) -> dict[str, list[str]]:
    return {
        p.output: [answer_field(p), "start", "end"] for p in exercise.parts if p.kind == "spans"
    }


@pytest.mark.parametrize("slug", [s for s in EXERCISES if _span_outputs(variant(s, SEED).exercise)])
@FUZZ
@given(data=st.data())
def test_any_text_in_a_span_table_scores_without_raising(slug, data):
    v = variant(slug, SEED)
    outputs = {
        name: OutputFile(name, "ok", table=data.draw(span_table(columns)))
        for name, columns in _span_outputs(v.exercise).items()
    }
    assert_well_formed(v.exercise, _score(v.exercise, v.truth, outputs))


# --- the regression, by hand ------------------------------------------------------------------


def _numeric_part(exercise: Exercise):
    return next(p for p in exercise.parts if p.kind == "numeric")


@pytest.mark.parametrize(
    "slug",
    [s for s in EXERCISES if any(p.kind == "numeric" for p in variant(s, SEED).exercise.parts)],
)
@pytest.mark.parametrize("huge", [10**400, -(10**400), 10**309], ids=["1e400", "-1e400", "1e309"])
def test_an_integer_beyond_a_float_is_not_a_number_for_its_key(slug, huge):
    v = variant(slug, SEED)
    part = _numeric_part(v.exercise)
    truth = v.truth["answers"][answer_truth(part)]
    given = dict.fromkeys(truth, huge) if isinstance(truth, dict) else huge
    outputs = {part.output: OutputFile(part.output, "ok", data={answer_field(part): given})}
    result = _score(v.exercise, v.truth, outputs)
    assert_well_formed(v.exercise, result)
    scored = next(p for p in result.parts if p.id == part.id)
    assert (scored.status, scored.points) == (SCORED, 0.0)
    assert "not a number" in scored.feedback.lower()
    assert all(not c["ok"] for c in scored.details["compared"])
