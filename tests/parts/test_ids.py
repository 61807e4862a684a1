"""The ids kind: F1 of the flagged ids, ids compared as stripped text, its settings checked."""

import pytest

from datalit.errors import InvalidArgument
from datalit.grading.parts import get
from datalit.grading.results import NOT_ATTEMPTED, SCORED, UNREADABLE
from tests.parts._kit import part_from_toml, score_json

RAW = {"id": "dupes", "kind": "ids", "points": 4, "output": "answers", "field": "dup", "truth": "t"}
PART = part_from_toml(RAW)


def test_f1_of_the_flagged_ids():
    answers = {"t": [1, 2, 3, 4]}
    assert score_json(PART, {"dup": [1, "2", 3.0, " 4 "]}, answers).points == 4.0
    half = score_json(PART, {"dup": [1, 2]}, answers)  # precision 1, recall 0.5: F1 2/3
    assert half.status == SCORED
    assert half.points == pytest.approx(round(4 * 2 / 3, 2))
    assert half.details["missed_sample"] == ["3", "4"]


def test_a_missing_key_is_not_attempted_and_a_wrong_type_unreadable():
    assert score_json(PART, {}, {"t": [1]}).status == NOT_ATTEMPTED
    wrong = score_json(PART, {"dup": "1,2"}, {"t": [1]})
    assert wrong.status == UNREADABLE
    assert "write a list of ids" in wrong.feedback


def test_field_and_truth_are_required_and_described_for_the_readme():
    with pytest.raises(InvalidArgument, match="an ids part needs `field` and `truth`"):
        part_from_toml({**RAW, "truth": ""})
    assert get("ids").json_field(PART) == ("dup", "ids", "a list of ids")
