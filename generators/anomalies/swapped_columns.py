"""Swapped columns: two values of a row entered into each other's column."""

from __future__ import annotations

import pyarrow.compute as pc

from datalit.generators import key as K
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import text_list, to_text


@anomaly(
    "swapped_columns",
    examples=[
        ("orders", {"table": "customers", "columns": ["street", "city"]}),
        ("orders", {"table": "customers", "columns": ["name", "email"]}),
        ("orders", {"table": "orders", "columns": ["ordered_at", "delivered_at"]}),
    ],
)
def swapped_columns(tables, *, rng, table, columns, fraction=0.02) -> Planted:
    """Values of two `columns` swapped within a row (street <-> city, name <-> email, two dates).

    Only rows where both values are set and differ; each swap is two key rows that mirror each
    other.
    """
    df = tables[table]
    first, second = columns
    a, b = df[first], df[second]
    # Both set and different, or the swap would change nothing. Values of one type compare
    # as they are; values of two types compare as they read.
    if a.dtype == b.dtype:
        eligible = (a.notna() & b.notna() & (a != b)).to_numpy(dtype=bool)
    else:
        text_a, text_b = to_text(a), to_text(b)
        eligible = pc.fill_null(pc.not_equal(text_a, text_b), False).to_numpy(zero_copy_only=False)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"where {first!r} and {second!r} are both set and differ",
    )
    pos = row_positions(df, rows)
    if a.dtype == b.dtype:
        to_first, to_second = list(b.iloc[pos]), list(a.iloc[pos])
    else:
        # Different types (a date into a text column): each value moves as it reads, and a
        # column receiving text becomes a text column whose other cells read as before.
        to_first, to_second = text_list(b.iloc[pos]), text_list(a.iloc[pos])
    out, key_first = replace_cells(df, table=table, column=first, rows=rows, values=to_first)
    out, key_second = replace_cells(out, table=table, column=second, rows=rows, values=to_second)
    return Planted({table: out}, K.concat(key_first, key_second))
