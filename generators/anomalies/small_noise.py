"""Small noise: numbers jittered by 1–5 %, still plausible but no longer right."""

from __future__ import annotations

import numpy as np

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import decimals, number_cells, numbers

MIN_JITTER, MAX_JITTER = 0.01, 0.05


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
    x, kind = numbers(col, anomaly="small_noise", table=table, column=column)
    present = np.isfinite(x)
    places = 0 if kind == "int" else decimals(x[present])
    # The column's last digit: a value must be large enough that 5 % of it moves that digit,
    # or the noise would be rounded away (quantities 1–19 cannot be jittered by 5 %).
    unit = 0.0 if places is None else 10.0**-places
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
    before = x[row_positions(df, rows)]
    share = rng.uniform(MIN_JITTER, MAX_JITTER, len(rows))
    sign = rng.choice([-1.0, 1.0], len(rows))
    if places is None:
        new = before * (1 + sign * share)
    else:
        # Whole steps of the last digit, at least one so every value changes, at most 5 %.
        steps = np.maximum(1.0, np.floor(np.abs(before) * share / unit))
        new = np.round(before + sign * steps * unit, places)
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=number_cells(new, kind)
    )
    return Planted({table: out}, key)
