"""Exact duplicate rows (a record exported or imported twice)."""

from __future__ import annotations

from datalit.generators.anomalies.patch import copy_rows, pick_rows
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "exact_duplicates",
    examples=[("orders", {"table": "orders"}), ("orders", {"table": "customers"})],
)
def exact_duplicates(tables, *, rng, table, fraction=0.02) -> Planted:
    """Add exact copies of randomly chosen rows at random places in the table."""
    df = tables[table]
    rows = pick_rows(df, fraction, rng, table=table)
    out, key, _ = copy_rows(df, rng, table=table, sources=rows)
    return Planted({table: out}, key)
