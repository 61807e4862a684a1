"""Plausible wrong values: another value of a categorical attribute, drawn by frequency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "plausible_wrong_value",
    examples=[
        ("orders", {"table": "customers", "column": "city"}),
        ("orders", {"table": "orders", "column": "status"}),
        ("orders", {"table": "products", "column": "category"}),
        ("orders", {"table": "orders", "column": "quantity"}),
    ],
)
def plausible_wrong_value(tables, *, rng, table, column, fraction=0.02) -> Planted:
    """A wrong value in any categorical attribute (cities, categories, quantities): another value
    the column holds, drawn by its frequency there (a wrong drop-down pick).

    The replacement is drawn as often as it occurs in the column, never the current value, so
    common values are the usual wrong ones and every value still passes a domain check. Any
    number of different values works; the column needs two or more. For label/class columns,
    where a flip lands on every other class equally often, use `label_noise`.
    """
    df = tables[table]
    col = df[column]
    present = col.notna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    counts = np.bincount(codes[present], minlength=len(uniques))
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=present if len(uniques) >= 2 else np.zeros(len(df), dtype=bool),
        what=f"with a value in {column!r} (which needs two or more different values)",
    )
    # Draw from the column's distribution without the current value: a point on the counts'
    # number line with the current value's stretch cut out, then mapped back onto it.
    current = codes[row_positions(df, rows)]
    cumulative = np.cumsum(counts)
    start = cumulative[current] - counts[current]
    point = rng.integers(0, counts.sum() - counts[current])
    point = np.where(point >= start, point + counts[current], point)
    replacement = np.searchsorted(cumulative, point, side="right")
    values = uniques.take(replacement)
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
