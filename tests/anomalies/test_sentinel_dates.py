import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables

AS_TEXT = {
    "1900-01-01 00:00:00",
    "1970-01-01 00:00:00",
    "9999-12-31 00:00:00",
    "2099-12-31 00:00:00",
}


def test_dates_become_sentinels_and_stay_dates():
    clean, raw, key = plant("sentinel_dates", table="orders", column="ordered_at", fraction=0.5)
    assert len(key) == 200
    assert set(key["after"]) == AS_TEXT
    assert raw["orders"]["ordered_at"].dtype == "datetime64[s]"
    assert K.verify(clean, raw, key) == []


def test_an_explicit_sentinel_is_used_everywhere():
    _, raw, key = plant(
        "sentinel_dates", table="orders", column="delivered_at", fraction=0.3, sentinel="9999-12-31"
    )
    assert set(key["after"]) == {"9999-12-31 00:00:00"}
    assert (raw["orders"].loc[key["row"], "delivered_at"] == pd.Timestamp("9999-12-31")).all()


def test_a_sentinel_that_is_no_date_makes_the_column_text():
    clean, raw, key = plant(
        "sentinel_dates",
        table="customers",
        column="signup_date",
        fraction=0.5,
        sentinel="0000-00-00",
    )
    assert set(key["after"]) == {"0000-00-00"}
    assert raw["customers"]["signup_date"].dtype == "str"
    assert K.verify(clean, raw, key) == []


def test_a_sentinel_past_the_column_types_range_is_written_as_text():
    tables = dict(small_tables("orders", 0, 400))
    orders = tables["orders"]
    tables["orders"] = orders.assign(ordered_at=orders["ordered_at"].astype("datetime64[ns]"))
    out = REGISTRY["sentinel_dates"](
        tables,
        rng=np.random.default_rng(0),
        table="orders",
        column="ordered_at",
        fraction=0.1,
        sentinel="9999-12-31",
    )
    assert out.tables["orders"]["ordered_at"].dtype == "str"
    assert set(out.key["after"]) == {"9999-12-31 00:00:00"}


def test_dates_that_already_are_sentinels_are_not_chosen_again():
    tables = small_tables("orders", 0, 400)
    rng = np.random.default_rng(0)
    args = {"table": "orders", "column": "ordered_at"}
    first = REGISTRY["sentinel_dates"](tables, rng=rng, fraction=0.5, **args)
    second = REGISTRY["sentinel_dates"]({**tables, **first.tables}, rng=rng, fraction=1.0, **args)
    assert not set(first.key["row"]) & set(second.key["row"])
    assert len(first.key) + len(second.key) == 400
    with pytest.raises(InvalidArgument, match="table 'orders'"):
        REGISTRY["sentinel_dates"]({**tables, **second.tables}, rng=rng, fraction=0.1, **args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "ordered_at", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "unit_price"}, "'column'"),
        ({"table": "orders", "column": "ordered_at", "sentinel": 0}, "'sentinel'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("sentinel_dates", **args)
