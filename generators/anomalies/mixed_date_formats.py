"""Mixed date formats: some dates of a column written the way other systems export them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import datetimes

# Fixed English names: strftime's %b follows the process locale.
MONTHS = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
)
# Excel counts days from 1899-12-30 (which absorbs its 1900 leap-year bug for later dates).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_FIRST = pd.Timestamp("1900-03-01")

FORMATS = ("m/d/Y", "d/m/Y", "ISO 8601", "d Mon Y", "YYYYMMDD", "Excel serial")
EXCEL = FORMATS.index("Excel serial")


def _render(fmt: str, wall: pd.DatetimeIndex, utc: pd.DatetimeIndex) -> list[str]:
    if fmt == "m/d/Y":
        return list(wall.strftime("%m/%d/%Y"))
    if fmt == "d/m/Y":
        return list(wall.strftime("%d/%m/%Y"))
    if fmt == "ISO 8601":
        return list(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if fmt == "d Mon Y":
        return [
            f"{d} {m} {y}"
            for d, m, y in zip(wall.day, MONTHS[wall.month - 1], wall.year, strict=True)
        ]
    if fmt == "YYYYMMDD":
        return list(wall.strftime("%Y%m%d"))
    serial = ((wall - EXCEL_EPOCH) / pd.Timedelta(days=1)).to_numpy()
    # Five decimals keep the time of day to within a second (0.00001 day is 0.86 s).
    return [f"{s:.5f}".rstrip("0").rstrip(".") for s in serial]


@anomaly(
    "mixed_date_formats",
    examples=[
        ("orders", {"table": "orders", "column": "ordered_at"}),
        ("orders", {"table": "customers", "column": "signup_date"}),
        ("orders", {"table": "orders", "column": "delivered_at"}),
    ],
)
def mixed_date_formats(tables, *, rng, table, column, fraction=0.1) -> Planted:
    """Dates in other formats: "03/05/2024", "05/03/2024", "5 Mar 2024", "20240305", 45356.59.

    One column ends up mixing US month/day/year, day/month/year, ISO 8601 with a Z, "5 Mar 2024",
    "20240305" and Excel serial day numbers; the key's detail names each value's format.
    """
    df = tables[table]
    col = df[column]
    # Local formats show the wall clock, ISO 8601 with a Z the UTC time. In a column an earlier
    # plant turned into text, the cells still in the canonical form are the dates left to rewrite.
    utc = datetimes(col, anomaly="mixed_date_formats", table=table, column=column)
    wall = col.dt.tz_localize(None) if isinstance(col.dtype, pd.DatetimeTZDtype) else utc
    year = wall.dt.year
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        # Four-digit years only: the formats below have no other way to write a year.
        eligible=(wall.notna() & year.between(1000, 9999)).to_numpy(),
        what=f"with a date in {column!r}",
    )
    pos = row_positions(df, rows)
    wall_at = pd.DatetimeIndex(wall.iloc[pos])
    utc_at = pd.DatetimeIndex(utc.iloc[pos])
    which = rng.integers(0, len(FORMATS), len(rows))
    # Excel serials before March 1900 disagree with Excel itself: write those as ISO instead.
    which[(which == EXCEL) & (wall_at < EXCEL_FIRST)] = FORMATS.index("ISO 8601")
    values = np.empty(len(rows), dtype=object)
    for i, fmt in enumerate(FORMATS):
        at = np.flatnonzero(which == i)
        if len(at):
            values[at] = _render(fmt, wall_at[at], utc_at[at])
    detail = [json.dumps({"format": FORMATS[i]}) for i in which]
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=list(values), detail=detail
    )
    return Planted({table: out}, key)
