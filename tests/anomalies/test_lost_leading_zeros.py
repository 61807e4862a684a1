import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


def test_zip_codes_lose_exactly_their_leading_zeros():
    # 400 customers: dozens have a Boston, Newark or Hartford ZIP code (leading 0).
    clean, raw, key = plant(
        "lost_leading_zeros", rows=4000, table="customers", column="postcode", fraction=0.5
    )
    zero_led = clean["customers"]["postcode"].str.fullmatch(r"0\d+")
    assert zero_led.sum() >= 10
    assert len(key) == round(0.5 * zero_led.sum())
    assert K.verify(clean, raw, key) == []
    for before, after in zip(key["before"], key["after"], strict=True):
        assert before.startswith("0")
        assert after == before.lstrip("0")
        assert int(after) == int(before)
    assert set(key["row"]) <= set(np.flatnonzero(zero_led))


def test_only_digit_codes_with_a_nonzero_digit_are_eligible():
    col = pd.Series(
        ["02108", "00501", "000", "0", "12345", "M5A", "0A1", None, "0 12"], dtype="str"
    )
    planted = REGISTRY["lost_leading_zeros"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert list(planted.key["row"]) == [0, 1]
    assert list(planted.key["after"]) == ["2108", "501"]


def test_a_column_without_zero_led_codes_is_refused():
    with pytest.raises(InvalidArgument, match="starts with 0 in 'customer_id'"):
        call("lost_leading_zeros", table="customers", column="customer_id", fraction=0.1)
    with pytest.raises(InvalidArgument, match="'quantity'"):
        call("lost_leading_zeros", table="orders", column="quantity", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "postcode", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("lost_leading_zeros", **args)
