import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("table", "column", "factor"),
    [
        ("orders", "unit_price", 100),
        ("products", "price_eur", 1000),
        ("orders", "unit_price", 0.001),
        ("fx_rates", "eur_per_unit", 0.01),
    ],
)
def test_after_is_before_times_the_factor(table, column, factor):
    clean, raw, key = plant("scale_error", table=table, column=column, factor=factor, fraction=0.5)
    assert len(key) == max(1, round(0.5 * len(clean[table])))
    before = key["before"].astype(float).to_numpy()
    after = key["after"].astype(float).to_numpy()
    np.testing.assert_allclose(after, before * factor, rtol=1e-12)
    assert raw[table][column].dtype == "float64"
    # no binary noise in the text (12.34 * 1000 reads 12340, not 12340.000000000002)
    assert all(len(a.replace("-", "").replace(".", "")) <= 13 for a in key["after"])
    assert K.verify(clean, raw, key) == []


def test_integer_columns_stay_integers_for_a_whole_factor():
    clean, raw, key = plant(
        "scale_error", table="orders", column="quantity", factor=10, fraction=0.2
    )
    assert raw["orders"]["quantity"].dtype == "int64"
    rows = key["row"]
    assert (raw["orders"].loc[rows, "quantity"] == clean["orders"].loc[rows, "quantity"] * 10).all()


def test_integer_columns_become_float_for_a_fractional_factor():
    clean, raw, key = plant(
        "scale_error", table="orders", column="quantity", factor=0.001, fraction=0.2
    )
    assert raw["orders"]["quantity"].dtype == "float64"
    rows = key["row"]
    expected = clean["orders"].loc[rows, "quantity"] / 1000
    np.testing.assert_allclose(raw["orders"].loc[rows, "quantity"], expected, rtol=1e-12)
    assert K.verify(clean, raw, key) == []


def test_zeros_and_missing_values_are_never_chosen():
    tables = {"t": pd.DataFrame({"x": [0.0, np.nan, 2.5, 0.0, 4.0]})}
    out = REGISTRY["scale_error"](
        tables, rng=np.random.default_rng(0), table="t", column="x", fraction=1.0
    )
    assert list(out.key["row"]) == [2, 4]
    assert list(out.key["after"]) == ["2500", "4000"]


def test_numbers_in_a_column_made_text_are_scaled_and_placeholders_left_alone():
    tables = {"t": pd.DataFrame({"x": pd.Series(["12.5", "N/A", "3", None], dtype="str")})}
    out = REGISTRY["scale_error"](
        tables, rng=np.random.default_rng(0), table="t", column="x", fraction=1.0, factor=100
    )
    assert list(out.key["after"]) == ["1250", "300"]
    assert list(out.tables["t"]["x"].iloc[[1, 3]].fillna("")) == ["N/A", ""]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "unit_price", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "unit_price", "factor": 1}, "'factor'"),
        ({"table": "orders", "column": "unit_price", "factor": -10}, "'factor'"),
        ({"table": "orders", "column": "status"}, "'column'"),
        ({"table": "orders", "column": "ordered_at"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("scale_error", **args)
