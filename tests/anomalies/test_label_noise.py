import numpy as np
import pandas as pd
import pytest
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY

from datalit.errors import InvalidArgument
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(("table", "column"), [("orders", "status"), ("products", "category")])
def test_every_chosen_label_flips_to_another_label_of_the_column(table, column):
    clean, raw, key = plant("label_noise", table=table, column=column, fraction=0.5)
    domain = set(clean[table][column])
    assert len(key) == max(1, round(0.5 * len(clean[table])))
    assert (key["before"] != key["after"]).all()
    assert set(key["after"]) <= domain
    assert set(raw[table][column]) <= domain
    assert raw[table][column].dtype == clean[table][column].dtype
    assert K.verify(clean, raw, key) == []


def test_each_label_flips_to_every_other_label():
    _, _, key = plant("label_noise", table="orders", column="status", fraction=1.0)
    for label, group in key.groupby("before"):
        others = {"delivered", "shipped", "cancelled", "returned"} - {label}
        if len(group) >= 30:
            assert set(group["after"]) == others


def test_missing_labels_stay_missing():
    tables = {"t": pd.DataFrame({"c": pd.Series(["a", None, "b", "a"], dtype="str")})}
    out = REGISTRY["label_noise"](
        tables, rng=np.random.default_rng(0), table="t", column="c", fraction=1.0
    )
    assert list(out.key["row"]) == [0, 2, 3]
    assert list(out.key["after"]) == ["b", "a", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "status", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "nope"}, "'column'"),
        ({"table": "fx_rates"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("label_noise", **args)


def test_a_column_with_one_label_is_refused():
    tables = {"t": pd.DataFrame({"c": ["a", "a", "a"]})}
    with pytest.raises(InvalidArgument, match="'column'"):
        REGISTRY["label_noise"](tables, rng=np.random.default_rng(0), table="t", column="c")
