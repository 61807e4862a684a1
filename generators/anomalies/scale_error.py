"""Scale errors: numbers recorded in the wrong unit (cents for euros, grams for kilograms)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import numbers
from datalit.generators.text import text_list

# Past 1e15 a double no longer holds every cent, and an int64 times the factor may overflow.
LIMIT = 1e15


def _scalable(x: np.ndarray, factor: float, block: int = 1 << 16) -> np.ndarray:
    """Which numbers `x` change visibly when scaled: finite, not zero (zero times anything is
    zero), and still below LIMIT times `factor`. Worked out block by block in one small buffer:
    a million-row column would otherwise take three or four temporary arrays of fresh memory."""
    eligible = np.empty(len(x), dtype=bool)
    scaled = np.empty(min(block, len(x)), dtype=np.float64)
    nonzero = np.empty(len(scaled), dtype=bool)
    with np.errstate(invalid="ignore"):
        for start in range(0, len(x), block):
            part = x[start : start + block]
            out, nz = scaled[: len(part)], nonzero[: len(part)]
            np.abs(part, out=out)
            out *= factor
            ok = eligible[start : start + len(part)]
            np.less(out, LIMIT, out=ok)
            ok &= np.not_equal(part, 0, out=nz)
            ok &= np.isfinite(part, out=nz)
    return eligible


@anomaly(
    "scale_error",
    examples=[
        ("orders", {"table": "orders", "column": "unit_price", "factor": 100}),
        ("orders", {"table": "products", "column": "price_eur"}),
        ("orders", {"table": "orders", "column": "quantity", "factor": 10}),
        ("orders", {"table": "fx_rates", "column": "eur_per_unit", "factor": 0.01}),
    ],
)
def scale_error(tables, *, rng, table, column, fraction=0.02, factor=1000) -> Planted:
    """Numbers in the wrong unit: values times `factor` (1000; 100 for cents; 0.001 for g as kg).

    Integer columns stay integers when `factor` is whole; products keep twelve significant digits.
    """
    df = tables[table]
    col = df[column]
    x, kind = numbers(col, anomaly="scale_error", table=table, column=column)
    eligible = _scalable(x, factor)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a non-zero number in {column!r}",
    )
    pos = row_positions(df, rows)
    if kind == "int" and float(factor).is_integer():
        values = [int(v) * int(factor) for v in col.iloc[pos]]
    else:
        # Twelve significant digits drop the binary noise of the product (12.34 * 1000 is
        # 12340.000000000002) and keep every digit of prices, amounts and measures.
        # (The products as Python floats first: formatting those is cheaper than numpy's.)
        values = [float(t) for t in map("{:.12g}".format, (x[pos] * factor).tolist())]
        if kind == "text":
            values = text_list(pd.Series(values, dtype="float64"))
        elif kind == "int":
            # Integers times 0.001 are no longer integers; the untouched ones read the same.
            df = df.assign(**{column: col.astype("float64")})
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
