"""Impossible orderings: an event dated before the event it must follow."""

from __future__ import annotations

import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly

from datalit.errors import InvalidArgument

CANONICAL = "%Y-%m-%d %H:%M:%S"
HOUR, DAY = 3600, 86_400


def _instants(df: pd.DataFrame, table: str, column: str, argument: str) -> pd.Series:
    """`column` as naive datetimes (tz-aware ones in UTC, so columns in different zones compare);
    a text column's cells count when they are in the canonical form."""
    col = df[column]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(col.dtype):
        return col
    if pd.api.types.is_string_dtype(col.dtype):
        # A column an earlier plant turned into text still holds dates in the canonical form.
        parsed = pd.to_datetime(col, format=CANONICAL, errors="coerce")
        if parsed.notna().any():
            return parsed
    holds = (
        "text with no date written YYYY-MM-DD HH:MM:SS"
        if pd.api.types.is_string_dtype(col.dtype)
        else col.dtype
    )
    raise InvalidArgument(
        f"anomaly 'impossible_orderings': argument {argument!r} must be a date/time column; "
        f"{table}.{column} holds {holds}"
    )


@anomaly(
    "impossible_orderings",
    examples=[
        (
            "orders",
            {"table": "orders", "column": "delivered_at", "earlier_column": "ordered_at"},
        ),
    ],
)
def impossible_orderings(tables, *, rng, table, column, earlier_column, fraction=0.05) -> Planted:
    """An event dated before the one it follows: `column` < `earlier_column` (delivered < ordered).

    Only rows with both dates set and in order change; `column` moves to between an hour and 30
    days before `earlier_column`.
    """
    if column == earlier_column:
        raise InvalidArgument(
            "anomaly 'impossible_orderings': argument 'earlier_column' must differ from 'column'"
        )
    df = tables[table]
    late = _instants(df, table, column, "column")
    early = _instants(df, table, earlier_column, "earlier_column")
    late_s = late.to_numpy().astype("datetime64[s]")
    early_s = early.to_numpy().astype("datetime64[s]")
    # Rows already out of order would only move further; they are not new violations.
    eligible = late.notna().to_numpy() & early.notna().to_numpy() & (late_s >= early_s)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with {earlier_column!r} and {column!r} both set and in order",
    )
    pos = df.index.get_indexer(rows)
    gap = rng.integers(HOUR, 30 * DAY, len(rows)).astype("timedelta64[s]")
    moved = pd.DatetimeIndex(early_s[pos] - gap)
    col = df[column]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        values = list(moved.tz_localize("UTC").tz_convert(col.dt.tz).as_unit(col.dt.unit))
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        values = list(moved.as_unit(col.dt.unit))
    else:
        values = list(moved.strftime(CANONICAL))
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
