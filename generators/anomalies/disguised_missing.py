"""Missing values disguised as placeholders ("N/A", 0, -1, 9999, "unknown")."""

from __future__ import annotations

import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly

# Placeholders seen in real exports (Quartz guide to bad data; Wilson et al. 2017 "-99").
TEXT_PLACEHOLDERS = ("N/A", "n/a", "-", "unknown", "none", "?")
NUMBER_PLACEHOLDERS = ("0", "-1", "-99", "9999")
DATE_PLACEHOLDERS = ("1900-01-01", "1970-01-01", "0000-00-00")


@anomaly(
    "disguised_missing",
    examples=[
        ("orders", {"table": "customers", "column": "phone"}),
        ("orders", {"table": "orders", "column": "quantity"}),
        ("orders", {"table": "customers", "column": "signup_date"}),
        ("orders", {"table": "orders", "column": "unit_price", "sentinel": "-99"}),
    ],
)
def disguised_missing(tables, *, rng, table, column, fraction=0.05, sentinel=None) -> Planted:
    """Replace values with a placeholder that means "missing" ("N/A", -99, 1900-01-01…).

    `sentinel` picks one, otherwise one per row from the column type's usual placeholders."""
    df = tables[table]
    col = df[column]
    if sentinel is not None:
        choices = (sentinel,)
    elif pd.api.types.is_datetime64_any_dtype(col):
        choices = DATE_PLACEHOLDERS
    elif pd.api.types.is_numeric_dtype(col):
        choices = NUMBER_PLACEHOLDERS
    else:
        choices = TEXT_PLACEHOLDERS
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=col.notna(), what=f"with a value in {column!r}"
    )
    values = [choices[i] for i in rng.integers(0, len(choices), len(rows))]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
