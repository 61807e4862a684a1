"""The shared helpers: row positions, cells set in categorical text columns, copied rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators.anomalies.patch import NEXT_ROW_ID, copy_rows, replace_cells, row_positions
from datalit.generators.pools import categorical
from datalit.generators.text import to_text


def text(col: pd.Series) -> list:
    return to_text(col).to_pylist()


def test_positions_in_an_index_with_added_rows_match_pandas():
    rng = np.random.default_rng(0)
    labels = np.insert(np.arange(1000), np.sort(rng.integers(0, 1000, 40)), np.arange(-1, -41, -1))
    df = pd.DataFrame({"a": np.zeros(len(labels))}, index=pd.Index(labels))
    rows = pd.Index([*rng.choice(labels, 100, replace=False).tolist(), 5000, -99])
    expected = pd.Index(labels).get_indexer(rows)
    assert (row_positions(df, rows) == expected).all()
    assert (row_positions(df, rows[:0]) == expected[:0]).all()


@pytest.fixture
def status():
    codes = np.array([0, 1, 2, 0, -1, 1], dtype=np.int8)
    return pd.DataFrame({"status": categorical(codes, ["new", "paid", "sent"])})


def test_categorical_column_keeps_its_categories_for_known_values(status):
    before = status.copy(deep=True)
    out, key = replace_cells(
        status, table="t", column="status", rows=pd.Index([0, 4, 5]), values=["sent", "new", None]
    )
    assert text(out["status"]) == ["sent", "paid", "sent", "new", "new", None]
    assert out["status"].dtype == status["status"].dtype
    pd.testing.assert_frame_equal(status, before)  # the input is untouched
    assert key["before"].to_pylist() == ["new", "", "paid"]
    assert key["after"].to_pylist() == ["sent", "new", ""]


def test_categorical_column_gains_new_strings_as_categories(status):
    out, key = replace_cells(
        status, table="t", column="status", rows=pd.Index([1, 2, 3]), values=["x", "new", "x"]
    )
    assert text(out["status"]) == ["new", "x", "new", "x", None, "paid"]
    assert list(out["status"].cat.categories) == ["new", "paid", "sent", "x"]
    assert key["row"].to_pylist() == [1, 2, 3]


def test_categorical_codes_widen_past_127_categories():
    col = categorical(np.arange(120, dtype=np.int8), [f"c{i}" for i in range(120)])
    new_values = [f"new{i}" for i in range(20)]
    out, _ = replace_cells(
        pd.DataFrame({"c": col}), table="t", column="c", rows=pd.Index(range(20)), values=new_values
    )
    assert text(out["c"]) == new_values + [f"c{i}" for i in range(20, 120)]


def test_while_the_engine_plants_copies_get_the_next_free_ids():
    df = pd.DataFrame({"n": np.arange(50)})
    next_ids = {"t": 60, "other": 5}  # ids 50..59 were given out (and removed) before
    token = NEXT_ROW_ID.set(next_ids)
    try:
        out, added, labels = copy_rows(
            df, np.random.default_rng(1), table="t", sources=pd.Index([3, 4])
        )
    finally:
        NEXT_ROW_ID.reset(token)
    assert list(labels) == [60, 61]
    assert next_ids == {"t": 62, "other": 5}
    assert added["row"].to_pylist() == [60, 61]
    assert out.loc[labels, "n"].tolist() == [3, 4]


def test_copies_read_as_their_sources_and_come_with_their_key_rows():
    df = pd.DataFrame(
        {"n": np.arange(50), "s": categorical(np.arange(50) % 3, ["a", "b", "c"])},
        index=pd.RangeIndex(50),
    )
    sources = pd.Index([3, 10, 49])
    out, added, labels = copy_rows(df, np.random.default_rng(1), table="t", sources=sources)
    assert len(out) == 53
    assert list(labels) == [-1, -2, -3]
    pd.testing.assert_frame_equal(
        out.loc[labels].reset_index(drop=True), df.loc[sources].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(out.loc[df.index], df)  # the originals, in order
    assert added["source_row"].to_pylist() == [3, 10, 49]
    assert set(added["change"].to_pylist()) == {K.ROW_ADDED}
