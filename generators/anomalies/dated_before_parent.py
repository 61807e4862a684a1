"""Dated before the parent: a child row dated before the row it belongs to began (an event
before its user signed up)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import datetime_cells, datetimes

DAY = 86_400


def parent_key(parent_df: pd.DataFrame, child_df: pd.DataFrame, parent: str, table: str) -> str:
    """The column linking child rows to their parent: the parent's first column (its id), which
    the child holds under the same name (events.user_id -> users.user_id)."""
    key = parent_df.columns[0]
    if key not in child_df.columns:
        raise InvalidArgument(
            f"anomaly 'dated_before_parent': argument 'parent' must be a table whose id (its "
            f"first column, {key!r}) table {table!r} holds; {table} has no column {key!r}"
        )
    return key


@anomaly(
    "dated_before_parent",
    examples=[
        (
            "events",
            {
                "table": "events",
                "column": "occurred_at_utc",
                "parent": "users",
                "parent_column": "signup_at",
            },
        ),
        (
            "orders",
            {
                "table": "orders",
                "column": "ordered_at",
                "parent": "customers",
                "parent_column": "signup_date",
            },
        ),
    ],
)
def dated_before_parent(tables, *, rng, table, column, parent, parent_column, fraction=0.02):
    """A row dated before its parent began: an event before its user's signup (`column` <
    `parent`.`parent_column`).

    The parent is found by the parent's id (its first column), which the child holds under the
    same name. `column` moves to between one and 30 days before the parent's date, so even its
    calendar day comes before the parent's. Only rows with both dates set and in order change.
    """
    if parent == table:
        raise InvalidArgument(
            "anomaly 'dated_before_parent': argument 'parent' must be another table than 'table'"
        )
    df, parents = tables[table], tables[parent]
    link = parent_key(parents, df, parent, table)
    # In UTC, so columns in different zones compare; text cells in the canonical form count.
    child_at = datetimes(df[column], anomaly="dated_before_parent", table=table, column=column)
    parent_at = datetimes(
        parents[parent_column],
        anomaly="dated_before_parent",
        table=parent,
        column=parent_column,
        argument="parent_column",
    )
    # The first row of a parent id wins (a duplicated parent is another anomaly's business).
    start_of = (
        pd.Series(parent_at.to_numpy(), index=parents[link].astype("str"))
        .groupby(level=0, sort=False)
        .first()
    )
    start = start_of.reindex(df[link].astype("str").to_numpy()).to_numpy().astype("datetime64[s]")
    child_s = child_at.to_numpy().astype("datetime64[s]")
    eligible = ~np.isnat(child_s) & ~np.isnat(start) & (child_s >= start)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with {column!r} on or after its {parent}.{parent_column}",
    )
    pos = row_positions(df, rows)
    # At least a day earlier, so the date alone already shows the impossible order.
    gap = rng.integers(DAY + 1, 30 * DAY, len(rows)).astype("timedelta64[s]")
    moved = pd.DatetimeIndex(start[pos] - gap)
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=datetime_cells(moved, df[column])
    )
    return Planted({table: out}, key)
