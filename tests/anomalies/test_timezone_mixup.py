import json
import zoneinfo
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators.anomalies import REGISTRY
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables

ARGS = {"table": "events", "column": "occurred_at_utc", "tz_column": "tz"}


def _offset_seconds(instant: pd.Timestamp, zone: str) -> int:
    """The zone's UTC offset at a UTC instant, from zoneinfo (independent of pandas)."""
    when = datetime.fromtimestamp(int(instant.timestamp()), tz=UTC)
    return int(when.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds())


def test_shifts_by_exactly_the_zone_offset_at_that_instant():
    clean, raw, key = plant("timezone_mixup", recipe="events", fraction=0.5, **ARGS)
    events = clean["events"]
    assert len(key) > 0
    assert set(key["column"]) == {"occurred_at_utc"}
    shifts = set()
    for row, before, after, detail in zip(
        key["row"], key["before"], key["after"], key["detail"], strict=True
    ):
        zone = events.loc[row, "tz"]
        offset = _offset_seconds(pd.Timestamp(before), zone)
        assert offset != 0
        assert pd.Timestamp(after) - pd.Timestamp(before) == pd.Timedelta(seconds=offset)
        # The "UTC" value now reads as the local wall clock, which the clean data also records.
        assert after == events.loc[row, "local_time"]
        info = json.loads(detail)
        assert info["tz"] == zone
        assert info["utc_offset"] == events.loc[row, "utc_offset"]
        shifts.add((zone, offset))
    # DST: one zone is shifted by two different amounts across the data's span.
    zones = [z for z, _ in shifts]
    assert any(zones.count(z) > 1 for z in set(zones))
    # Rows not in the key are untouched.
    untouched = raw["events"].drop(index=key["row"])
    pd.testing.assert_series_equal(
        untouched["occurred_at_utc"], events.loc[untouched.index, "occurred_at_utc"]
    )
    assert raw["events"]["occurred_at_utc"].dtype == "datetime64[s]"


def test_rows_at_utc_plus_zero_are_not_eligible():
    # 4000 events: enough users that some live at UTC+0 (London in winter, Reykjavik).
    clean, _, key = plant("timezone_mixup", recipe="events", rows=4000, fraction=1.0, **ARGS)
    events = clean["events"]
    zero = events["utc_offset"] == "+00:00"
    assert zero.any()
    assert not zero[key["row"]].any()
    assert len(key) == (~zero).sum()


def test_works_on_signup_times_too():
    clean, _, key = plant(
        "timezone_mixup",
        recipe="events",
        table="users",
        column="signup_at",
        tz_column="tz",
        fraction=0.3,
    )
    users = clean["users"]
    for row, before, after in zip(key["row"], key["before"], key["after"], strict=True):
        offset = _offset_seconds(pd.Timestamp(before), users.loc[row, "tz"])
        assert pd.Timestamp(after) - pd.Timestamp(before) == pd.Timedelta(seconds=offset)


def test_unknown_zones_are_not_eligible():
    tables = small_tables("events", 0)
    tables["events"] = tables["events"].assign(tz="Mars/Olympus_Mons")
    with pytest.raises(InvalidArgument, match="away from UTC"):
        REGISTRY["timezone_mixup"](tables, rng=np.random.default_rng(0), fraction=0.1, **ARGS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({**ARGS, "column": "event_type"}, "'column'"),
        ({**ARGS, "tz_column": "occurred_at_utc"}, "'tz_column'"),
        ({**ARGS, "tz_column": "nope"}, "'tz_column'"),
        ({**ARGS, "fraction": -0.1}, "'fraction'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("timezone_mixup", recipe="events", **args)
