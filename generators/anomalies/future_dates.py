"""Future dates: dates years past the data's end, as a typo in the year makes them."""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import datetime_cells, datetimes

# Nanosecond timestamps end in April 2262.
LAST_YEAR = {"ns": 2261}


def _year_typos(year: np.ndarray) -> np.ndarray:
    """Per year, the years four common typing slips turn it into: the last two digits swapped
    (2024 -> 2042), the middle two swapped (2024 -> 2204), a decade or a century too far
    (2024 -> 2034, 2124)."""
    a, b, c, d = year // 1000, year // 100 % 10, year // 10 % 10, year % 10
    return np.stack(
        [
            1000 * a + 100 * b + 10 * d + c,
            1000 * a + 100 * c + 10 * b + d,
            year + 10,
            year + 100,
        ],
        axis=1,
    )


# The typos of every four-digit year, looked up by year: a table of 10,000 rows costs less than
# computing them for every row of a large table.
TYPOS = _year_typos(np.arange(10_000))


def _with_year(stamp: pd.Timestamp, year: int) -> pd.Timestamp:
    if stamp.month == 2 and stamp.day == 29 and not calendar.isleap(year):
        stamp = stamp.replace(day=28)
    return stamp.replace(year=year)


@anomaly(
    "future_dates",
    examples=[
        ("orders", {"table": "orders", "column": "ordered_at"}),
        ("orders", {"table": "orders", "column": "delivered_at"}),
        ("orders", {"table": "customers", "column": "signup_date"}),
    ],
)
def future_dates(tables, *, rng, table, column, fraction=0.02) -> Planted:
    """Dates years past the data's end from a typo in the year (2024 -> 2042, 2204, 2034, 2124).

    Only dates within Q1 - 3 IQR .. Q3 + 3 IQR move, and the data's end is the latest of them;
    moved values stay dates.
    """
    df = tables[table]
    col = df[column]
    # In UTC a new year never lands in a daylight-saving gap. In a column an earlier plant
    # turned into text, the cells still in the canonical form are the dates left to move.
    when = datetimes(col, anomaly="future_dates", table=table, column=column)
    stamps = when.to_numpy().astype("datetime64[s]")
    seconds = stamps.astype(np.int64)
    # Years index the typo table, so dates outside years 0–9999 cannot take part.
    year = when.dt.year.to_numpy(dtype=np.float64, na_value=-1.0).astype(np.int64)
    present = (year >= 0) & (year < len(TYPOS))
    year = np.where(present, year, 0)
    valid = np.zeros(TYPOS.shape, dtype=bool)
    eligible = np.zeros(len(df), dtype=bool)
    if present.any():
        # Only ordinary dates move, and the data's end is the latest of them: dates far out
        # (a 9999-12-31 or 1900-01-01 sentinel, an earlier future date) are anomalies already
        # and would otherwise leave no future to move to.
        q1, q3 = np.quantile(seconds[present], [0.25, 0.75])
        far = 3 * (q3 - q1)
        bulk = present & (seconds >= q1 - far) & (seconds <= q3 + far)
        end_year = pd.Timestamp(seconds[bulk].max(), unit="s").year
        unit = col.dt.unit if pd.api.types.is_datetime64_any_dtype(col.dtype) else "s"
        last = LAST_YEAR.get(unit, 9999)
        valid = (end_year < TYPOS) & (last >= TYPOS)
        eligible = bulk & valid.any(axis=1)[year]
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a date in {column!r} that a year typo moves past the data's end",
    )
    pos = row_positions(df, rows)
    chosen_year = year[pos]
    # A random one of each row's typos that lands past the end.
    scores = np.where(valid[chosen_year], rng.random((len(rows), TYPOS.shape[1])), -1.0)
    new_years = TYPOS[chosen_year, scores.argmax(axis=1)]
    moved = pd.DatetimeIndex(
        [_with_year(s, int(y)) for s, y in zip(when.iloc[pos], new_years, strict=True)]
    )
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=datetime_cells(moved, col)
    )
    return Planted({table: out}, key)
