"""Time-zone mix-ups: UTC timestamps that were really recorded in the local time of the row."""

from __future__ import annotations

import json
import zoneinfo

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly


def _valid_zone(name) -> bool:
    if not isinstance(name, str) or not name or name != name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_offsets(utc: pd.Series, zones: pd.Series) -> np.ndarray:
    """Each row's UTC offset in seconds (local minus UTC) at its instant in its zone (pandas
    tz_convert, one call per zone); 0 where the instant is missing or the zone is not an IANA
    zone name."""
    seconds = utc.to_numpy(dtype="datetime64[s]")
    out = np.zeros(len(utc), dtype=np.int64)
    present = ~np.isnat(seconds)
    codes, names = pd.factorize(zones, use_na_sentinel=True)
    for code, name in enumerate(names):
        if not _valid_zone(name):
            continue
        rows = np.flatnonzero((codes == code) & present)
        if len(rows) == 0:
            continue
        idx = pd.DatetimeIndex(seconds[rows])
        local = idx.tz_localize("UTC").tz_convert(name).tz_localize(None)
        out[rows] = local.as_unit("s").asi8 - idx.as_unit("s").asi8
    return out


def offset_label(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(int(seconds)) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@anomaly(
    "timezone_mixup",
    examples=[
        ("events", {"table": "events", "column": "occurred_at_utc", "tz_column": "tz"}),
        ("events", {"table": "users", "column": "signup_at", "tz_column": "tz"}),
    ],
)
def timezone_mixup(tables, *, rng, table, column, tz_column, fraction=0.02) -> Planted:
    """UTC timestamps that were really recorded in the row's local time (a clock sent as UTC).

    Each chosen value moves by its zone's UTC offset at that instant, DST included, so it reads
    as the local wall clock. Only rows whose zone is away from UTC+0 at that instant are
    eligible. The key's detail names the zone and the offset: {"tz": …, "utc_offset": "+02:00"}.
    """
    df = tables[table]
    col = df[column]
    if not pd.api.types.is_datetime64_dtype(col.dtype):
        raise InvalidArgument(
            f"anomaly 'timezone_mixup': argument 'column' must be a time-zone-naive datetime "
            f"column holding UTC times; {table}.{column} is {col.dtype}"
        )
    if tz_column == column:
        raise InvalidArgument(
            "anomaly 'timezone_mixup': argument 'tz_column' must differ from 'column'"
        )
    offsets = zone_offsets(col, df[tz_column])
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=offsets != 0,
        what=f"with a time in {column!r} and a zone in {tz_column!r} away from UTC",
    )
    pos = row_positions(df, rows)
    shift = offsets[pos]
    before = col.to_numpy(dtype="datetime64[s]")[pos]
    values = (before + shift.astype("timedelta64[s]")).astype(col.dtype)
    zones = df[tz_column].to_numpy(dtype=object)[pos]
    detail = [
        json.dumps({"tz": z, "utc_offset": offset_label(s)})
        for z, s in zip(zones, shift, strict=True)
    ]
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=values, detail=detail
    )
    return Planted({table: out}, key)
