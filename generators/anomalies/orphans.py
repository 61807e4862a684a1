"""Referential orphans: foreign keys that point at no parent row."""

from __future__ import annotations

import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly


def _unused_keys(existing: set[str], template: str, count: int, rng) -> list[str]:
    """`count` keys shaped like `template` (same prefix letters, same width) that do not exist."""
    prefix = "".join(ch for ch in template if not ch.isdigit()) if template else ""
    width = max(1, sum(ch.isdigit() for ch in template))
    out: dict[str, None] = {}  # insertion-ordered set: deterministic and O(1) membership
    while len(out) < count:
        for n in rng.integers(0, 10**width, size=count * 2):
            candidate = f"{prefix}{int(n):0{width}d}"
            if candidate not in existing and candidate not in out:
                out[candidate] = None
                if len(out) == count:
                    break
    return list(out)


@anomaly(
    "orphans",
    examples=[
        (
            "orders",
            {
                "table": "orders",
                "column": "customer_id",
                "parent": "customers",
                "parent_column": "customer_id",
            },
        ),
        (
            "orders",
            {
                "table": "orders",
                "column": "product_id",
                "parent": "products",
                "parent_column": "product_id",
            },
        ),
    ],
)
def orphans(tables, *, rng, table, column, parent, parent_column, fraction=0.01) -> Planted:
    """Point foreign keys in `table.column` at keys that do not exist in `parent.parent_column`
    (a deleted or never-synced parent record)."""
    df = tables[table]
    existing = set(tables[parent][parent_column].dropna().astype("str"))
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=df[column].notna(),
        what=f"with a value in {column!r}",
    )
    template = str(df[column].dropna().iloc[0]) if df[column].notna().any() else "0"
    new_keys = _unused_keys(existing, template, len(rows), rng)
    if pd.api.types.is_integer_dtype(df[column].dtype):
        values = [int(v) for v in new_keys]
    else:
        values = new_keys
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
