import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.text import is_text
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables


def mirrored(key: pd.DataFrame, first: str, second: str) -> None:
    a = key[key["column"] == first].set_index("row")
    b = key[key["column"] == second].set_index("row")
    assert sorted(a.index) == sorted(b.index)
    b = b.loc[a.index]
    assert (a["before"] == b["after"]).all()
    assert (a["after"] == b["before"]).all()


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("customers", ["street", "city"]),
        ("customers", ["name", "email"]),
        ("orders", ["ordered_at", "delivered_at"]),
    ],
)
def test_two_mirrored_key_rows_per_swapped_row(table, columns):
    clean, raw, key = plant("swapped_columns", table=table, columns=columns, fraction=0.5)
    both = clean[table][columns].notna().all(axis=1)
    assert len(key) == 2 * max(1, round(0.5 * both.sum()))
    assert set(key["column"]) == set(columns)
    mirrored(key, *columns)
    for column in columns:
        # Same kind as before: dates stay dates, text stays text (a categorical of strings
        # may gain categories).
        before, after = clean[table][column], raw[table][column]
        assert after.dtype == before.dtype or (is_text(after) and is_text(before))
    assert K.verify(clean, raw, key) == []


def test_swapped_dates_put_delivery_before_order():
    _, raw, key = plant(
        "swapped_columns", table="orders", columns=["ordered_at", "delivered_at"], fraction=1.0
    )
    rows = key["row"].unique()
    swapped = raw["orders"].loc[rows]
    assert (swapped["delivered_at"] < swapped["ordered_at"]).all()


def test_columns_of_different_types_swap_as_text():
    clean, raw, key = plant(
        "swapped_columns", table="customers", columns=["name", "signup_date"], fraction=0.5
    )
    assert raw["customers"]["signup_date"].dtype == "str"
    mirrored(key, "name", "signup_date")
    assert K.verify(clean, raw, key) == []


def test_rows_with_a_missing_or_equal_value_are_not_swapped():
    tables = {
        "t": pd.DataFrame(
            {
                "a": pd.Series(["x", "y", None, "z"], dtype="str"),
                "b": pd.Series(["x", "q", "r", None], dtype="str"),
            }
        )
    }
    out = REGISTRY["swapped_columns"](
        tables, rng=np.random.default_rng(0), table="t", columns=["a", "b"], fraction=1.0
    )
    assert list(out.key["row"]) == [1, 1]


def test_input_tables_are_not_mutated():
    tables = small_tables("orders", 0, 400)
    before = tables["customers"].copy(deep=True)
    REGISTRY["swapped_columns"](
        tables,
        rng=np.random.default_rng(0),
        table="customers",
        columns=["street", "city"],
        fraction=1.0,
    )
    pd.testing.assert_frame_equal(tables["customers"], before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "columns": ["street", "city"], "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "columns": ["street", "street"]}, "'columns'"),
        ({"table": "customers", "columns": ["street"]}, "'columns'"),
        ({"table": "customers", "columns": ["street", "nope"]}, "'columns'"),
        ({"table": "customers"}, "'columns'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("swapped_columns", **args)
