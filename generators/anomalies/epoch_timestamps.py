"""Epoch timestamps: dates written as seconds since 1970-01-01 UTC, the way logs and APIs send them."""

from __future__ import annotations

import numpy as np

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import datetimes


@anomaly(
    "epoch_timestamps",
    examples=[
        ("events", {"table": "events", "column": "occurred_at_utc"}),
        ("orders", {"table": "orders", "column": "ordered_at"}),
        ("orders", {"table": "customers", "column": "signup_date"}),
    ],
)
def epoch_timestamps(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Dates written as Unix epoch seconds: "2024-03-10 14:05:00" becomes "1710079500".

    The number is the instant in UTC (a time-zone-aware column is converted first), so it reads
    back exactly; the column becomes text. Only dates still in the canonical form change.
    """
    df = tables[table]
    # Seconds of the UTC instant: an epoch value has no time zone to keep.
    utc = datetimes(df[column], anomaly="epoch_timestamps", table=table, column=column)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=utc.notna().to_numpy(),
        what=f"with a date in {column!r}",
    )
    pos = row_positions(df, rows)
    seconds = utc.to_numpy().astype("datetime64[s]")[pos].astype(np.int64)
    values = [str(s) for s in seconds.tolist()]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
