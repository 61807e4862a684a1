"""The answer key: one long table, one row per planted change.

Columns (pandera's failure-cases shape, so "what was planted" and "what a candidate missed" join
on table, row, column):

- ``anomaly_id``  which plant made the change (``p01``, ``p02``… in the order plants ran)
- ``anomaly``     the anomaly type (a registered name)
- ``table``       the table changed
- ``row``         the row identity: a clean row's position in its clean table (0-based); rows
                  added by a plant are numbered on from the clean table's length, in the order added
- ``column``      the column changed; "" for whole-row changes
- ``change``      ``cell``, ``row_added`` or ``row_removed``
- ``before``      the cell's text before this plant ("" = missing); "" for row changes
- ``after``       the cell's text after this plant
- ``source_row``  for ``row_added``: the clean row the added row copies; empty otherwise
- ``detail``      optional JSON with anomaly-specific facts (e.g. the character span of planted PII)

How plants compose (the key explains the raw tables exactly, also when plants stack):

- Several plants on one cell form a chain in plant order: the first ``before`` is the clean
  value, each ``before`` is the previous ``after``, the last ``after`` is the raw value. A chain
  whose last ``after`` equals its first ``before`` is no difference and is dropped whole.
- A row added as a copy of another row has the clean counterpart ``source_row`` (resolved through
  copies of copies); the source's chains up to the copy are repeated for the new row, so the new
  row's cells are its counterpart's clean values with its own chains applied.
- Removing a row drops the chains of that row; removing a row that a plant had added drops its
  ``row_added`` too, so the key holds only differences that are visible in the raw tables.

The raw row order is kept as the list of row identities of each raw table (``key/rows/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datalit.generators.text import to_text

KEY_COLUMNS = [
    "anomaly_id",
    "anomaly",
    "table",
    "row",
    "column",
    "change",
    "before",
    "after",
    "source_row",
    "detail",
]
CELL, ROW_ADDED, ROW_REMOVED = "cell", "row_added", "row_removed"

_DTYPES = {
    "anomaly_id": "str",
    "anomaly": "str",
    "table": "str",
    "row": "int64",
    "column": "str",
    "change": "str",
    "before": "str",
    "after": "str",
    "source_row": "Int64",
    "detail": "str",
}


# Key rows are Arrow tables in these columns and types, from the anomaly that makes them to the
# finished key: `compose` filters, takes and appends rows, which Arrow does in one call per
# table where a DataFrame of ten text columns takes a call per column (and building a
# DataFrame costs more than the few rows most plants make); `finalize` turns the key into its
# DataFrame.
SCHEMA = pa.schema(
    [(c, pa.int64() if _DTYPES[c] != "str" else pa.large_string()) for c in KEY_COLUMNS]
)


def _rows(data: dict) -> pa.Table:
    """Key rows from columns given as a scalar, a sequence or an Arrow array (`row` sets the
    count; columns not given are "" or, for source_row, missing)."""
    n = len(data["row"])
    arrays = []
    for name in KEY_COLUMNS:
        kind = SCHEMA.field(name).type
        value = data.get(name, None if name == "source_row" else "")
        if value is None:
            arrays.append(pa.nulls(n, kind))
        elif isinstance(value, str):
            arrays.append(pa.repeat(pa.scalar(value, kind), n))
        elif isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value.cast(kind))
        elif kind == pa.int64():
            arrays.append(pa.array(np.asarray(value, dtype=np.int64)))
        else:
            arrays.append(pa.array(list(value), type=kind))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def no_rows() -> pa.Table:
    """Key rows with no row: the key `compose` starts from."""
    return _rows({"row": []})


def concat(*parts: pa.Table) -> pa.Table:
    """Key rows of several changes, in order, as one set of key rows."""
    return pa.concat_tables(parts)


def cell_changes(
    table: str,
    rows: Sequence[int] | pd.Index,
    column: str,
    before: pd.Series,
    after: pd.Series,
    *,
    detail: Sequence[str] | None = None,
) -> pa.Table:
    """Key rows for cells of one column changed from `before` to `after` (aligned with `rows`).

    Cells whose text did not change are left out: every key row is a real difference.
    """
    # Compared and kept as Arrow text ("" = missing), without a Python string per cell.
    b = pc.fill_null(to_text(before), "")
    a = pc.fill_null(to_text(after), "")
    keep = pc.not_equal(b, a)
    data = {
        "table": table,
        "row": np.asarray(rows, dtype=np.int64)[keep.to_numpy(zero_copy_only=False)],
        "column": column,
        "change": CELL,
        "before": b.filter(keep),
        "after": a.filter(keep),
    }
    if detail is not None:
        data["detail"] = pa.array(list(detail), type=pa.large_string()).filter(keep)
    return _rows(data)


def rows_added(table: str, rows: Sequence[int], source_rows: Sequence[int]) -> pa.Table:
    """Key rows for rows added to `table`, each a copy of the row in `source_rows`."""
    return _rows(
        {
            "table": table,
            "row": rows,
            "change": ROW_ADDED,
            "source_row": np.asarray(source_rows, dtype=np.int64),
        }
    )


def rows_removed(table: str, rows: Sequence[int]) -> pa.Table:
    """Key rows for rows removed from `table`."""
    return _rows({"table": table, "row": rows, "change": ROW_REMOVED})


def stamped(step: pa.Table, *, rows: np.ndarray, anomaly_id: str, anomaly: str) -> pa.Table:
    """One plant's key rows with their final row ids and the plant's id and type."""
    for name, column in (
        ("row", pa.array(rows, type=pa.int64())),
        ("anomaly_id", pa.repeat(pa.scalar(anomaly_id, pa.large_string()), step.num_rows)),
        ("anomaly", pa.repeat(pa.scalar(anomaly, pa.large_string()), step.num_rows)),
    ):
        step = step.set_column(KEY_COLUMNS.index(name), name, column)
    return step


def _row_ids(table: pa.Table, names: pa.Array) -> np.ndarray:
    """Each key row's (table, row) as one int64, so sets of rows compare with numpy: the table's
    position in `names` above bit 40 (row ids are non-negative and far below 2**40)."""
    code = pc.index_in(table["table"], value_set=names).to_numpy().astype(np.int64)
    return code << 40 | table["row"].to_numpy()


def _is(table: pa.Table, change: str) -> np.ndarray:
    return pc.equal(table["change"], change).to_numpy()


def _inner_join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) with left[i] == right[j], in left order then right order (the order of
    an inner merge)."""
    order = np.argsort(right, kind="stable")
    first = np.searchsorted(right[order], left, side="left")
    count = np.searchsorted(right[order], left, side="right") - first
    i = np.repeat(np.arange(len(left)), count)
    # The k-th match of left[i] is right[order[first[i] + k]].
    k = np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)
    return i, order[first[i] + k]


def compose(key: pa.Table, step: pa.Table) -> pa.Table:
    """Add one plant's key rows (`step`, ids already final) to the key being built (`key`:
    start from `no_rows()`)."""
    if not step.num_rows:
        return key
    added, removed = _is(step, ROW_ADDED), _is(step, ROW_REMOVED)
    if not (added.any() or removed.any()):
        # Only cell changes: they extend chains, which `finalize` reads in plant order.
        return pa.concat_tables([key, step])
    names = pc.unique(pa.chunked_array(key["table"].chunks + step["table"].chunks))
    key_ids, step_ids = _row_ids(key, names), _row_ids(step, names)
    key_added = _is(key, ROW_ADDED)
    parts = [key]
    if added.any():
        source_row = step["source_row"].combine_chunks()
        resolved = np.array(pc.fill_null(source_row, -1))
        # The rows copied, as (table, row) ids: the copy's table, the source's row.
        source_ids = (step_ids[added] >> 40 << 40) | resolved[added]
        # A copy of a copy counts from the first copy's clean counterpart.
        copy_of_copy, earlier = _inner_join(source_ids, key_ids[key_added])
        prior_sources = pc.fill_null(key["source_row"], -1).to_numpy()[key_added]
        resolved[np.flatnonzero(added)[copy_of_copy]] = prior_sources[earlier]
        step = step.set_column(
            KEY_COLUMNS.index("source_row"),
            "source_row",
            pa.array(resolved, mask=source_row.is_null().to_numpy(zero_copy_only=False)),
        )
        # The copy inherits the chains its (possibly itself copied) source had at copy time:
        # the key rows of those cells, repeated under the copy's row id.
        cells = np.flatnonzero(_is(key, CELL))
        at, copy = _inner_join(key_ids[cells], source_ids)
        if len(at):
            new_rows = step["row"].to_numpy()[added][copy]
            inherited = key.take(cells[at])
            row = KEY_COLUMNS.index("row")
            parts.append(inherited.set_column(row, "row", pa.array(new_rows)))
    if removed.any():
        gone = np.isin(key_ids, step_ids[removed])
        was_added = key_ids[key_added & gone]
        parts[0] = key.filter(~gone)
        step = step.filter(~(removed & np.isin(step_ids, was_added)))
    parts.append(step)
    return pa.concat_tables(parts)


def _ranks(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Each string's rank among the distinct strings of `values`, in Arrow's (byte-wise) sort
    order: the key's tables, columns and plant ids are a handful of distinct strings, so sorting
    by their ranks is sorting by them, with numbers."""
    distinct = pc.unique(values)
    in_order = distinct.take(pc.sort_indices(distinct))
    return pc.index_in(values, value_set=in_order).to_numpy(zero_copy_only=False)


def finalize(key: pa.Table) -> pd.DataFrame:
    """The finished key: chains with no net difference dropped, sorted by table, row, column,
    then plant order (row additions before cell changes before removals)."""
    key = key.combine_chunks()
    kind = np.where(_is(key, ROW_ADDED), 0, np.where(_is(key, CELL), 1, 2))
    table, column = _ranks(key["table"]), _ranks(key["column"])
    row = key["row"].to_numpy()
    # np.lexsort is stable (rows that tie keep the order plants made them in); its last key
    # sorts first: table, row, kind, column, plant.
    order = np.lexsort((_ranks(key["anomaly_id"]), column, kind, row, table))
    key = key.take(order)
    kind, table, row, column = kind[order], table[order], row[order], column[order]
    # Each cell's chain is now a run of rows in plant order: a row goes on with the chain of
    # the row before when both change the same cell.
    cell = kind == 1
    same_cell = cell[1:] & cell[:-1]
    for c in (table, row, column):
        same_cell &= c[1:] == c[:-1]
    starts = cell & ~np.concatenate([[False], same_cell])
    ends = cell & ~np.concatenate([same_cell, [False]])
    no_change = pc.equal(
        key["before"].take(np.flatnonzero(starts)), key["after"].take(np.flatnonzero(ends))
    )
    # Every row of a chain with no net difference goes (`chain` numbers each cell's chain).
    chain = np.cumsum(starts) - 1
    drop = cell & np.append(no_change.to_numpy(zero_copy_only=False), False)[chain]
    return as_frame(key.filter(~drop) if drop.any() else key)


def as_frame(table: pa.Table) -> pd.DataFrame:
    """Key rows as the key's DataFrame (its dtypes: `str`, int64 and Int64)."""
    columns = {}
    for name in KEY_COLUMNS:
        col = table[name]
        col = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
        if name == "row":
            columns[name] = col.to_numpy(zero_copy_only=False)
        elif name == "source_row":
            values = pc.fill_null(col, 0).to_numpy(zero_copy_only=False)
            columns[name] = pd.arrays.IntegerArray(
                values, col.is_null().to_numpy(zero_copy_only=False)
            )
        else:
            columns[name] = pd.array(col, dtype="str")
    return pd.DataFrame(columns)


def verify(
    clean: Mapping[str, pd.DataFrame],
    raw: Mapping[str, pd.DataFrame],
    key: pd.DataFrame | pa.Table,
    *,
    limit: int = 20,
) -> list[str]:
    """Check that `key` (a key or key rows) explains `raw` exactly from `clean`; return the
    problems found (at most `limit`). Tables are indexed by row identity; cells are compared in
    their text form."""
    if isinstance(key, pa.Table):
        key = as_frame(key)
    problems: list[str] = []

    def problem(msg: str) -> None:
        if len(problems) < limit:
            problems.append(msg)

    unknown = set(key["table"]) - set(clean)
    if unknown:
        problem(f"key names tables that do not exist: {sorted(unknown)}")
    for name, clean_df in clean.items():
        if name not in raw:
            problem(f"table {name!r} is missing from the raw tables")
            continue
        raw_df = raw[name]
        k = key[key["table"] == name]
        if list(raw_df.columns) != list(clean_df.columns):
            problem(f"{name}: raw columns {list(raw_df.columns)} != clean {list(clean_df.columns)}")
            continue
        if not raw_df.index.is_unique:
            problem(f"{name}: raw row identities are not unique")
            continue
        clean_ids, raw_ids = set(clean_df.index), set(raw_df.index)
        removed = set(k.loc[k["change"] == ROW_REMOVED, "row"])
        added_rows = k[k["change"] == ROW_ADDED]
        added = dict(zip(added_rows["row"], added_rows["source_row"], strict=True))
        if clean_ids - raw_ids != removed:
            problem(
                f"{name}: rows missing from raw {sorted(clean_ids - raw_ids)[:5]} "
                f"!= key's removed rows {sorted(removed)[:5]}"
            )
        if raw_ids - clean_ids != set(added):
            problem(
                f"{name}: rows only in raw {sorted(raw_ids - clean_ids)[:5]} "
                f"!= key's added rows {sorted(added)[:5]}"
            )
            continue
        if any(pd.isna(s) or int(s) not in clean_ids for s in added.values()):
            problem(f"{name}: an added row's source_row is not a clean row")
            continue
        counterpart = np.array([added.get(r, r) for r in raw_df.index], dtype=np.int64)
        positions = clean_df.index.get_indexer(counterpart)
        cells = k[k["change"] == CELL]
        bad_rows = set(cells["row"]) - raw_ids
        if bad_rows:
            problem(f"{name}: key changes cells of rows not in raw: {sorted(bad_rows)[:5]}")
        where = dict(zip(raw_df.index, range(len(raw_df)), strict=True))
        for column in clean_df.columns:
            expected = to_text(clean_df[column]).take(positions).to_pylist()
            expected = ["" if v is None else v for v in expected]
            for (row, col), chain in cells[cells["column"] == column].groupby(
                ["row", "column"], sort=False
            ):
                if row not in where:
                    continue
                i = where[row]
                befores, afters = chain["before"].tolist(), chain["after"].tolist()
                if befores[0] != expected[i]:
                    problem(
                        f"{name} row {row} {col}: key's first before {befores[0]!r} "
                        f"!= clean value {expected[i]!r}"
                    )
                for j in range(1, len(befores)):
                    if befores[j] != afters[j - 1]:
                        problem(f"{name} row {row} {col}: chain broken at step {j}")
                if any(b == a for b, a in zip(befores, afters, strict=True)):
                    problem(f"{name} row {row} {col}: a key row changes nothing")
                if befores[0] == afters[-1]:
                    problem(f"{name} row {row} {col}: chain with no net difference")
                expected[i] = afters[-1]
            actual = ["" if v is None else v for v in to_text(raw_df[column]).to_pylist()]
            if actual != expected:
                diffs = [i for i, (x, y) in enumerate(zip(actual, expected, strict=True)) if x != y]
                for i in diffs[:3]:
                    problem(
                        f"{name} row {raw_df.index[i]} {column}: raw {actual[i]!r} but clean+key "
                        f"gives {expected[i]!r} ({len(diffs)} such cells)"
                    )
    return problems
