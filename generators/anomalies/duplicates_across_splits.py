"""Duplicates across splits: a record copied into the other split, so train and test share it."""

from __future__ import annotations

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies.patch import copy_rows, pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import is_text


@anomaly(
    "duplicates_across_splits",
    examples=[("churn", {"table": "churn", "column": "split"})],
)
def duplicates_across_splits(tables, *, rng, table, column, fraction=0.03) -> Planted:
    """Copies of rows with the split `column` flipped (train <-> test): the same customer in both.

    `column` must hold exactly two values; each copy is its source row with the other one, at a
    random place in the table, as a second export appended to the first would leave it.
    """
    df = tables[table]
    col = df[column]
    values = sorted(col.dropna().astype("str").unique()) if is_text(col) else []
    if len(values) != 2:
        raise InvalidArgument(
            f"anomaly 'duplicates_across_splits': argument 'column' must be a text column with "
            f"exactly two values (the splits); {table}.{column} holds {len(values)} distinct texts"
        )
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=col.notna().to_numpy(),
        what=f"with a split in {column!r}",
    )
    out, added, new_ids = copy_rows(df, rng, table=table, sources=rows)
    other = {values[0]: values[1], values[1]: values[0]}
    flipped = [other[v] for v in out.loc[new_ids, column].astype("str")]
    out, changed = replace_cells(out, table=table, column=column, rows=new_ids, values=flipped)
    return Planted({table: out}, K.concat(added, changed))
