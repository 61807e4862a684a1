"""Reading columns as text: categoricals of strings count as text, letters are counted exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from datalit.generators.anomalies.values import ascii_letter_counts, text_rows
from datalit.generators.pools import categorical

# Any text but lone surrogates, which no UTF-8 column can hold.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), st.integers(0, 5))
def test_letter_counts_are_the_regex_counts(values, start):
    # A slice too: its text shares the buffers of the whole column.
    text = pd.Series(values, dtype="str").iloc[start:]
    expected = text.str.count("[A-Za-z]").fillna(0).astype(np.int64)
    assert ascii_letter_counts(text).tolist() == expected.tolist()


def test_a_categorical_column_is_tested_like_its_text():
    codes = np.array([0, 1, -1, 2, 1, 0], dtype=np.int8)
    as_categories = categorical(codes, ["Paris", "x", "NEW YORK"])
    as_text = as_categories.astype("str")
    for test in (None, lambda t: ascii_letter_counts(t) >= 2, lambda t: t.str.contains(" ")):
        assert text_rows(as_categories, test).tolist() == text_rows(as_text, test).tolist()


def test_non_text_columns_have_no_text_rows():
    assert not text_rows(pd.Series([1, 2, 3])).any()
    assert not text_rows(pd.Series(pd.Categorical([1, 2, 1]))).any()
