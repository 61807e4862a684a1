import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("table", "column"),
    [("customers", "city"), ("orders", "status"), ("products", "category")],
)
def test_each_value_is_another_value_of_the_same_column(table, column):
    clean, raw, key = plant("plausible_wrong_value", table=table, column=column, fraction=0.5)
    assert len(key) == round(0.5 * len(clean[table]))
    assert K.verify(clean, raw, key) == []
    domain = set(clean[table][column])
    assert (key["after"] != key["before"]).all()
    assert set(key["after"]) <= domain


def test_replacements_are_drawn_as_often_as_they_occur():
    clean, _, key = plant("plausible_wrong_value", table="orders", column="status", fraction=1.0)
    assert len(key) == 400
    shares = clean["orders"]["status"].value_counts(normalize=True)
    assert shares.index[0] == "delivered"
    assert shares.iloc[0] > 0.5
    # "delivered" dominates the column, so it is the usual wrong value for every other status.
    not_delivered = key[key["before"] != "delivered"]
    assert (not_delivered["after"] == "delivered").mean() > 0.5


def test_numbers_keep_their_type():
    clean, raw, key = plant(
        "plausible_wrong_value", table="orders", column="quantity", fraction=0.2
    )
    assert len(key) == 80
    assert raw["orders"]["quantity"].dtype == clean["orders"]["quantity"].dtype
    assert set(key["after"]) <= {str(q) for q in clean["orders"]["quantity"]}


def test_missing_values_stay_missing_and_a_single_value_is_refused():
    col = pd.Series(["a", None, "b", None, "a"], dtype="str")
    planted = REGISTRY["plausible_wrong_value"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert planted.tables["t"]["c"].isna().tolist() == [False, True, False, True, False]
    assert list(planted.key["row"]) == [0, 2, 4]
    assert list(planted.key["after"]) == ["b", "a", "b"]
    with pytest.raises(InvalidArgument, match="two or more different values"):
        REGISTRY["plausible_wrong_value"](
            {"t": pd.DataFrame({"c": pd.Series(["a", None, "a"], dtype="str")})},
            rng=np.random.default_rng(0),
            table="t",
            column="c",
            fraction=0.5,
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "city", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("plausible_wrong_value", **args)
