import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.future_dates import _year_typos
from datalit.generators.engine import plant_all
from datalit.generators.spec import Plant
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables


@pytest.mark.parametrize(
    ("table", "column"),
    [("orders", "ordered_at"), ("orders", "delivered_at"), ("customers", "signup_date")],
)
def test_dates_move_past_the_datas_end_by_a_year_typo(table, column):
    clean, raw, key = plant("future_dates", table=table, column=column, fraction=0.3)
    assert len(key) > 0
    end = clean[table][column].max()
    assert raw[table][column].dtype == clean[table][column].dtype
    for row, before, after in zip(key["row"], key["before"], key["after"], strict=True):
        b, a = pd.Timestamp(before), pd.Timestamp(after)
        assert a > end
        assert a.year in _year_typos(np.array([b.year]))[0]
        # the same day and time of year; 29 February becomes the 28th in a common year
        day = 28 if (b.month, b.day) == (2, 29) and not a.is_leap_year else b.day
        assert (a.month, a.day, a.time()) == (b.month, day, b.time())
        assert raw[table].loc[row, column] == a
    assert K.verify(clean, raw, key) == []


def test_typos_are_the_four_slips():
    assert sorted(_year_typos(np.array([2024]))[0]) == [2034, 2042, 2124, 2204]


def test_sentinels_far_out_do_not_count_as_the_datas_end():
    clean = small_tables("orders", 0, 400)
    plants = [
        Plant("sentinel_dates", {"table": "orders", "column": "ordered_at", "fraction": 0.05}),
        Plant("future_dates", {"table": "orders", "column": "ordered_at", "fraction": 0.1}),
    ]
    raw, key = plant_all(clean, plants, np.random.default_rng(0))
    sentinels = key[key["anomaly"] == "sentinel_dates"]
    future = key[key["anomaly"] == "future_dates"]
    # Sentinels are neither moved nor taken as the data's end (9999-12-31 would leave no future).
    assert len(future) == round(0.1 * (400 - len(sentinels)))
    assert not set(future["row"]) & set(sentinels["row"])
    assert K.verify(clean, raw, key) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "ordered_at", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "status"}, "'column'"),
        ({"table": "orders"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("future_dates", **args)


def test_29_february_becomes_the_28th_in_a_common_year():
    stamps = pd.Series(pd.to_datetime(["2024-02-29 12:00:00"] * 50).as_unit("s"))
    tables = {"t": pd.DataFrame({"d": stamps})}
    out = REGISTRY["future_dates"](
        tables, rng=np.random.default_rng(0), table="t", column="d", fraction=1.0
    )
    moved = out.tables["t"]["d"]
    assert ((moved.dt.day == 29) == moved.dt.is_leap_year).all()
    assert set(moved.dt.year) == {2034, 2042, 2124, 2204}
