"""Functional-dependency violations: one determinant value mapped to two dependent values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly


@anomaly(
    "fd_violations",
    examples=[
        ("orders", {"table": "customers", "column": "city", "determinant": "postcode"}),
        ("orders", {"table": "orders", "column": "currency", "determinant": "customer_id"}),
    ],
)
def fd_violations(tables, *, rng, table, column, determinant, fraction=0.02) -> Planted:
    """Dependency violations: one `determinant` maps to two values of `column` (postcode -> city).

    Later rows of a repeating determinant get another value of `column` (uniformly among its
    values) while the first row keeps the old one.
    """
    if determinant == column:
        raise InvalidArgument(
            "anomaly 'fd_violations': argument 'determinant' must differ from 'column'"
        )
    df = tables[table]
    col, det = df[column], df[determinant]
    present = (det.notna() & col.notna()).to_numpy()
    codes, values = pd.factorize(col[present])
    if len(values) < 2:
        raise InvalidArgument(
            f"anomaly 'fd_violations': argument 'column' needs at least two different values "
            f"in {table}.{column}, got {len(values)}"
        )
    # The first row of each determinant keeps its value as the reference that changed rows
    # contradict; only later rows of a determinant that repeats can change.
    where = np.flatnonzero(present)
    # factorize numbers groups in order of appearance, so a row opens its group exactly when
    # its code exceeds every code before it, and group g's first row is the g-th such row.
    groups, _ = pd.factorize(det[present])
    opens = np.ones(len(groups), dtype=bool)
    opens[1:] = groups[1:] > np.maximum.accumulate(groups)[:-1]
    first = np.flatnonzero(opens)
    later = np.zeros(len(df), dtype=bool)
    later[where] = ~opens
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=later, what=f"whose {determinant!r} repeats"
    )
    # Positions among the present rows, where codes and groups are indexed.
    at = np.searchsorted(where, row_positions(df, rows))
    current = codes[at]
    reference = codes[first[groups[at]]]
    # A value drawn uniformly from the column's values other than the row's own and its
    # reference's: draw among the rest, then step over the excluded codes.
    low, high = np.minimum(current, reference), np.maximum(current, reference)
    excluded = np.where(current == reference, 1, 2)
    room = len(values) - excluded
    drawn = rng.integers(0, np.maximum(room, 1))
    drawn = drawn + (drawn >= low)
    drawn = drawn + ((drawn >= high) & (excluded == 2))
    # With two values, a row already contradicting its reference has nothing left to take.
    keep = room > 0
    out, key = replace_cells(
        df,
        table=table,
        column=column,
        rows=rows[keep],
        values=list(values.take(drawn[keep])),
    )
    return Planted({table: out}, key)
