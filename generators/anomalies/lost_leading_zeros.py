"""Lost leading zeros: codes like "02108" read as the number 2108."""

from __future__ import annotations

import numpy as np
import pandas as pd
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly

# All digits, with leading zeros and a non-zero digit after them, so the number a spreadsheet
# reads is the code without its zeros (never "" or "0").
ZERO_LED = r"0+[1-9][0-9]*"


@anomaly(
    "lost_leading_zeros",
    examples=[("orders", {"table": "customers", "column": "postcode"})],
)
def lost_leading_zeros(tables, *, rng, table, column, fraction=0.2) -> Planted:
    """Digit codes that lose their leading zeros ("02108" -> "2108"), as a spreadsheet does.

    Eligible: all-digit text that starts with 0 and has a non-zero digit (ZIP codes, account
    numbers, ids), which a spreadsheet or CSV reader parses as a number.
    """
    df = tables[table]
    col = df[column]
    if pd.api.types.is_string_dtype(col):
        matches = col.astype("str").str.fullmatch(ZERO_LED)
        eligible = matches.fillna(False).to_numpy(dtype=bool)
    else:
        eligible = np.zeros(len(df), dtype=bool)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a digit code that starts with 0 in {column!r}",
    )
    values = [t.lstrip("0") for t in col.loc[rows].tolist()]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
