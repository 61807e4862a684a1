import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant

ARGS = {"table": "orders", "column": "delivered_at", "earlier_column": "ordered_at"}


def test_every_changed_row_is_delivered_before_it_was_ordered():
    clean, raw, key = plant("impossible_orderings", fraction=0.5, **ARGS)
    orders = raw["orders"]
    delivered = clean["orders"]["delivered_at"].notna().sum()
    assert len(key) == round(0.5 * delivered)
    assert set(key["column"]) == {"delivered_at"}
    late = orders.loc[key["row"], "delivered_at"]
    early = orders.loc[key["row"], "ordered_at"]
    gap = early - late
    assert (gap >= pd.Timedelta(hours=1)).all()
    assert (gap <= pd.Timedelta(days=30)).all()
    assert orders["delivered_at"].dtype == "datetime64[s]"
    assert K.verify(clean, raw, key) == []


def test_only_rows_with_both_dates_in_order_change():
    clean, raw, key = plant("impossible_orderings", fraction=1.0, **ARGS)
    orders = clean["orders"]
    both = orders["delivered_at"].notna() & orders["ordered_at"].notna()
    assert set(key["row"]) == set(orders.index[both])
    untouched = raw["orders"].drop(index=key["row"])
    assert untouched["delivered_at"].equals(orders.drop(index=key["row"])["delivered_at"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({**ARGS, "fraction": 1.5}, "'fraction'"),
        ({**ARGS, "earlier_column": "delivered_at"}, "'earlier_column'"),
        ({**ARGS, "earlier_column": "quantity"}, "'earlier_column'"),
        ({**ARGS, "column": "status"}, "'column'"),
        ({"table": "orders", "column": "delivered_at"}, "'earlier_column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("impossible_orderings", **args)
