"""Helpers anomalies share: choose rows, change cells, add and remove rows, with key rows.

They change tables in bulk (one column assignment, one concatenation) and never in place.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from contextvars import ContextVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.parallel import parallel_map
from datalit.generators.pools import distinct_dtype
from datalit.generators.text import as_text_column, is_text, to_text


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
    mask = None if eligible is None else np.asarray(eligible, dtype=bool)
    if mask is not None and mask.all():
        # Every row eligible: positions are drawn directly, the same draw as from the list of
        # all positions without a million-entry array of them.
        mask = None
    count = len(df) if mask is None else int(np.count_nonzero(mask))
    if fraction == 0:
        return df.index[:0]
    if count == 0:
        need = f" {what}" if what else ""
        raise InvalidArgument(
            f"table {table!r} has no rows{need} to plant this anomaly in "
            f"({len(df)} rows); generate more rows or choose another table/column"
        )
    k = max(1, round(fraction * count))
    chosen = np.sort(rng.choice(count, size=k, replace=False))
    if mask is not None:
        chosen = _true_positions(mask, chosen)
    return df.index[chosen]


def _true_positions(mask: np.ndarray, ranks: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """The positions of the `ranks`-th True values of `mask` (ranks sorted ascending):
    ``np.flatnonzero(mask)[ranks]`` without the array of every True position (8 MB of fresh
    memory for a million rows, to read a few thousand of them). Counted block by block."""
    starts = np.arange(0, len(mask), block)
    counts = np.array([np.count_nonzero(mask[s : s + block]) for s in starts], dtype=np.int64)
    before = np.cumsum(counts) - counts  # True values before each block
    where = np.searchsorted(before, ranks, side="right") - 1  # each rank's block
    out = np.empty(len(ranks), dtype=np.int64)
    for b in np.unique(where):
        at = where == b
        out[at] = (
            starts[b] + np.flatnonzero(mask[starts[b] : starts[b] + block])[ranks[at] - before[b]]
        )
    return out


def _is_missing(values: list) -> bool:
    if values.count(None) == len(values):  # the usual case, counted in C
        return True
    return all(v is None or (isinstance(v, float) and np.isnan(v)) for v in values)


def _all_text(values: list) -> bool:
    """Every value is a str (or a subclass, like numpy's) or None: the few distinct types are
    collected in C, not tested value by value."""
    return all(t is type(None) or issubclass(t, str) for t in set(map(type, values)))


def row_positions(df: pd.DataFrame, rows: pd.Index) -> np.ndarray:
    """The positions in `df` of the row identities `rows` (-1 for one not in `df`)."""
    index = df.index
    if isinstance(index, pd.RangeIndex):
        # Arithmetic on the range (to_numpy first would write out all of its labels).
        return index.get_indexer(rows)
    labels = index.to_numpy()
    if labels.dtype != np.int64 or not len(labels):
        return index.get_indexer(rows)
    found = _position_table(labels)
    if found is None:
        return index.get_indexer(rows)
    # Once rows were added the index is no longer a range. Row ids are dense integers, so a
    # table over their range gives each label's position: built once per index (several plants
    # look rows up in the same table), where pandas would hash all of it (some 30 MB for a
    # million rows).
    low, table = found
    wanted = np.asarray(rows, dtype=np.int64)
    inside = (wanted >= low) & (wanted < low + len(table))
    out = np.full(len(wanted), -1, dtype=np.int64)
    out[inside] = table[wanted[inside] - low]
    return out


# Position tables of recent indexes, by the identity of their labels' memory (see
# `_position_table`); a few at a time (each is 4 bytes per id).
_POSITIONS: dict[tuple, tuple] = {}
_POSITIONS_KEPT = 4


def _position_table(labels: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(low, table) with table[label - low] the position of each label and -1 where there is
    none, for distinct int64 `labels` spanning at most 4 times their count (None otherwise).

    Kept while the array holding the labels lives: an index's labels are never written to
    (pandas hands them out read-only), so the same memory holds the same labels. Shallow copies
    of a table share it, so the plants after one that added rows find the table built."""
    root = labels
    while isinstance(root.base, np.ndarray):
        root = root.base
    key = (id(root), labels.__array_interface__["data"][0], labels.shape, labels.strides)
    hit = _POSITIONS.get(key)
    if hit is not None and hit[0]() is root:
        return hit[1], hit[2]
    low, high = int(labels.min()), int(labels.max())
    if high - low > 4 * len(labels) or len(labels) >= 2**31:
        return None
    table = np.full(high - low + 1, -1, dtype=np.int32)
    table[labels - low if low else labels] = np.arange(len(labels), dtype=np.int32)
    while len(_POSITIONS) >= _POSITIONS_KEPT:
        _POSITIONS.pop(next(iter(_POSITIONS)))
    _POSITIONS[key] = (weakref.ref(root, lambda _, key=key: _POSITIONS.pop(key, None)), low, table)
    return low, table


def _set_categorical(col: pd.Series, pos: np.ndarray, values: list) -> pd.Series:
    """A copy of `col`, a categorical of strings, with `values` (strings or None) at `pos`.

    Works on the codes: strings not yet among the categories become new ones. (Adding
    categories and setting values through pandas goes through Python lists of every category:
    slow for a foreign key, which has as many categories as its parent has rows.)
    """
    categories = col.cat.categories
    text = pa.array(values, type=pa.large_string())
    distinct = pc.unique(text.drop_null())
    # Each distinct value's category: Arrow hashes the few values and probes the categories.
    match = pc.index_in(to_text(pd.Series(categories)), value_set=distinct)
    code_of = np.full(len(distinct), -1, dtype=np.int64)
    code_of[match.drop_null().to_numpy()] = np.flatnonzero(match.is_valid())
    # Strings that are no category yet are added, in the order they first come.
    new = code_of < 0
    code_of[new] = len(categories) + np.arange(np.count_nonzero(new))
    if new.any():
        categories = categories.append(pd.Index(distinct.filter(new), dtype=categories.dtype))
    at = pc.index_in(text, value_set=distinct).fill_null(-1).to_numpy(zero_copy_only=False)
    old = col.array.codes
    # A copy, in an integer type that holds every new code; missing values are code -1.
    codes = old.astype(np.promote_types(old.dtype, np.min_scalar_type(-len(categories))))
    codes[pos] = np.append(code_of, -1)[at]
    # The added strings are distinct and none is a category yet: no need to check again that
    # the categories are distinct (a hash of all of them, ~15 ms for a foreign key).
    dtype = col.dtype if not new.any() else distinct_dtype(categories)
    codes = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.Series(codes, index=col.index, name=col.name, copy=False)


def replace_cells(
    df: pd.DataFrame,
    *,
    table: str,
    column: str,
    rows: pd.Index,
    values: Sequence | pd.Series | np.ndarray,
    detail: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pa.Table]:
    """Set `column` at `rows` to `values`; return the new table and the key rows.

    A column receiving text becomes a text column whose other cells read as before (a
    categorical of strings gains the new strings as categories); an integer column receiving
    missing values becomes nullable, so no other cell's text changes.
    """
    values = list(values)
    col = df[column]
    pos = row_positions(df, rows)
    before = col.iloc[pos]
    if is_text(col) and isinstance(col.dtype, pd.CategoricalDtype) and _all_text(values):
        new = _set_categorical(col, pos, values)
    else:
        new = _set_text(col, pos, values)
        if new is None:
            new = _set_numbers(col, pos, values)
        if new is None:
            new, values = _receiving(col, values)
            new.iloc[pos] = values
    key = K.cell_changes(table, rows, column, before, new.iloc[pos], detail=detail)
    out = df.copy(deep=False)
    out[column] = new
    return out, key


def _set_text(col: pd.Series, pos: np.ndarray, values: list) -> pd.Series | None:
    """A copy of `col`, a `str` column, with `values` (strings or None) at `pos`: one Arrow take
    from the column with the values appended, which is what ``iloc`` gives without pandas'
    full-length mask and conversions. None for other columns and values."""
    if col.dtype != "str" or not _all_text(values):
        return None
    text = to_text(col)
    # Every row reads itself, except the rows at `pos`, which read their new value.
    source = np.arange(len(col), dtype=np.int64)
    source[pos] = len(col) + np.arange(len(pos))
    appended = pa.concat_arrays([text, pa.array(values, type=pa.large_string())])
    new = pd.array(appended.take(pa.array(source)), dtype=col.dtype)
    return pd.Series(new, index=col.index, name=col.name, copy=False)


def _set_numbers(col: pd.Series, pos: np.ndarray, values: list) -> pd.Series | None:
    """A copy of `col`, a numpy integer or float column, with `values` at `pos`, set on the
    array: what `_receiving` and ``iloc`` give (missing values make an integer column
    nullable ``Int64``), without pandas' per-value checks and conversions. None for other
    columns and values (those take the general way)."""
    dtype = col.dtype
    if not isinstance(dtype, np.dtype) or dtype not in (np.int64, np.float64):
        return None
    if _is_missing(values):
        if dtype == np.float64:
            array = col.to_numpy(copy=True)
            array[pos] = np.nan
        else:
            # The nullable column keeps the integers where they are: its mask hides the cells
            # now missing. The data is shared read-only with the input column (pandas copies
            # before writing into a read-only array), so no million-row copy is made.
            data = col.to_numpy().view()
            data.flags.writeable = False
            mask = np.zeros(len(data), dtype=bool)
            mask[pos] = True
            array = pd.arrays.IntegerArray(data, mask)
    else:
        given = np.asarray(values)
        if given.dtype != dtype or given.shape != (len(pos),):
            return None
        array = col.to_numpy(copy=True)
        array[pos] = given
    return pd.Series(array, index=col.index, name=col.name, copy=False)


def _receiving(col: pd.Series, values: list) -> tuple[pd.Series, list]:
    """A copy of `col` in a type that takes `values` with no other cell's text changing, and the
    values to set (missing values as the column's own missing marker)."""
    if not _is_missing(values):
        if any(isinstance(v, str) for v in values) and col.dtype != "str":
            return as_text_column(col), values
        return col.copy(), values
    if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.Int64Dtype):
        new = col.astype("Int64")
    elif pd.api.types.is_bool_dtype(col.dtype):
        new = col.astype("boolean")
    else:
        new = col.copy()
    # The column's own missing marker, so setting never changes the dtype.
    if pd.api.types.is_datetime64_any_dtype(new.dtype):
        marker = pd.NaT
    elif pd.api.types.is_float_dtype(new.dtype):
        marker = np.nan
    else:
        marker = new.dtype.na_value if hasattr(new.dtype, "na_value") else None
    return new, [marker] * len(values)


# While the engine plants, the next free row id of each table (the engine's own counts, which
# this module advances as it adds rows): added rows get their final ids at once, and the engine
# has no million-row index to renumber. Unset when an anomaly is called on its own.
NEXT_ROW_ID: ContextVar[dict[str, int] | None] = ContextVar("next_row_id", default=None)


def _new_row_ids(table: str, k: int) -> np.ndarray:
    """Ids for `k` rows added to `table`: the next free ones, or provisional -1, -2, …"""
    next_ids = NEXT_ROW_ID.get()
    if next_ids is None or table not in next_ids:
        return np.arange(-1, -k - 1, -1, dtype=np.int64)
    first = next_ids[table]
    next_ids[table] = first + k
    return np.arange(first, first + k, dtype=np.int64)


def copy_rows(
    df: pd.DataFrame,
    rng: np.random.Generator,
    *,
    table: str,
    sources: pd.Index,
) -> tuple[pd.DataFrame, pa.Table, pd.Index]:
    """Insert exact copies of the rows `sources` at random positions.

    The copies get the table's next free ids while the engine plants (`NEXT_ROW_ID`), and
    provisional ids -1, -2, … otherwise, for the caller to number. Returns the new table, the
    ``row_added`` key rows and the copies' ids; alter copies afterwards with `replace_cells`.
    """
    n, k = len(df), len(sources)
    labels = pd.Index(_new_row_ids(table, k))
    # The copies go before the rows at sorted random positions: the j-th copy lands at
    # at[j] + j in the new table.
    at = np.sort(rng.integers(0, n + 1, size=k))
    copy_at = at + np.arange(k)
    # The row each position of the new table reads, for one gather per column (cheaper than
    # concat + iloc on the frame): the running count of original rows, and the copies'
    # sources. Built in place in one array, without the temporaries np.insert would add.
    order = np.ones(n + k, dtype=np.int64)
    order[copy_at] = 0
    np.cumsum(order, out=order)
    order -= 1
    order[copy_at] = row_positions(df, sources)
    columns = parallel_map(lambda c: df[c].array.take(order), df.columns)
    if isinstance(df.index, pd.RangeIndex) and df.index.equals(pd.RangeIndex(n)):
        # A clean table: an original row's identity is its position, which `order` holds
        # already; it is not needed any more, so it becomes the index (no 8 MB copy).
        index = order
    else:
        index = np.empty(n + k, dtype=np.int64)
        original = np.ones(n + k, dtype=bool)
        original[copy_at] = False
        index[original] = df.index.to_numpy()
    index[copy_at] = labels.to_numpy()
    out = pd.DataFrame(
        dict(zip(df.columns, columns, strict=True)), index=pd.Index(index, copy=False), copy=False
    )
    return out, K.rows_added(table, labels, np.asarray(sources, dtype=np.int64)), labels


def remove_rows(df: pd.DataFrame, *, table: str, rows: pd.Index) -> tuple[pd.DataFrame, pa.Table]:
    """Drop `rows`; return the new table and the ``row_removed`` key rows."""
    keep = np.ones(len(df), dtype=bool)
    keep[row_positions(df, rows)] = False
    # Positional selection: several times faster than drop() on a million-row table.
    return df.iloc[np.flatnonzero(keep)], K.rows_removed(table, list(rows))
