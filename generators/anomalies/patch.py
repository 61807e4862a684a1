"""Helpers anomalies share: choose rows, change cells, add and remove rows, with key rows.

They change tables in bulk (one column assignment, one concatenation) and never in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from datalit.generators import key as K
from datalit.generators.text import as_text_column

from datalit.errors import InvalidArgument


def pick_rows(
    df: pd.DataFrame,
    fraction: float,
    rng: np.random.Generator,
    *,
    table: str,
    eligible: np.ndarray | pd.Series | None = None,
    what: str = "",
) -> pd.Index:
    """Choose round(fraction × eligible rows) rows uniformly (at least one when fraction > 0).

    Raises when the table has no eligible row, naming the table and `what` they must satisfy.
    """
    mask = np.ones(len(df), dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    candidates = np.flatnonzero(mask)
    if fraction == 0:
        return df.index[:0]
    if len(candidates) == 0:
        need = f" {what}" if what else ""
        raise InvalidArgument(
            f"table {table!r} has no rows{need} to plant this anomaly in "
            f"({len(df)} rows); generate more rows or choose another table/column"
        )
    k = max(1, round(fraction * len(candidates)))
    chosen = np.sort(rng.choice(candidates, size=k, replace=False))
    return df.index[chosen]


def _is_missing(values: Sequence) -> bool:
    return all(v is None or (isinstance(v, float) and np.isnan(v)) for v in values)


def replace_cells(
    df: pd.DataFrame,
    *,
    table: str,
    column: str,
    rows: pd.Index,
    values: Sequence | pd.Series | np.ndarray,
    detail: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set `column` at `rows` to `values`; return the new table and the key rows.

    A column receiving text becomes a text column whose other cells read as before; an integer
    column receiving missing values becomes nullable, so no other cell's text changes.
    """
    values = list(values)
    col = df[column]
    if not _is_missing(values):
        if any(isinstance(v, str) for v in values) and col.dtype != "str":
            col = as_text_column(col)
    else:
        if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.Int64Dtype):
            col = col.astype("Int64")
        elif pd.api.types.is_bool_dtype(col.dtype):
            col = col.astype("boolean")
        # The column's own missing marker, so setting never changes the dtype.
        values = [col.dtype.na_value if hasattr(col.dtype, "na_value") else None] * len(values)
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            values = [pd.NaT] * len(values)
        elif pd.api.types.is_float_dtype(col.dtype):
            values = [np.nan] * len(values)
    pos = df.index.get_indexer(rows)
    new = col.copy()
    new.iloc[pos] = values
    key = K.cell_changes(table, rows, column, col.iloc[pos], new.iloc[pos], detail=detail)
    out = df.copy(deep=False)
    out[column] = new
    return out, key


def copy_rows(
    df: pd.DataFrame,
    rng: np.random.Generator,
    *,
    table: str,
    sources: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index]:
    """Insert exact copies of the rows `sources` at random positions.

    The copies get provisional ids -1, -2, … (the engine numbers them). Returns the new table, the
    ``row_added`` key rows and the copies' ids; alter copies afterwards with `replace_cells`.
    """
    n_new = len(sources)
    labels = pd.Index(np.arange(-1, -n_new - 1, -1, dtype=np.int64))
    source_pos = df.index.get_indexer(sources)
    # One gather per column over [all rows + copies]: cheaper than concat + iloc on the frame.
    order = np.arange(len(df), dtype=np.int64)
    at = np.sort(rng.integers(0, len(df) + 1, size=n_new))
    order = np.insert(order, at, source_pos)
    index = np.insert(df.index.to_numpy(), at, labels.to_numpy())
    out = pd.DataFrame(
        {c: df[c].array.take(order) for c in df.columns}, index=pd.Index(index), copy=False
    )
    return out, K.rows_added(table, labels, list(sources)), labels


def remove_rows(
    df: pd.DataFrame, *, table: str, rows: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop `rows`; return the new table and the ``row_removed`` key rows."""
    keep = np.ones(len(df), dtype=bool)
    keep[df.index.get_indexer(rows)] = False
    # Positional selection: several times faster than drop() on a million-row table.
    return df.iloc[np.flatnonzero(keep)], K.rows_removed(table, list(rows))
