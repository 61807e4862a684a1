"""Explicit missing values, completely at random (MCAR)."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "missing_mcar",
    examples=[
        ("orders", {"table": "orders", "column": "quantity"}),
        ("orders", {"table": "customers", "column": "email"}),
        ("orders", {"table": "orders", "column": "ordered_at"}),
    ],
)
def missing_mcar(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Blank out values completely at random (MCAR): every present value is equally likely."""
    df = tables[table]
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=df[column].notna(),
        what=f"with a value in {column!r}",
    )
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=[None] * len(rows))
    return Planted({table: out}, key)
