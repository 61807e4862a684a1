"""The shortcuts generation takes for speed give what the plain way gives."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datalit.generators.anomalies.patch import (
    _set_numbers,
    _set_text,
    _true_positions,
    replace_cells,
    row_positions,
)
from datalit.generators.anomalies.values import ascii_letter_counts
from datalit.generators.key import cell_changes, finalize, rows_added, stamped
from datalit.generators.memory import keep_freed_memory
from datalit.generators.parallel import short_switch_interval
from datalit.generators.pools import distinct_dtype, weighted_codes, weighted_codes_later


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=300), st.integers(1, 64), st.data())
def test_true_positions_are_flatnonzero(mask, block, data):
    mask = np.array(mask)
    true = np.flatnonzero(mask)
    if not len(true):
        return
    ranks = np.array(sorted(data.draw(st.sets(st.integers(0, len(true) - 1), min_size=1))))
    assert _true_positions(mask, ranks, block=block).tolist() == true[ranks].tolist()


def test_weighted_codes_later_draws_the_same_codes():
    weights = np.random.default_rng(1).pareto(1.5, 5000) + 0.05
    now = weighted_codes(weights, 10_000, np.random.default_rng(7))
    later = weighted_codes_later(weights, 10_000, np.random.default_rng(7))
    assert np.array_equal(now, later())


def test_a_distinct_dtype_is_the_checked_dtype():
    categories = pd.Index(["C000002", "C000001", "x"], dtype="str")
    assert distinct_dtype(categories) == pd.CategoricalDtype(categories)


def test_long_values_count_their_letters():
    text = pd.Series(["a" * 70_000 + "é!", None, "", "Ab c"], dtype="str")
    assert ascii_letter_counts(text).tolist() == [70_000, 0, 0, 3]


@pytest.mark.parametrize(
    ("column", "values"),
    [
        (np.arange(6, dtype=np.int64), [None, None]),
        (np.arange(6, dtype=np.int64), [10, -3]),
        (np.linspace(0.5, 3, 6), [None, np.nan]),
        (np.linspace(0.5, 3, 6), [1.25, 1e20]),
    ],
)
def test_numbers_set_on_the_array_read_as_through_pandas(column, values):
    df = pd.DataFrame({"x": column}, index=pd.Index([5, 0, 4, 1, 3, 2]))
    rows = pd.Index([4, 2])
    out, key = replace_cells(df, table="t", column="x", rows=rows, values=values)
    # The general way: a column that takes the values, then iloc.
    missing = values[0] is None
    if missing and column.dtype.kind == "i":
        expected, values = df["x"].astype("Int64"), [pd.NA] * len(values)
    else:
        expected = df["x"].copy()
        values = [np.nan] * len(values) if missing else values
    expected.iloc[row_positions(df, rows)] = values
    pd.testing.assert_series_equal(out["x"], expected)
    assert list(df["x"]) == list(column)  # the input table is untouched
    assert len(key) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=1, max_size=40),
    st.data(),
)
def test_text_set_by_take_is_text_set_by_iloc(cells, data):
    col = pd.Series(cells, dtype="str", index=pd.RangeIndex(len(cells)) * 3 + 7, name="c")
    chosen = sorted(data.draw(st.sets(st.integers(0, len(cells) - 1), min_size=1)))
    pos = np.array(data.draw(st.permutations(chosen)), dtype=np.int64)  # in any order
    values = data.draw(
        st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=len(pos), max_size=len(pos))
    )
    plain = col.copy()
    plain.iloc[pos] = values
    pd.testing.assert_series_equal(_set_text(col, pos, values), plain)
    assert col.tolist() == pd.Series(cells, dtype="str").tolist()  # the input is untouched


def test_other_text_takes_the_general_way():
    assert _set_text(pd.Series(["a", "b"], dtype="category"), np.array([0]), ["c"]) is None
    assert _set_text(pd.Series(["a", "b"], dtype="str"), np.array([0]), [1]) is None


def test_other_numbers_take_the_general_way():
    col = pd.Series(np.arange(4, dtype=np.int32))
    assert _set_numbers(col, np.array([1]), [7]) is None
    assert _set_numbers(pd.Series(np.arange(4, dtype=np.int64)), np.array([1]), [0.5]) is None


def test_finalize_sorts_by_table_row_kind_column_then_plant():
    steps = [
        cell_changes("b", [3, 1], "y", pd.Series(["1", "2"]), pd.Series(["9", "8"])),
        rows_added("a", [7], [0]),
        cell_changes("a", [7, 0], "x", pd.Series(["u", "v"]), pd.Series(["w", "v2"])),
        cell_changes("b", [1], "y", pd.Series(["8"]), pd.Series(["2"])),  # back to clean: dropped
    ]
    steps = [
        stamped(step, rows=step["row"].to_numpy(), anomaly_id=f"p{number:02d}", anomaly="a")
        for number, step in enumerate(steps, start=1)
    ]
    key = finalize(pa.concat_tables(steps))
    assert list(zip(key["table"], key["row"], key["change"], key["anomaly_id"], strict=True)) == [
        ("a", 0, "cell", "p03"),
        ("a", 7, "row_added", "p02"),
        ("a", 7, "cell", "p03"),
        ("b", 3, "cell", "p01"),
    ]


def test_the_switch_interval_is_restored():
    before = sys.getswitchinterval()
    with short_switch_interval():
        assert sys.getswitchinterval() <= before
    assert sys.getswitchinterval() == before


def test_keeping_freed_memory_is_harmless_to_repeat():
    first = keep_freed_memory()
    assert keep_freed_memory() == first
    assert (np.ones(2_000_000) * 2).sum() == 4_000_000


def test_row_positions_through_copies_slices_and_new_tables():
    labels = np.array([0, 5, 1, 7, 2, 3, 9, 4], dtype=np.int64)
    df = pd.DataFrame({"x": np.arange(8)}, index=pd.Index(labels))
    rows = pd.Index([9, 0, 4, 6, 100, -3])
    expected = [6, 0, 7, -1, -1, -1]
    for _ in range(2):  # built, then found again
        assert row_positions(df, rows).tolist() == expected
    assert row_positions(df.copy(deep=False), rows).tolist() == expected
    part = df.iloc[2:6]  # a slice of the same labels
    assert row_positions(part, pd.Index([1, 3, 0])).tolist() == [0, 3, -1]
    other = pd.DataFrame({"x": np.arange(3)}, index=pd.Index([9, 4, 0], dtype=np.int64))
    assert row_positions(other, rows).tolist() == [0, 2, 1, -1, -1, -1]
