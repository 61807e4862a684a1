import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


def fences(values: pd.Series, degree: float) -> tuple[float, float]:
    q1, q3 = np.quantile(values.dropna().to_numpy(dtype=float), [0.25, 0.75])
    return q1 - degree * (q3 - q1), q3 + degree * (q3 - q1)


@pytest.mark.parametrize("degree", [1.5, 3, 10])
@pytest.mark.parametrize(("table", "column"), [("orders", "unit_price"), ("orders", "quantity")])
def test_every_planted_value_lies_beyond_the_tukey_fences(table, column, degree):
    clean, raw, key = plant("outliers", table=table, column=column, degree=degree, fraction=0.1)
    assert len(key) > 0
    low, high = fences(clean[table][column], degree)
    after = key["after"].astype(float)
    assert ((after > high) | (after < low)).all()
    # and not absurdly far: at most twice the degree
    iqr = (high - low) / (1 + 2 * degree)
    assert (after <= high + degree * iqr + 1).all()
    # only values inside the fences were replaced
    before = key["before"].astype(float)
    assert ((before >= low) & (before <= high)).all()
    assert raw[table][column].dtype == clean[table][column].dtype
    assert K.verify(clean, raw, key) == []


def test_values_are_rounded_like_the_column():
    _, _, key = plant("outliers", table="orders", column="unit_price", fraction=0.2)
    assert all(len(a.partition(".")[2]) <= 2 for a in key["after"])
    _, _, key = plant("outliers", table="orders", column="quantity", fraction=0.2)
    assert all(a.isdigit() for a in key["after"])


def test_non_negative_columns_get_no_negative_outliers_and_signed_ones_get_both_sides():
    _, _, key = plant("outliers", table="orders", column="unit_price", fraction=0.3)
    assert (key["after"].astype(float) > 0).all()
    rng = np.random.default_rng(1)
    tables = {"t": pd.DataFrame({"x": np.round(rng.normal(0, 10, 500), 1)})}
    out = REGISTRY["outliers"](tables, rng=rng, table="t", column="x", fraction=0.3)
    low, high = fences(tables["t"]["x"], 3)
    after = out.key["after"].astype(float)
    assert (after < low).any()
    assert (after > high).any()
    assert ((after < low) | (after > high)).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "unit_price", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "unit_price", "degree": 0}, "'degree'"),
        ({"table": "orders", "column": "status"}, "'column'"),
        ({"table": "orders", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("outliers", **args)
