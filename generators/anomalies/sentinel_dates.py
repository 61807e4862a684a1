"""Sentinel dates: placeholder dates that stand for "unknown" or "never"."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import CANONICAL, datetimes

# The placeholders real systems write: the start of many date pickers and Excel, the Unix epoch
# (a zero timestamp), and "end of time" values for open-ended records.
SENTINELS = ("1900-01-01", "1970-01-01 00:00:00", "9999-12-31", "2099-12-31")
# Only plain ISO dates parse as dates: pandas would also read words like "now" or "today",
# which would make the output depend on the clock.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")


def _as_date(text: str) -> pd.Timestamp | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        return None


def _fit(stamp: pd.Timestamp | None, col: pd.Series) -> pd.Timestamp | None:
    """`stamp` as a value of the datetime column `col`, or None when its dtype cannot hold it
    (9999-12-31 is past the end of nanosecond timestamps)."""
    if stamp is None:
        return None
    try:
        fitted = stamp.as_unit(col.dt.unit)
        return fitted.tz_localize(col.dt.tz) if col.dt.tz is not None else fitted
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return None


@anomaly(
    "sentinel_dates",
    examples=[
        ("orders", {"table": "orders", "column": "ordered_at"}),
        ("orders", {"table": "customers", "column": "signup_date"}),
        ("orders", {"table": "orders", "column": "delivered_at", "sentinel": "9999-12-31"}),
    ],
)
def sentinel_dates(tables, *, rng, table, column, fraction=0.05, sentinel=None) -> Planted:
    """Sentinel dates meaning "unknown" or "never": 1900-01-01, 1970-01-01, 9999-12-31, 2099-12-31.

    One per row from those (the epoch as 1970-01-01 00:00:00), or `sentinel` everywhere. They stay
    dates where the column's type can hold them, else the column becomes text.
    """
    df = tables[table]
    col = df[column]
    choices = SENTINELS if sentinel is None else (sentinel,)
    stamps = [_as_date(s) for s in choices]
    is_datetime = pd.api.types.is_datetime64_any_dtype(col.dtype)
    # In a column an earlier plant turned into text, the cells still in the canonical form are
    # the dates left to replace.
    wall = datetimes(col, anomaly="sentinel_dates", table=table, column=column, wall=True)
    # A date that already is a sentinel would not change. Compared in seconds: 9999-12-31 has
    # no nanosecond timestamp to compare with.
    seconds = wall.to_numpy().astype("datetime64[s]")
    sentinels = [np.datetime64(s.to_pydatetime(), "s") for s in stamps if s is not None]
    already = np.isin(seconds, np.array(sentinels, dtype="datetime64[s]"))
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=wall.notna().to_numpy() & ~already,
        what=f"with a (non-sentinel) date in {column!r}",
    )
    which = rng.integers(0, len(choices), len(rows))
    fitted = [_fit(s, col) for s in stamps] if is_datetime else [None] * len(stamps)
    if all(fitted[i] is not None for i in set(which.tolist())):
        values = [fitted[i] for i in which]
    else:
        # Text, written as the date would read (or as given when `sentinel` is no date).
        texts = [
            s.strftime(CANONICAL) if s is not None else c
            for s, c in zip(stamps, choices, strict=True)
        ]
        values = [texts[i] for i in which]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
