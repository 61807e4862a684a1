"""Impossible orderings: an event dated before the event it must follow."""

from __future__ import annotations

import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import datetime_cells, datetimes

HOUR, DAY = 3600, 86_400


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
    # In UTC, so columns in different zones compare; text cells in the canonical form count.
    late = datetimes(df[column], anomaly="impossible_orderings", table=table, column=column)
    early = datetimes(
        df[earlier_column],
        anomaly="impossible_orderings",
        table=table,
        column=earlier_column,
        argument="earlier_column",
    )
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
    pos = row_positions(df, rows)
    gap = rng.integers(HOUR, 30 * DAY, len(rows)).astype("timedelta64[s]")
    moved = pd.DatetimeIndex(early_s[pos] - gap)
    values = datetime_cells(moved, df[column])
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
