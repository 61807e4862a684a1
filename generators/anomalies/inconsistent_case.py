"""Inconsistent case: the same text in UPPER, lower, Title or sWAPPED case."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows

# What different entry paths do to case: a form that upper-cases, a system that lower-cases,
# a spreadsheet's PROPER(), and Caps Lock left on while typing.
VARIANTS = (str.upper, str.lower, str.title, str.swapcase)


def recase(text: str, u: float) -> str:
    """`text` in one of the case variants that differs from it, chosen by `u` in [0, 1)."""
    options = [v for v in (f(text) for f in VARIANTS) if v != text]
    return options[int(u * len(options))]


@anomaly(
    "inconsistent_case",
    examples=[
        ("orders", {"table": "customers", "column": "city"}),
        ("orders", {"table": "orders", "column": "status"}),
        ("orders", {"table": "products", "column": "category"}),
    ],
)
def inconsistent_case(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Text in another case (UPPER, lower, Title or sWAPPED): "Boston", "BOSTON", "boston".

    Each changed value gets one of the variants that differs from it, so one category ends up
    spelled several ways; values without a cased letter are left alone.
    """
    df = tables[table]
    col = df[column]
    # Upper and swapped case differ from the text as soon as it has one cased letter.
    eligible = text_rows(
        col,
        lambda text: ((text.str.upper() != text) | (text.str.lower() != text)) & text.notna(),
    )
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=eligible, what=f"with letters in {column!r}"
    )
    u = rng.random(len(rows))
    values = [recase(t, x) for t, x in zip(col.loc[rows].tolist(), u, strict=True)]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
