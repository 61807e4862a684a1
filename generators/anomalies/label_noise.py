"""Label noise: the labels of a label (class) column flipped to another class, uniformly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly

# A label column names one of a few classes (a status, a verdict, a category); a column with more
# different values is an attribute, whose wrong values plausible_wrong_value plants.
MAX_LABELS = 20


@anomaly(
    "label_noise",
    examples=[
        ("orders", {"table": "orders", "column": "status"}),
        ("orders", {"table": "products", "column": "category"}),
        ("eval_runs", {"table": "runs", "column": "human_label"}),
    ],
)
def label_noise(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Label noise in a label/class column (a status, a pass/fail verdict; at most 20 classes):
    labels flipped to another class, each other class equally likely.

    Annotation noise as in training data: every chosen label changes, to a class drawn uniformly
    from the column's other classes however rare they are. A column of more than 20 different
    values is refused as no label column; for such categorical attributes (cities, names), where
    a wrong value follows the column's frequencies, use `plausible_wrong_value`.
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
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(
            f"anomaly 'label_noise': argument 'column' must be a label column of at most "
            f"{MAX_LABELS} different values; {table}.{column} holds {len(labels)}, so it is not "
            f"a label column: use plausible_wrong_value for other categorical columns"
        )
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=present, what=f"with a label in {column!r}"
    )
    out, key = flip_labels(
        df,
        table=table,
        column=column,
        rows=rows,
        present=present,
        codes=codes,
        labels=labels,
        rng=rng,
    )
    return Planted({table: out}, key)


def flip_labels(df, *, table, column, rows, present, codes, labels, rng):
    """Flip the label in `column` of each of `rows` to another of `labels`, every other class
    equally likely. `codes` are the labels' codes of the `present` rows (pd.factorize)."""
    code_of = np.full(len(df), -1, dtype=np.int64)
    code_of[present] = codes
    current = code_of[row_positions(df, rows)]
    # Adding 1..m-1 modulo m lands on every other label with equal chance, never on its own.
    flipped = (current + rng.integers(1, len(labels), len(rows))) % len(labels)
    return replace_cells(
        df, table=table, column=column, rows=rows, values=list(labels.take(flipped))
    )
