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
from datalit.generators.text import text_list, to_text

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


def _frame(data: dict) -> pd.DataFrame:
    n = len(data["row"])
    cols = {}
    for name in KEY_COLUMNS:
        value = data.get(name, "" if name != "source_row" else None)
        if np.isscalar(value) or value is None:
            value = [value] * n
        cols[name] = pd.array(
            list(value) if name != "row" else np.asarray(value, dtype=np.int64), dtype=_DTYPES[name]
        )
    return pd.DataFrame(cols)


def empty_key() -> pd.DataFrame:
    """A key with no rows and the key's columns and dtypes."""
    return _frame({"row": []})


def cell_changes(
    table: str,
    rows: Sequence[int] | pd.Index,
    column: str,
    before: pd.Series,
    after: pd.Series,
    *,
    detail: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Key rows for cells of one column changed from `before` to `after` (aligned with `rows`).

    Cells whose text did not change are left out: every key row is a real difference.
    """
    b, a = text_list(before), text_list(after)
    rows = np.asarray(rows, dtype=np.int64)
    keep = np.fromiter((x != y for x, y in zip(b, a, strict=True)), dtype=bool, count=len(b))
    data = {
        "table": table,
        "row": rows[keep],
        "column": column,
        "change": CELL,
        "before": [x for x, k in zip(b, keep, strict=True) if k],
        "after": [y for y, k in zip(a, keep, strict=True) if k],
    }
    if detail is not None:
        data["detail"] = [d for d, k in zip(detail, keep, strict=True) if k]
    return _frame(data)


def rows_added(table: str, rows: Sequence[int], source_rows: Sequence[int]) -> pd.DataFrame:
    """Key rows for rows added to `table`, each a copy of the row in `source_rows`."""
    return _frame(
        {"table": table, "row": rows, "change": ROW_ADDED, "source_row": list(source_rows)}
    )


def rows_removed(table: str, rows: Sequence[int]) -> pd.DataFrame:
    """Key rows for rows removed from `table`."""
    return _frame({"table": table, "row": rows, "change": ROW_REMOVED})


def compose(key: pd.DataFrame, step: pd.DataFrame) -> pd.DataFrame:
    """Add one plant's key rows (`step`, ids already final) to the accumulated `key`."""
    if step.empty:
        return key
    parts = [key]
    added = step[step["change"] == ROW_ADDED]
    if not added.empty:
        prior_added = key[key["change"] == ROW_ADDED]
        origin = dict(
            zip(
                zip(prior_added["table"], prior_added["row"], strict=True),
                prior_added["source_row"],
                strict=True,
            )
        )
        # A copy of a copy counts from the first copy's clean counterpart.
        resolved = [
            origin.get((t, s), s)
            for t, s in zip(added["table"], added["source_row"].astype("int64"), strict=True)
        ]
        raw_sources = added["source_row"].astype("int64").to_numpy()
        step = step.copy()
        step.loc[added.index, "source_row"] = resolved
        # The copy inherits the chains its (possibly itself copied) source had at copy time.
        copies = pd.DataFrame(
            {
                "table": added["table"].to_numpy(),
                "source": raw_sources,
                "new": added["row"].to_numpy(),
            }
        )
        cells = key[key["change"] == CELL]
        inherited = cells.merge(
            copies, left_on=["table", "row"], right_on=["table", "source"], how="inner"
        )
        if not inherited.empty:
            inherited["row"] = inherited["new"]
            parts.append(inherited[KEY_COLUMNS])
    removed = step[step["change"] == ROW_REMOVED]
    if not removed.empty:
        gone = set(zip(removed["table"], removed["row"], strict=True))
        pairs = list(zip(key["table"], key["row"], strict=True))
        was_added = {
            p for p, c in zip(pairs, key["change"], strict=True) if c == ROW_ADDED and p in gone
        }
        keep = np.fromiter((p not in gone for p in pairs), dtype=bool, count=len(pairs))
        parts[0] = key[keep]
        step_pairs = zip(step["table"], step["row"], step["change"], strict=True)
        step = step[[not (c == ROW_REMOVED and (t, r) in was_added) for t, r, c in step_pairs]]
    parts.append(step)
    return pd.concat(parts, ignore_index=True)


def finalize(key: pd.DataFrame) -> pd.DataFrame:
    """Drop chains with no net difference and sort: by table, row, column, then plant order."""
    if key.empty:
        return key
    key = key.reset_index(drop=True)
    cells = key[key["change"] == CELL]
    chains = cells.groupby(["table", "row", "column"], sort=False)
    net = chains["before"].transform("first") != chains["after"].transform("last")
    key = key.drop(index=cells.index[~net.to_numpy()])
    order = key.assign(_kind=key["change"].map({ROW_ADDED: 0, CELL: 1, ROW_REMOVED: 2}))
    order = order.sort_values(["table", "row", "_kind", "column", "anomaly_id"], kind="stable")
    return order[KEY_COLUMNS].reset_index(drop=True)


def verify(
    clean: Mapping[str, pd.DataFrame],
    raw: Mapping[str, pd.DataFrame],
    key: pd.DataFrame,
    *,
    limit: int = 20,
) -> list[str]:
    """Check that `key` explains `raw` exactly from `clean`; return the problems found (at most
    `limit`). Tables are indexed by row identity; cells are compared in their text form."""
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
