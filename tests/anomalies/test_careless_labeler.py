"""careless_labeler: only one labeler's labels change, and each change flips the label."""

from __future__ import annotations

import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant

ARGS = {"table": "runs", "column": "human_label", "depends_on": "labeler"}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_labeler_has_a_share_of_their_labels_flipped(seed):
    clean, raw, key = plant("careless_labeler", "eval_runs", seed=seed, rows=2000, **ARGS)
    runs = clean["runs"]
    careless = set(runs.loc[key["row"], "labeler"].astype(str))
    assert len(careless) == 1
    (who,) = careless
    theirs = (runs["labeler"].astype(str) == who).sum()
    assert len(key) == round(0.3 * theirs)
    assert set(zip(key["before"], key["after"], strict=True)) <= {
        ("pass", "fail"),
        ("fail", "pass"),
    }
    others = runs["labeler"].astype(str) != who
    assert (raw["runs"].loc[others, "human_label"] == runs.loc[others, "human_label"]).all()
    assert K.verify(clean, raw, key) == []


def test_the_careless_labeler_varies_with_the_seed():
    chosen = set()
    for seed in range(12):
        clean, _, key = plant("careless_labeler", "eval_runs", seed=seed, rows=600, **ARGS)
        chosen |= set(clean["runs"].loc[key["row"], "labeler"].astype(str))
    assert len(chosen) >= 3


def test_a_column_with_many_values_is_no_label_column():
    with pytest.raises(InvalidArgument, match="label column"):
        call("careless_labeler", "eval_runs", table="runs", column="output", depends_on="labeler")
