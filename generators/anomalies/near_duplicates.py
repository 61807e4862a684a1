"""Near duplicates: a copy of a row whose text differs in case or whitespace."""

from __future__ import annotations

import pyarrow.compute as pc

from datalit.generators import key as K
from datalit.generators.anomalies.patch import copy_rows, pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import is_text, to_text


def vary(text: str, how: int) -> str:
    """One of the variants a second data entry makes: upper case, title case, padded."""
    variants = (text.upper(), text.title(), f" {text} ", text.lower().capitalize(), f"{text} ")
    out = variants[how % len(variants)]
    return out if out != text else f" {text}"


@anomaly(
    "near_duplicates",
    examples=[
        ("orders", {"table": "customers", "column": "email"}),
        ("orders", {"table": "customers", "column": "name"}),
    ],
)
def near_duplicates(tables, *, rng, table, column, fraction=0.02) -> Planted:
    """Add copies of rows whose `column` text differs only in case or surrounding whitespace
    (the same customer entered twice)."""
    df = tables[table]
    col = df[column]
    if col.dtype == "str":
        # Text with something besides whitespace (what `str.strip()` keeps), tested in Arrow
        # without writing out the stripped strings.
        text = to_text(col)
        eligible = (
            pc.and_(pc.greater(pc.binary_length(text), 0), pc.invert(pc.utf8_is_space(text)))
            .fill_null(False)
            .to_numpy(zero_copy_only=False)
        )
    elif is_text(col):
        eligible = col.str.strip().str.len().fillna(0).gt(0).to_numpy()
    else:
        eligible = col.notna().to_numpy()
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=eligible, what=f"with text in {column!r}"
    )
    out, added, new_ids = copy_rows(df, rng, table=table, sources=rows)
    # The copies' cells by position (`loc` would hash the whole index to find them).
    copies = out[column].iloc[row_positions(out, new_ids)]
    texts = [str(v) for v in copies.astype("str")]
    how = rng.integers(0, 5, len(texts))
    out, changed = replace_cells(
        out,
        table=table,
        column=column,
        rows=new_ids,
        values=[vary(t, h) for t, h in zip(texts, how, strict=True)],
    )
    return Planted({table: out}, K.concat(added, changed))
