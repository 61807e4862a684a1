"""The events recipe's clean tables satisfy their own integrity rules."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators import vocab_llm as V
from datalit.generators.engine import generate
from datalit.generators.recipes import get
from datalit.generators.recipes.events import local_time_text, offset_text
from datalit.seeding import seeded

WINDOW = (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-01"))


@pytest.fixture(scope="module", params=[0, 1, 2])
def tables(request):
    return get("events").build(seeded(request.param), rows=4000).tables


def test_columns_and_types(tables):
    u, e = tables["users"], tables["events"]
    assert list(u.columns) == ["user_id", "signup_at", "country", "tz"]
    assert list(e.columns) == [
        "event_id",
        "user_id",
        "session_id",
        "event_type",
        "occurred_at_utc",
        "local_time",
        "utc_offset",
        "tz",
    ]
    for col in ("user_id", "country", "tz"):
        assert u[col].dtype == "str"
    for col in ("user_id", "event_type", "local_time", "utc_offset", "tz"):
        assert e[col].dtype == "str"
    assert u["signup_at"].dtype == "datetime64[s]"
    assert e["occurred_at_utc"].dtype == "datetime64[s]"
    assert e["event_id"].dtype == "int64"
    assert e["session_id"].dtype == "int64"
    assert list(e.index) == list(range(len(e)))
    assert e.notna().all().all()
    assert u.notna().all().all()


def test_foreign_and_primary_keys(tables):
    u, e = tables["users"], tables["events"]
    assert u["user_id"].is_unique
    assert e["event_id"].is_unique
    assert e["user_id"].isin(u["user_id"]).all()
    # A session belongs to one user.
    assert (e.groupby("session_id")["user_id"].nunique() == 1).all()


def test_zones_are_real_and_agree_with_the_user(tables):
    u, e = tables["users"], tables["events"]
    for zone in set(u["tz"]):
        zoneinfo.ZoneInfo(zone)
    assert (u["country"] == u["tz"].map({z: c for z, (c, _) in V.TIME_ZONES.items()})).all()
    assert (e["tz"] == e["user_id"].map(u.set_index("user_id")["tz"])).all()


def test_events_come_after_signup_and_inside_the_window(tables):
    u, e = tables["users"], tables["events"]
    signup = e["user_id"].map(u.set_index("user_id")["signup_at"])
    assert (e["occurred_at_utc"] > signup).all()
    assert (e["occurred_at_utc"] >= WINDOW[0]).all()
    assert (e["occurred_at_utc"] < WINDOW[1]).all()
    # The log is in time order and ids follow it.
    assert e["occurred_at_utc"].is_monotonic_increasing
    assert e["event_id"].is_monotonic_increasing


def test_local_time_is_the_same_instant_in_the_users_zone(tables):
    """Checked row by row with zoneinfo, independently of the recipe's pandas conversion."""
    e = tables["events"]
    seconds = e["occurred_at_utc"].to_numpy().astype("datetime64[s]").astype(np.int64)
    for ts, zone, local, offset in zip(
        seconds, e["tz"], e["local_time"], e["utc_offset"], strict=True
    ):
        wall = datetime.fromtimestamp(int(ts), tz=UTC).astimezone(zoneinfo.ZoneInfo(zone))
        assert wall.strftime("%Y-%m-%d %H:%M:%S") == local
        assert wall.strftime("%z")[:3] + ":" + wall.strftime("%z")[3:] == offset


def test_the_span_crosses_daylight_saving_changes():
    # Large enough that even a 3 % zone has users active on both sides of its change.
    e = get("events").build(seeded(3), rows=40_000).tables["events"]
    offsets = e.groupby("tz")["utc_offset"].agg(set)
    # Northern zones spring forward, Sydney falls back, in the same two months.
    assert offsets.get("America/New_York") == {"-05:00", "-04:00"}
    assert offsets.get("Europe/Paris") == {"+01:00", "+02:00"}
    assert offsets.get("Australia/Sydney") == {"+11:00", "+10:00"}
    # Zones without DST keep one offset; half-hour offsets are written as such.
    assert offsets.get("Asia/Tokyo") == {"+09:00"}
    assert offsets.get("Asia/Kolkata") == {"+05:30"}


def test_sessions_cluster_in_local_daytime(tables):
    e = tables["events"]
    starts = e[e["event_type"] == "session_start"]
    hour = starts["local_time"].str.slice(11, 13).astype(int)
    assert hour.between(8, 22).mean() > 0.8
    assert hour.between(2, 4).mean() < 0.05
    # In UTC the same sessions are spread around the clock (users live in many zones).
    assert starts["occurred_at_utc"].dt.hour.between(2, 4).mean() > 0.05


def test_funnel_is_consistent(tables):
    e = tables["events"]
    assert set(e["event_type"]) <= set(V.EVENT_TYPES)
    first = e.groupby("session_id")["event_type"].first()
    assert (first == "session_start").all()
    assert (
        e.groupby("session_id")["event_type"].apply(lambda s: (s == "session_start").sum()) == 1
    ).all()
    kinds = e.groupby("session_id")["event_type"].agg(set)
    assert all("checkout" in k for k in kinds if "purchase" in k)
    assert all("add_to_cart" in k for k in kinds if "checkout" in k)
    # Roughly realistic conversion: a few per cent of sessions purchase.
    purchase_rate = np.mean(["purchase" in k for k in kinds])
    assert 0.01 < purchase_rate < 0.1


@pytest.mark.parametrize("rows", [50, 51, 777, 20_000])
def test_exact_row_count(rows):
    t = get("events").build(seeded(rows), rows=rows).tables
    assert len(t["events"]) == rows
    assert t["events"]["user_id"].isin(t["users"]["user_id"]).all()


def test_same_seed_same_tables_different_seed_different_values():
    a = get("events").build(seeded(5), rows=1500).tables
    b = get("events").build(seeded(5), rows=1500).tables
    c = get("events").build(seeded(6), rows=1500).tables
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["events"]["occurred_at_utc"].equals(c["events"]["occurred_at_utc"])
    assert not a["users"]["signup_at"].equals(c["users"]["signup_at"])


def test_text_helpers_match_references():
    x = np.random.default_rng(0).integers(-(10**10), 10**10, 5000)
    expected = [str(v).replace("T", " ") for v in x.astype("datetime64[s]")]
    assert local_time_text(x).to_pylist() == expected
    assert offset_text(np.array([0, 3600, -12600, 20700, -43200, 50400])).to_pylist() == [
        "+00:00",
        "+01:00",
        "-03:30",
        "+05:45",
        "-12:00",
        "+14:00",
    ]


def test_answers_come_from_the_tables(tables):
    recipe = get("events")
    answers = recipe.answers(tables)
    e = tables["events"]
    assert answers["events"] == len(e)
    assert sum(answers["events_by_type"].values()) == len(e)
    day = e["occurred_at_utc"].dt.floor("D")
    pairs = len(pd.DataFrame({"d": day, "u": e["user_id"]}).drop_duplicates())
    assert sum(answers["daily_active_users"].values()) == pairs
    assert list(answers["daily_active_users"]) == sorted(answers["daily_active_users"])
    # Change the tables: the answers follow.
    fewer = {**tables, "events": e[e["event_type"] != "page_view"]}
    changed = recipe.answers(fewer)
    assert changed["events_by_type"]["page_view"] == 0
    assert changed["events"] == len(e) - answers["events_by_type"]["page_view"]
    one_user = {**tables, "events": e[e["user_id"] == e["user_id"].iloc[0]]}
    assert max(recipe.answers(one_user)["daily_active_users"].values()) == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_default_plants_apply_and_the_key_explains_them(seed):
    g = generate("events", seed=seed, rows=3000)
    assert K.verify(g.clean, g.raw, g.key) == []
    planted = set(g.key["anomaly"])
    assert planted == {p.anomaly for p in get("events").default_plants}
