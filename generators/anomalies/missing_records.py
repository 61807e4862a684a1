"""Missing records: whole rows lost, leaving gaps."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, remove_rows
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "missing_records",
    examples=[
        ("orders", {"table": "orders"}),
        ("orders", {"table": "customers"}),
    ],
)
def missing_records(tables, *, rng, table, fraction=0.02) -> Planted:
    """Whole rows lost, as a failed batch or a filtered export loses them (gaps in ids and dates).

    Rows a child table points to leave orphans behind; the key lists each removed row.
    """
    df = tables[table]
    rows = pick_rows(df, fraction, rng, table=table)
    out, key = remove_rows(df, table=table, rows=rows)
    return Planted({table: out}, key)
