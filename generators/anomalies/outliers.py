"""Outliers: values far outside a numeric column's range, by a controlled degree."""

from __future__ import annotations

import numpy as np
import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import text_list

from datalit.errors import InvalidArgument

# Share of outliers placed below the range, where the column allows it.
LOW_SHARE = 0.3


def _numbers(col: pd.Series, table: str, column: str) -> tuple[np.ndarray, str]:
    """The column's numbers as floats (nan where there is none) and its kind: int, float or text
    (a numeric column an earlier plant turned into text, e.g. with "N/A")."""
    kind, x = None, None
    if pd.api.types.is_bool_dtype(col.dtype):
        pass
    elif pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        kind = "int" if pd.api.types.is_integer_dtype(col.dtype) else "float"
        x = col.to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_string_dtype(col.dtype):
        kind = "text"
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if x is None or (kind == "text" and not np.isfinite(x).any()):
        raise InvalidArgument(
            f"anomaly 'outliers': argument 'column' must be a numeric column; "
            f"{table}.{column} holds {col.dtype}"
        )
    return np.where(np.isfinite(x), x, np.nan), kind


def _decimals(x: np.ndarray) -> int | None:
    """The fewest decimals (up to 6) that write every value of `x`; None for measurements with
    more."""
    tolerance = 1e-9 * np.maximum(1.0, np.abs(x))
    for d in range(7):
        if np.all(np.abs(x - np.round(x, d)) <= tolerance):
            return d
    return None


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
    x, kind = _numbers(col, table, column)
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
    decimals = 0 if kind == "int" else _decimals(values_present)
    if decimals is not None:
        # Round away from the range, so rounding never pulls a value back inside a fence.
        scale = 10.0**decimals
        new = np.where(low, np.floor(new * scale), np.ceil(new * scale)) / scale
    if kind == "int":
        values = [int(v) for v in new]
    elif kind == "text":
        values = text_list(pd.Series(new, dtype="float64"))
    else:
        values = new.tolist()
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
