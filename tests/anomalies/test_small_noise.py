import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("table", "column", "decimals"),
    [("orders", "unit_price", 2), ("products", "price_eur", 2), ("fx_rates", "eur_per_unit", 4)],
)
def test_every_chosen_value_moves_by_at_most_five_percent_and_keeps_the_columns_digits(
    table, column, decimals
):
    clean, raw, key = plant("small_noise", table=table, column=column, fraction=0.5)
    eligible = (clean[table][column].abs() * 0.05 >= 10.0**-decimals).sum()
    assert len(key) == max(1, round(0.5 * eligible))
    before = key["before"].astype(float).to_numpy()
    after = key["after"].astype(float).to_numpy()
    change = np.abs(after - before) / np.abs(before)
    assert (change > 0).all()
    assert (change <= 0.05 + 1e-9).all()
    assert all(len(a.partition(".")[2]) <= decimals for a in key["after"])
    assert K.verify(clean, raw, key) == []


def test_noise_goes_both_ways_and_is_mostly_at_least_one_percent():
    _, _, key = plant("small_noise", table="orders", column="unit_price", fraction=1.0)
    before = key["before"].astype(float).to_numpy()
    after = key["after"].astype(float).to_numpy()
    assert (after > before).any()
    assert (after < before).any()
    change = np.abs(after - before) / before
    assert np.mean(change >= 0.0099) > 0.9


def test_values_too_small_to_move_by_a_last_digit_are_left_alone():
    tables = {"t": pd.DataFrame({"n": np.array([1, 5, 19, 20, 100, 0], dtype=np.int64)})}
    out = REGISTRY["small_noise"](
        tables, rng=np.random.default_rng(0), table="t", column="n", fraction=1.0
    )
    assert list(out.key["row"]) == [3, 4]
    assert out.tables["t"]["n"].dtype == "int64"
    for before, after in zip(out.key["before"], out.key["after"], strict=True):
        assert 1 <= abs(int(after) - int(before)) <= 0.05 * int(before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "unit_price", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "status"}, "'column'"),
        ({"table": "orders", "column": "unit_price", "factor": 2}, "no argument 'factor'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("small_noise", **args)
