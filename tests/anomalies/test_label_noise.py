import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("recipe", "table", "column"),
    [
        ("orders", "orders", "status"),
        ("orders", "products", "category"),
        ("eval_runs", "runs", "human_label"),
    ],
)
def test_every_chosen_label_flips_to_another_label_of_the_column(recipe, table, column):
    clean, raw, key = plant("label_noise", recipe, table=table, column=column, fraction=0.5)
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


def test_a_two_class_label_flips_to_the_other_class():
    _, _, key = plant("label_noise", "eval_runs", table="runs", column="human_label", fraction=1.0)
    assert set(zip(key["before"], key["after"], strict=True)) == {
        ("pass", "fail"),
        ("fail", "pass"),
    }


def test_rare_classes_are_as_likely_as_common_ones():
    # Uniform among the other classes, not by frequency (that is plausible_wrong_value).
    col = pd.Series(["a"] * 9000 + ["b"] * 500 + ["c"] * 500, dtype="str")
    out = REGISTRY["label_noise"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    from_a = out.key.loc[out.key["before"] == "a", "after"].value_counts(normalize=True)
    assert set(from_a.index) == {"b", "c"}
    assert abs(from_a["b"] - 0.5) < 0.05


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


def test_a_column_with_more_than_20_values_is_no_label_column():
    tables = {"t": pd.DataFrame({"c": pd.Series([f"v{i}" for i in range(21)] * 2, dtype="str")})}
    with pytest.raises(InvalidArgument, match=r"'column'.*not a label column") as info:
        REGISTRY["label_noise"](tables, rng=np.random.default_rng(0), table="t", column="c")
    assert "plausible_wrong_value" in str(info.value)
    assert "t.c holds 21" in str(info.value)
    # Twenty classes are still a label column.
    twenty = {"t": pd.DataFrame({"c": pd.Series([f"v{i}" for i in range(20)] * 2, dtype="str")})}
    out = REGISTRY["label_noise"](
        twenty, rng=np.random.default_rng(0), table="t", column="c", fraction=0.5
    )
    assert len(out.key) == 20


def test_a_name_column_is_refused_with_a_pointer_to_plausible_wrong_value():
    with pytest.raises(InvalidArgument, match="plausible_wrong_value"):
        call("label_noise", rows=5000, table="customers", column="name")
