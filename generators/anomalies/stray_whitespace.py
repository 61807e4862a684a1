"""Stray whitespace: leading, trailing or doubled spaces, tabs and non-breaking spaces."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows

NBSP = "\u00a0"


def _inner_space(text: str, u: float) -> int | None:
    """The position of one space between two words, or None when there is none."""
    spaces = [i for i in range(1, len(text) - 1) if text[i] == " "]
    return spaces[int(u * len(spaces))] if spaces else None


def pad(text: str, how: int, u: float) -> str:
    """`text` with stray whitespace of kind `how` (0-5); `u` in [0, 1) picks where.

    The kinds: 0 a leading space, 1 a trailing space, 2 a doubled inner space (two trailing
    spaces when there is no inner space), 3 a non-breaking space for an inner space (copied from
    a web page; a trailing one when there is no inner space), 4 a leading or trailing tab (pasted
    from a spreadsheet), 5 a space on both sides. The result always differs from `text`.
    """
    if how == 0:
        return " " + text
    if how == 1:
        return text + " "
    if how == 4:
        return "\t" + text if u < 0.5 else text + "\t"
    i = _inner_space(text, u)
    if how == 2:
        return text[:i] + " " + text[i:] if i is not None else text + "  "
    if how == 3:
        return text[:i] + NBSP + text[i + 1 :] if i is not None else text + NBSP
    return " " + text + " "


@anomaly(
    "stray_whitespace",
    examples=[
        ("orders", {"table": "customers", "column": "name"}),
        ("orders", {"table": "customers", "column": "city"}),
        ("orders", {"table": "orders", "column": "status"}),
        ("orders", {"table": "customers", "column": "customer_id"}),
    ],
)
def stray_whitespace(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Stray whitespace in text: leading, trailing or doubled spaces, tabs, non-breaking spaces.

    Values that look equal then compare unequal. See `pad` for the kinds.
    """
    df = tables[table]
    col = df[column]
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=text_rows(col), what=f"with text in {column!r}"
    )
    how = rng.integers(0, 6, len(rows))
    u = rng.random(len(rows))
    texts = col.loc[rows].tolist()
    values = [pad(t, h, x) for t, h, x in zip(texts, how, u, strict=True)]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
