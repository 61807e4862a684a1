"""Lost leading zeros: codes like "02108" read as the number 2108."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows

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
    eligible = text_rows(col, lambda text: text.str.fullmatch(ZERO_LED))
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
