import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant


@pytest.mark.parametrize(
    ("recipe", "table", "column"),
    [("events", "events", "occurred_at_utc"), ("orders", "orders", "ordered_at")],
)
def test_dates_become_epoch_seconds_of_the_same_instant(recipe, table, column):
    clean, raw, key = plant(
        "epoch_timestamps", recipe=recipe, table=table, column=column, fraction=0.3
    )
    assert len(key) > 0
    for before, after in zip(key["before"], key["after"], strict=True):
        assert after.lstrip("-").isdigit()
        assert pd.Timestamp(int(after), unit="s") == pd.Timestamp(before)
    assert K.verify(clean, raw, key) == []


def test_a_text_column_keeps_its_other_values():
    clean, raw, key = plant("epoch_timestamps", table="orders", column="ordered_at", fraction=0.5)
    untouched = raw["orders"].index.difference(key["row"])
    expected = clean["orders"].loc[untouched, "ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert (raw["orders"].loc[untouched, "ordered_at"] == expected).all()


def test_bad_column_names_the_argument():
    with pytest.raises(InvalidArgument, match="'column'"):
        call("epoch_timestamps", table="orders", column="status")
