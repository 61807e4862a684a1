import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.stray_whitespace import NBSP, pad
from tests.anomalies._helpers import call, plant


def normal(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def test_changed_values_differ_only_in_whitespace():
    clean, raw, key = plant("stray_whitespace", table="customers", column="name", fraction=0.5)
    assert len(key) == round(0.5 * len(clean["customers"]))
    assert K.verify(clean, raw, key) == []
    for before, after in zip(key["before"], key["after"], strict=True):
        assert after != before
        assert normal(after) == normal(before)
        # Only whitespace was added or swapped in: the non-space characters are untouched.
        assert [c for c in after if c not in f" \t{NBSP}"] == [c for c in before if c != " "]


def test_every_kind_of_stray_whitespace_occurs():
    _, _, key = plant("stray_whitespace", table="customers", column="name", fraction=1.0)
    afters = list(key["after"])
    assert any(a.startswith(" ") and not a.endswith(" ") for a in afters)
    assert any(a.endswith(" ") and not a.startswith(" ") for a in afters)
    assert any(a.startswith(" ") and a.endswith(" ") for a in afters)
    assert any("  " in a.strip() for a in afters)
    assert any("\t" in a for a in afters)
    assert any(NBSP in a for a in afters)


def test_pad_always_changes_the_text():
    for text in ["", "x", "New York", " a  b "]:
        for how in range(6):
            for u in (0.0, 0.5, 0.99):
                assert pad(text, how, u) != text


def test_only_present_text_is_eligible():
    col = pd.Series([None, "a", None], dtype="str")
    planted = REGISTRY["stray_whitespace"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert list(planted.key["row"]) == [1]
    assert planted.tables["t"]["c"].isna().tolist() == [True, False, True]


def test_numbers_are_not_text():
    with pytest.raises(InvalidArgument, match="'unit_price'"):
        call("stray_whitespace", table="orders", column="unit_price", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "name", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("stray_whitespace", **args)
