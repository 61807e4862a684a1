"""Label noise: categorical labels flipped to another label of the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly

from datalit.errors import InvalidArgument


@anomaly(
    "label_noise",
    examples=[
        ("orders", {"table": "orders", "column": "status"}),
        ("orders", {"table": "products", "column": "category"}),
    ],
)
def label_noise(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Labels flipped to another label of the same column (a wrong category or status).

    The new label is uniform among the column's other labels, so every chosen label changes.
    """
    df = tables[table]
    col = df[column]
    present = col.notna().to_numpy()
    codes, labels = pd.factorize(col[present])
    if len(labels) < 2:
        raise InvalidArgument(
            f"anomaly 'label_noise': argument 'column' needs at least two different labels "
            f"in {table}.{column}, got {len(labels)}"
        )
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=present, what=f"with a label in {column!r}"
    )
    code_of = np.full(len(df), -1, dtype=np.int64)
    code_of[present] = codes
    current = code_of[df.index.get_indexer(rows)]
    # Adding 1..m-1 modulo m lands on every other label with equal chance, never on its own.
    flipped = (current + rng.integers(1, len(labels), len(rows))) % len(labels)
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=list(labels.take(flipped))
    )
    return Planted({table: out}, key)
