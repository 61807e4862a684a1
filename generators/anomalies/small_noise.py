"""Small noise: numbers jittered by 1–5 %, still plausible but no longer right."""

from __future__ import annotations

import numpy as np
import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import text_list

from datalit.errors import InvalidArgument

MIN_JITTER, MAX_JITTER = 0.01, 0.05


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
            f"anomaly 'small_noise': argument 'column' must be a numeric column; "
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
    "small_noise",
    examples=[
        ("orders", {"table": "orders", "column": "unit_price"}),
        ("orders", {"table": "products", "column": "price_eur"}),
        ("orders", {"table": "fx_rates", "column": "eur_per_unit"}),
    ],
)
def small_noise(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Numbers jittered up or down by 1–5 %, rounded like the column: plausible but no longer right.

    Every chosen value changes by at least one last digit, so values too small for 5 % to reach
    the column's last digit are left alone.
    """
    df = tables[table]
    col = df[column]
    x, kind = _numbers(col, table, column)
    present = np.isfinite(x)
    decimals = 0 if kind == "int" else _decimals(x[present])
    # The column's last digit: a value must be large enough that 5 % of it moves that digit,
    # or the noise would be rounded away (quantities 1–19 cannot be jittered by 5 %).
    unit = 0.0 if decimals is None else 10.0**-decimals
    with np.errstate(invalid="ignore"):
        eligible = present & (x != 0) & (np.abs(x) * MAX_JITTER >= unit * (1 - 1e-9))
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a number in {column!r} large enough to change by 5 %",
    )
    before = x[df.index.get_indexer(rows)]
    share = rng.uniform(MIN_JITTER, MAX_JITTER, len(rows))
    sign = rng.choice([-1.0, 1.0], len(rows))
    if decimals is None:
        new = before * (1 + sign * share)
    else:
        # Whole steps of the last digit, at least one so every value changes, at most 5 %.
        steps = np.maximum(1.0, np.floor(np.abs(before) * share / unit))
        new = np.round(before + sign * steps * unit, decimals)
    if kind == "int":
        values = [int(v) for v in new]
    elif kind == "text":
        values = text_list(pd.Series(new, dtype="float64"))
    else:
        values = new.tolist()
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
