"""Outliers: values far outside a numeric column's range, by a controlled degree."""

from __future__ import annotations

import numpy as np

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import decimals, number_cells, numbers

# Share of outliers placed below the range, where the column allows it.
LOW_SHARE = 0.3


@anomaly(
    "outliers",
    examples=[
        ("orders", {"table": "orders", "column": "unit_price"}),
        ("orders", {"table": "orders", "column": "quantity", "degree": 5}),
        ("orders", {"table": "products", "column": "price_eur", "degree": 1.5}),
    ],
)
def outliers(tables, *, rng, table, column, fraction=0.01, degree=3) -> Planted:
    """Outliers past Tukey's fences: `degree` to 2 × `degree` IQRs beyond the quartiles.

    Mostly above the range, below it too where the column has room (never a sign flip), rounded
    away from the range like the column; only values inside the fences are replaced.
    """
    df = tables[table]
    col = df[column]
    x, kind = numbers(col, anomaly="outliers", table=table, column=column)
    present = np.isfinite(x)
    values_present = x[present]
    if len(values_present):
        q1, q3 = np.quantile(values_present, [0.25, 0.75])
    else:
        q1 = q3 = 0.0
    iqr = q3 - q1
    low_fence, high_fence = q1 - degree * iqr, q3 + degree * iqr
    # Values already past a fence are outliers of their own; a planted one must be new.
    with np.errstate(invalid="ignore"):
        eligible = present & (x >= low_fence) & (x <= high_fence)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a number in {column!r} inside its range",
    )
    # A column with no spread (IQR 0) still needs a distance to place outliers at.
    spread = iqr
    if spread <= 0:
        spread = float(np.std(values_present)) if len(values_present) else 0.0
    if spread <= 0:
        spread = max(abs(q3), 1.0)
    # (1, 2] rather than [1, 2): never exactly on the fence.
    stretch = degree * spread * (2.0 - rng.random(len(rows)))
    # Below the range only where that keeps the column's sign (no negative prices).
    signed = len(values_present) > 0 and values_present.min() < 0
    room_below = signed or q1 - 2 * degree * spread >= 0
    low = (rng.random(len(rows)) < LOW_SHARE) & room_below
    new = np.where(low, q1 - stretch, q3 + stretch)
    places = 0 if kind == "int" else decimals(values_present)
    if places is not None:
        # Round away from the range, so rounding never pulls a value back inside a fence.
        scale = 10.0**places
        new = np.where(low, np.floor(new * scale), np.ceil(new * scale)) / scale
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=number_cells(new, kind)
    )
    return Planted({table: out}, key)
