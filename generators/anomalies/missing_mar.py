"""Explicit missing values whose chance depends on another column (MAR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "missing_mar",
    examples=[
        ("orders", {"table": "orders", "column": "delivered_at", "depends_on": "unit_price"}),
        ("orders", {"table": "customers", "column": "phone", "depends_on": "country"}),
    ],
)
def missing_mar(tables, *, rng, table, column, depends_on, fraction=0.05) -> Planted:
    """Blank out values missing at random (MAR): rows in the top third of `depends_on` (or its
    most common value) lose `column` four times as often as the rest."""
    df = tables[table]
    if depends_on == column:
        raise InvalidArgument("anomaly 'missing_mar': depends_on must differ from column")
    driver = df[depends_on]
    if pd.api.types.is_numeric_dtype(driver) or pd.api.types.is_datetime64_any_dtype(driver):
        ranks = driver.rank(pct=True, method="first").to_numpy()
        high = np.nan_to_num(ranks, nan=0.0) > 2 / 3
    else:
        mode = driver.mode(dropna=True)
        high = (
            (driver == mode.iloc[0]).to_numpy(dtype=bool) if len(mode) else np.zeros(len(df), bool)
        )
    present = df[column].notna().to_numpy()
    candidates = np.flatnonzero(present)
    if len(candidates) == 0:
        raise InvalidArgument(f"table {table!r} has no values in {column!r} to blank out")
    k = 0 if fraction == 0 else max(1, round(fraction * len(candidates)))
    weight = np.where(high[candidates], 4.0, 1.0)
    chosen = np.sort(rng.choice(candidates, size=k, replace=False, p=weight / weight.sum()))
    rows = df.index[chosen]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=[None] * len(rows))
    return Planted({table: out}, key)
