import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant


def test_raw_table_has_exactly_the_removed_rows_fewer():
    clean, raw, key = plant("missing_records", table="orders", fraction=0.1)
    assert len(key) == 40
    assert set(key["change"]) == {"row_removed"}
    assert len(raw["orders"]) == len(clean["orders"]) - 40
    assert not set(key["row"]) & set(raw["orders"].index)
    kept = clean["orders"].drop(index=key["row"])
    assert raw["orders"].equals(kept)
    for name in ("customers", "products", "fx_rates"):
        assert raw[name].equals(clean[name])
    assert K.verify(clean, raw, key) == []


def test_removing_parents_leaves_orphans_behind():
    clean, raw, key = plant("missing_records", table="customers", fraction=0.5)
    assert len(raw["customers"]) == len(clean["customers"]) - len(key)
    orphaned = ~raw["orders"]["customer_id"].isin(raw["customers"]["customer_id"])
    assert orphaned.any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "fraction": 1.5}, "'fraction'"),
        ({"table": "nope"}, "'table'"),
        ({"table": "orders", "column": "quantity"}, "no argument 'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("missing_records", **args)
