"""Join fan-out: a dimension table with duplicated keys, so joins multiply fact rows."""

from __future__ import annotations

import pandas as pd

from datalit.generators import key as K
from datalit.generators.anomalies.patch import copy_rows, pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "fan_out",
    examples=[
        ("orders", {"table": "products", "column": "product_id"}),
        ("orders", {"table": "customers", "column": "customer_id"}),
    ],
)
def fan_out(tables, *, rng, table, column, fraction=0.02) -> Planted:
    """Add a second row for some keys of `table.column` (e.g. a product re-listed under the same
    id with a changed name or price), so a join on that key duplicates the matching fact rows."""
    df = tables[table]
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=df[column].notna(),
        what=f"with a key in {column!r}",
    )
    out, added, new_ids = copy_rows(df, rng, table=table, sources=rows)
    # Change one other attribute so the copy looks like a second version, not an exact twin.
    others = [c for c in df.columns if c != column]
    keys = [added]
    if others:
        target = others[int(rng.integers(0, len(others)))]
        current = out[target].iloc[row_positions(out, new_ids)]
        if pd.api.types.is_float_dtype(current):
            values = (current * 1.1).round(2).tolist()
        elif pd.api.types.is_integer_dtype(current):
            values = (current + 1).tolist()
        else:
            values = [f"{v} (v2)" if isinstance(v, str) else "v2" for v in current]
        out, changed = replace_cells(out, table=table, column=target, rows=new_ids, values=values)
        keys.append(changed)
    return Planted({table: out}, K.concat(*keys))
