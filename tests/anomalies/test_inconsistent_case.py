import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant

VARIANTS = {"upper": str.upper, "lower": str.lower, "title": str.title, "swapped": str.swapcase}


def variant_of(before: str, after: str) -> set[str]:
    return {name for name, f in VARIANTS.items() if f(before) == after}


def test_each_changed_value_is_a_case_variant_of_the_original():
    clean, raw, key = plant("inconsistent_case", table="customers", column="city", fraction=0.5)
    assert len(key) == round(0.5 * len(clean["customers"]))
    assert K.verify(clean, raw, key) == []
    for before, after in zip(key["before"], key["after"], strict=True):
        assert after != before
        assert after.lower() == before.lower()
        assert variant_of(before, after), (before, after)


def test_all_four_variants_occur():
    col = pd.Series(["eBay store"] * 100, dtype="str")
    planted = REGISTRY["inconsistent_case"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert len(planted.key) == 100
    assert set(planted.key["after"]) == {"EBAY STORE", "ebay store", "Ebay Store", "EbAY STORE"}


def test_lower_case_text_gets_only_the_variants_that_change_it():
    _, _, key = plant("inconsistent_case", table="orders", column="status", fraction=1.0)
    assert len(key) == 400
    assert not (key["after"] == key["after"].str.lower()).any()


def test_text_without_cased_letters_is_not_eligible():
    col = pd.Series(["02108", "M5A", None, "12-34", "paris", "ÉCOLE"], dtype="str")
    planted = REGISTRY["inconsistent_case"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert sorted(planted.key["row"]) == [1, 4, 5]
    assert planted.key["after"].str.lower().tolist() == ["m5a", "paris", "école"]


def test_numbers_have_no_case():
    with pytest.raises(InvalidArgument, match="'quantity'"):
        call("inconsistent_case", table="orders", column="quantity", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "city", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("inconsistent_case", **args)
