"""Referential orphans: foreign keys that point at no parent row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.pools import join, zero_padded
from datalit.generators.text import to_text


def _unused_keys(existing: pa.Array, template: str, count: int, rng) -> list[str]:
    """`count` keys shaped like `template` (same prefix letters, same width) that are not among
    the strings `existing`."""
    prefix = "".join(ch for ch in template if not ch.isdigit()) if template else ""
    width = max(1, sum(ch.isdigit() for ch in template))
    out: dict[str, None] = {}  # insertion-ordered set: deterministic and O(1) membership
    while len(out) < count:
        candidates = join(prefix, zero_padded(rng.integers(0, 10**width, count * 2), width))
        # The parent's keys that are among the candidates: Arrow hashes the few candidates and
        # probes the (maybe 100 000) keys once, rather than a Python set of all the keys.
        taken = existing.filter(pc.is_in(existing, value_set=candidates))
        # The candidates that are no key, each once, in the order drawn (Arrow's unique keeps
        # the first occurrences in order), then those not found in an earlier round.
        free = pc.unique(candidates.filter(pc.invert(pc.is_in(candidates, value_set=taken))))
        for candidate in free.to_pylist():
            if candidate not in out:
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
    existing = to_text(tables[parent][parent_column].dropna().astype("str"))
    present = df[column].notna().to_numpy()
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=present, what=f"with a value in {column!r}"
    )
    template = str(df[column].iloc[int(np.argmax(present))]) if present.any() else "0"
    new_keys = _unused_keys(existing, template, len(rows), rng)
    if pd.api.types.is_integer_dtype(df[column].dtype):
        values = [int(v) for v in new_keys]
    else:
        values = new_keys
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
