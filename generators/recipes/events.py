"""`events`: a web shop's users and their clickstream, in UTC and in each user's local time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from datalit.generators import vocab_llm as V
from datalit.generators.pools import fixed_width, series, take, weighted_codes, zero_padded
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

# Events span two months that cross the US (2024-03-10) and EU (2024-03-31) switches to summer
# time and the end of summer time in Sydney, Adelaide and Auckland (2024-04-07).
EVENTS_START = np.datetime64("2024-03-01T00:00:00", "s").astype(np.int64)
EVENTS_END = np.datetime64("2024-05-01T00:00:00", "s").astype(np.int64)  # exclusive
SIGNUP_START = np.datetime64("2023-06-01T00:00:00", "s").astype(np.int64)
SIGNUP_END = np.datetime64("2024-04-28T00:00:00", "s").astype(np.int64)
DAY = 86_400
BROWSE_SPREAD = 0.75
ZONES = tuple(V.TIME_ZONES)
_SESSION_START, _ADD_TO_CART, _CHECKOUT, _PURCHASE = (
    V.EVENT_TYPES.index(t) for t in ("session_start", "add_to_cart", "checkout", "purchase")
)
_BROWSE_CODES = np.array([V.EVENT_TYPES.index(t) for t in V.BROWSE_WEIGHTS])
# utc_offset text for every quarter hour from -12:00 to +14:00 (all offsets the tz database has).
_QUARTERS = np.arange(-48, 57)
OFFSET_TEXT = [
    f"{'-' if q < 0 else '+'}{abs(q) // 4:02d}:{abs(q) % 4 * 15:02d}" for q in _QUARTERS.tolist()
]


def utc_offsets(utc_seconds: np.ndarray, zone: str) -> np.ndarray:
    """The UTC offset (seconds, local minus UTC) of `zone` at each instant: pandas tz_convert,
    which applies the zone's real rules (DST included) from the tz database."""
    idx = pd.DatetimeIndex(np.asarray(utc_seconds, dtype="datetime64[s]"))
    local = idx.tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return local.as_unit("s").asi8 - idx.as_unit("s").asi8


def offsets_by_zone(utc_seconds: np.ndarray, zone_code: np.ndarray, zones) -> np.ndarray:
    """UTC offsets for instants whose zones are `zones[zone_code]`: one tz_convert per zone."""
    out = np.zeros(len(utc_seconds), dtype=np.int64)
    # A stable sort of small integers is a radix sort: fast, and the same on every machine.
    order = np.argsort(zone_code.astype(np.uint8), kind="stable")
    bounds = np.searchsorted(zone_code[order], np.arange(len(zones) + 1))
    for z, zone in enumerate(zones):
        rows = order[bounds[z] : bounds[z + 1]]
        if len(rows):
            out[rows] = utc_offsets(utc_seconds[rows], zone)
    return out


def local_to_utc(local_seconds: np.ndarray, zone_code: np.ndarray) -> np.ndarray:
    """Instants whose wall-clock time in their zone is (about) `local_seconds`. Two passes settle
    the offset; a wall time skipped or repeated by a DST change lands within the hour."""
    guess = local_seconds - offsets_by_zone(local_seconds, zone_code, ZONES)
    return local_seconds - offsets_by_zone(guess, zone_code, ZONES)


def offset_text(offsets: np.ndarray) -> pa.Array:
    """Offsets in seconds as "+02:00" / "-03:30" text."""
    return take(OFFSET_TEXT, offsets // 900 - _QUARTERS[0])


def _clock_table() -> np.ndarray:
    """ "HH:MM:SS" for every second of a day, as 8-byte strings."""
    tod = np.arange(DAY)
    buf = np.empty((DAY, 8), dtype=np.uint8)
    buf[:, [2, 5]] = ord(":")
    for value, at in ((tod // 3600, 0), (tod // 60 % 60, 3), (tod % 60, 6)):
        buf[:, at] = ord("0") + value // 10
        buf[:, at + 1] = ord("0") + value % 10
    return buf.view("S8").ravel()


_CLOCK = _clock_table()


def local_time_text(local_seconds: np.ndarray) -> pa.Array:
    """Wall-clock times (seconds since 1970-01-01) as "YYYY-MM-DD HH:MM:SS" text, assembled as
    bytes from a table of the days spanned and a table of the seconds of a day."""
    secs = np.asarray(local_seconds, dtype=np.int64)
    n = len(secs)
    if n == 0:
        return pa.array([], type=pa.large_string())
    days, tod = np.divmod(secs, DAY)
    first = int(days.min())
    dates = np.datetime_as_string(np.arange(first, int(days.max()) + 1).astype("datetime64[D]"))
    rec = np.empty(n, dtype=[("date", "S10"), ("space", "S1"), ("clock", "S8")])
    rec["date"] = dates.astype("S10")[days - first]
    rec["space"] = b" "
    rec["clock"] = _CLOCK[tod]
    return fixed_width(rec.view(np.uint8).reshape(n, 19))


def _daytime_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into a local day, clustered in the daytime (HOURLY_ACTIVITY)."""
    hour = weighted_codes(np.array(V.HOURLY_ACTIVITY), n, rng)
    return hour * 3600 + rng.integers(0, 3600, n)


def _users(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The users table, each user's zone code and signup instant (UTC seconds)."""
    zone = weighted_codes(np.array([w for _, w in V.TIME_ZONES.values()]), n, rng)
    # Sign up on a local day, in the local daytime.
    day = rng.integers(SIGNUP_START // DAY, SIGNUP_END // DAY, n)
    signup = local_to_utc(day * DAY + _daytime_seconds(rng, n), zone)
    order = np.argsort(signup, kind="stable")  # user ids follow signup order
    zone, signup = zone[order], signup[order]
    countries = [c for c, _ in V.TIME_ZONES.values()]
    width = max(6, len(str(n)))
    users = pd.DataFrame(
        {
            "user_id": series(zero_padded(np.arange(1, n + 1), width, "U")),
            "signup_at": pd.Series(signup.astype("datetime64[s]")),
            "country": series(take(countries, zone)),
            "tz": series(take(ZONES, zone)),
        },
        copy=False,
    )
    return users, zone, signup


def _session_counts(rng: np.random.Generator, s: int, extra_browse: float) -> np.ndarray:
    """Events of each funnel block per session: (s, 5) counts of session_start, browsing,
    add_to_cart, checkout, purchase."""
    browse = rng.geometric(1 / (1 + extra_browse), s)
    cart = rng.random(s) < V.P_ADD_TO_CART
    n_cart = np.where(cart, rng.geometric(0.7, s), 0)
    checkout = cart & (rng.random(s) < V.P_CHECKOUT_GIVEN_CART)
    purchase = checkout & (rng.random(s) < V.P_PURCHASE_GIVEN_CHECKOUT)
    return np.column_stack([np.ones(s, np.int64), browse, n_cart, checkout, purchase])


def _sessions(
    rng: np.random.Generator, rows: int, zone: np.ndarray, signup: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enough sessions for `rows` events: each session's user, start (UTC seconds) and counts."""
    n_users = len(zone)
    # Active days in the window; heavy-tailed activity (a few users visit daily).
    first = np.maximum(signup, EVENTS_START)
    active_days = np.clip((EVENTS_END - first) / DAY, 0.0, None)
    weights = (rng.pareto(1.2, n_users) + 0.1) * active_days
    # Sessions are longer in some variants than in others (browsing events per session vary by
    # up to BROWSE_SPREAD either way), so the same number of events makes more or fewer visits:
    # each variant's daily active users sit at their own level, and a count copied or guessed
    # from other variants rarely matches exactly.
    extra_browse = V.MEAN_EXTRA_BROWSE * rng.uniform(1 - BROWSE_SPREAD, 1 + BROWSE_SPREAD)
    mean_events = 1 + (1 + extra_browse) + V.P_ADD_TO_CART * (1 / 0.7 + 1)
    s = int(rows / mean_events * 1.25) + 20
    counts = _session_counts(rng, s, extra_browse)
    while counts.sum() < rows:  # rare: a small draw came up short
        counts = np.vstack([counts, _session_counts(rng, s, extra_browse)])
    s = len(counts)
    user = weighted_codes(weights, s, rng)

    # A local day between the user's first active day and the window's end, at a daytime hour.
    first_local = first + offsets_by_zone(first, zone, ZONES)
    lo = first_local[user] // DAY
    hi = (EVENTS_END - 1) // DAY + 1
    day = lo + (rng.random(s) * (hi - lo)).astype(np.int64)
    start = local_to_utc(day * DAY + _daytime_seconds(rng, s), zone[user])
    # A local day at the window's edges can fall outside it in UTC: move it a day inwards.
    start = np.where(start < EVENTS_START, start + DAY, start)
    start = np.where(start >= EVENTS_END - 2 * 3600, start - DAY, start)  # room to finish
    # The signup session: activity right after signing up, never before it.
    too_early = start < signup[user] + 60
    start = np.where(too_early, signup[user] + rng.integers(60, 900, s), start)
    return user, start, counts


def _events(rng: np.random.Generator, rows: int, zone: np.ndarray, signup: np.ndarray):
    """`rows` events: each one's user (code), instant (UTC seconds), type (code) and session id."""
    user, start, counts = _sessions(rng, rows, zone, signup)
    # Sessions come in random order: keep the first `rows` events (a last session cut short is
    # a visitor who left), then put the kept sessions in order of their start.
    per_session = counts.sum(axis=1)
    kept = int(np.searchsorted(np.cumsum(per_session), rows)) + 1
    user, start, counts = user[:kept], start[:kept], counts[:kept]
    by_start = np.argsort(start, kind="stable")
    user, start, counts = user[by_start], start[by_start], counts[by_start]
    s = len(user)
    per_session = counts.sum(axis=1)
    block = np.repeat(np.tile(np.arange(5, dtype=np.int8), s), counts.ravel())
    session = np.repeat(np.arange(s), per_session)
    cut = np.flatnonzero(by_start == kept - 1)[0]  # the session cut short
    keep = np.ones(len(block), dtype=bool)
    end_of_cut = per_session[: cut + 1].sum()
    keep[end_of_cut - (per_session.sum() - rows) : end_of_cut] = False
    block, session = block[keep], session[keep]

    block_type = np.array([_SESSION_START, -1, _ADD_TO_CART, _CHECKOUT, _PURCHASE])
    etype = block_type[block]
    browsing = block == 1
    browse_weights = np.array(list(V.BROWSE_WEIGHTS.values()))
    etype[browsing] = _BROWSE_CODES[weighted_codes(browse_weights, int(browsing.sum()), rng)]

    # Seconds between events in a session: 2 s plus an exponential think time.
    gap = 2 + rng.exponential(40.0, rows).astype(np.int64)
    first_in_session = np.r_[True, session[1:] != session[:-1]]
    gap[first_in_session] = 0
    elapsed = np.cumsum(gap)
    elapsed -= np.maximum.accumulate(np.where(first_in_session, elapsed, 0))
    occurred = start[session] + elapsed
    # Sessions are in start order, so this is nearly sorted: a stable sort (timsort) is fast,
    # and ties keep session order, the same on every machine.
    order = np.argsort(occurred, kind="stable")
    return user[session[order]], occurred[order], etype[order], session[order] + 1


@recipe(
    "events",
    main_table="events",
    default_rows=5000,
    min_rows=50,
    default_plants=[
        Plant(
            "timezone_mixup",
            {
                "table": "events",
                "column": "occurred_at_utc",
                "tz_column": "tz",
                "fraction": 0.03,
            },
        ),
        Plant("exact_duplicates", {"table": "events", "fraction": 0.01}),
        Plant(
            "orphans",
            {
                "table": "events",
                "column": "user_id",
                "parent": "users",
                "parent_column": "user_id",
                "fraction": 0.005,
            },
        ),
        Plant("missing_mcar", {"table": "users", "column": "country", "fraction": 0.02}),
        Plant("mixed_date_formats", {"table": "users", "column": "signup_at", "fraction": 0.05}),
    ],
    answers=lambda tables: events_answers(tables),
)
def events(src: Seeded, *, rows: int) -> Built:
    """A web shop's users and funnel events, in UTC and each user's local time, across DST changes.

    Users have a home IANA time zone; sessions cluster in their local daytime; the two months
    of events cross the US and EU switches to summer time and the end of it in Sydney."""
    rng = src.rng
    n_users = max(20, rows // 30)
    users, zone, signup = _users(rng, n_users)
    user, occurred, etype, session = _events(rng, rows, zone, signup)
    ev_zone = zone[user]
    offsets = offsets_by_zone(occurred, ev_zone, ZONES)
    width = len(users["user_id"].iloc[0]) - 1
    events_df = pd.DataFrame(
        {
            "event_id": np.arange(1, rows + 1, dtype=np.int64),
            "user_id": series(zero_padded(user + 1, width, "U")),
            "session_id": session,
            "event_type": series(take(V.EVENT_TYPES, etype)),
            "occurred_at_utc": pd.Series(occurred.astype("datetime64[s]")),
            "local_time": series(local_time_text(occurred + offsets)),
            "utc_offset": series(offset_text(offsets)),
            "tz": series(take(ZONES, ev_zone)),
        },
        copy=False,
    )
    return Built(tables={"users": users, "events": events_df})


def events_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean tables: daily active users per UTC day, events per type."""
    e = tables["events"]
    day = e["occurred_at_utc"].dt.strftime("%Y-%m-%d")
    pairs = pd.DataFrame({"day": day, "user": e["user_id"]}).drop_duplicates()
    dau = pairs["day"].value_counts().sort_index()
    by_type = e["event_type"].value_counts()
    return {
        "events": len(e),
        "users": len(tables["users"]),
        "active_users": int(e["user_id"].nunique()),
        "daily_active_users": {str(k): int(v) for k, v in dau.items()},
        "events_by_type": {t: int(by_type.get(t, 0)) for t in V.EVENT_TYPES},
    }
