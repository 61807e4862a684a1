"""The numeric kind: each expected entry within a tolerance earns its share; constants proof."""

import pytest

from datalit.errors import InvalidArgument
from datalit.grading.parts import get
from datalit.grading.results import UNREADABLE
from tests.parts._kit import part_from_toml, score_json

RAW = {
    "id": "rev",
    "kind": "numeric",
    "points": 4,
    "output": "answers",
    "field": "rev",
    "truth": "rev",
    "tolerance": 0.01,
}
PART = part_from_toml(RAW)


def test_each_entry_within_the_tolerance_earns_its_share():
    answers = {"rev": {"FR": 100.0, "DE": 200.0}}
    assert score_json(PART, {"rev": {"FR": 101.0, " DE": 198.0}}, answers).points == 4.0
    one = score_json(PART, {"rev": {"FR": 101.0, "DE": 150.0}}, answers)
    assert one.points == 2.0
    assert one.details["within"] == 1


def test_text_where_a_number_belongs_is_not_a_number():
    result = score_json(PART, {"rev": "100"}, {"rev": 100.0})
    assert result.points == 0.0
    assert "not a number" in result.feedback
    assert score_json(PART, {"rev": [1]}, {"rev": {"FR": 1.0}}).status == UNREADABLE


def test_negative_tolerances_are_refused():
    with pytest.raises(InvalidArgument, match="tolerances must be >= 0"):
        part_from_toml({**RAW, "abs_tolerance": -1})


def test_the_constant_attempt_is_the_median_of_the_other_variants():
    kind = get("numeric")
    assert kind.constant_proof
    others = [{"answers": {"rev": v}} for v in (1.0, 5.0, 3.0)]
    assert kind.constant_answer(PART, others) == ("rev", 3.0)
