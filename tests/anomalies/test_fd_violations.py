import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("table", "determinant", "column"),
    [("customers", "postcode", "city"), ("orders", "customer_id", "currency")],
)
def test_each_changed_determinant_now_maps_to_two_values(table, determinant, column):
    clean, raw, key = plant(
        "fd_violations", table=table, column=column, determinant=determinant, fraction=0.5
    )
    assert len(key) > 0
    # the dependency held before ...
    assert (clean[table].groupby(determinant)[column].nunique() <= 1).all()
    # ... and every changed row's determinant now has two or more values
    values_per_key = raw[table].groupby(determinant)[column].nunique()
    changed = raw[table].loc[key["row"], determinant]
    assert (values_per_key.loc[changed.unique()] >= 2).all()
    # the new values are values the column already had
    assert set(key["after"]) <= set(clean[table][column].astype("str"))
    assert (key["before"] != key["after"]).all()
    assert K.verify(clean, raw, key) == []


def test_the_first_row_of_each_determinant_keeps_its_value():
    clean, _, key = plant(
        "fd_violations", table="orders", column="currency", determinant="customer_id", fraction=1.0
    )
    first = clean["orders"].drop_duplicates("customer_id").index
    assert not set(key["row"]) & set(first)
    repeats = clean["orders"]["customer_id"].duplicated().sum()
    assert len(key) == repeats


def test_a_column_with_two_values_still_breaks_the_dependency():
    tables = {"t": pd.DataFrame({"k": list("aabbcc"), "v": list("xxyyxx")})}
    out = REGISTRY["fd_violations"](
        tables, rng=np.random.default_rng(0), table="t", column="v", determinant="k", fraction=1.0
    )
    assert list(out.key["row"]) == [1, 3, 5]
    assert list(out.key["after"]) == ["y", "x", "y"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"table": "customers", "column": "city", "determinant": "postcode", "fraction": 1.5},
            "'fraction'",
        ),
        ({"table": "customers", "column": "city", "determinant": "city"}, "'determinant'"),
        ({"table": "customers", "column": "city", "determinant": "nope"}, "'determinant'"),
        ({"table": "customers", "column": "city"}, "'determinant'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("fd_violations", **args)


def test_a_column_with_a_single_value_is_refused():
    tables = {"t": pd.DataFrame({"k": list("aabb"), "v": list("xxxx")})}
    with pytest.raises(InvalidArgument, match="'column'"):
        REGISTRY["fd_violations"](
            tables, rng=np.random.default_rng(0), table="t", column="v", determinant="k"
        )
