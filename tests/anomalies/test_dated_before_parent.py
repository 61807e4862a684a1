import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant

ARGS = {
    "table": "events",
    "column": "occurred_at_utc",
    "parent": "users",
    "parent_column": "signup_at",
}


def test_events_move_to_days_before_their_users_signup():
    clean, raw, key = plant("dated_before_parent", recipe="events", fraction=0.2, **ARGS)
    assert len(key) > 0
    signup = clean["users"].set_index("user_id")["signup_at"]
    events = raw["events"]
    for row, after in zip(key["row"], key["after"], strict=True):
        start = signup[events.loc[row, "user_id"]]
        moved = pd.Timestamp(after)
        assert moved < start - pd.Timedelta(days=1)
        assert moved > start - pd.Timedelta(days=30)
        # the calendar day alone shows it
        assert moved.normalize() < start.normalize()
    assert K.verify(clean, raw, key) == []


def test_orders_before_the_customers_signup():
    clean, raw, key = plant(
        "dated_before_parent",
        table="orders",
        column="ordered_at",
        parent="customers",
        parent_column="signup_date",
        fraction=0.1,
    )
    assert len(key) > 0
    assert K.verify(clean, raw, key) == []


def test_a_parent_whose_id_the_child_lacks_is_refused():
    with pytest.raises(InvalidArgument, match="'parent'"):
        call(
            "dated_before_parent",
            table="customers",
            column="signup_date",
            parent="orders",
            parent_column="ordered_at",
        )
