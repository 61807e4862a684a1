"""The one canonical text form of a cell.

Raw tables are written as text (CSV), and the answer key records values as text, so both go
through `to_text`: a cell's key value is exactly what the CSV file holds. Missing values are null
here and an empty field in the file; the key writes them as "".
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def to_text(values: pd.Series) -> pa.Array:
    """Render a column as an Arrow string array (null = missing), the form written to CSV.

    Numbers use Arrow's shortest round-trip formatting (12.5, 12, 1e+20), timestamps
    `YYYY-MM-DD HH:MM:SS` (with `Z` when UTC-aware), dates `YYYY-MM-DD`, booleans true/false.
    """
    if values.dtype == object:
        # Text columns may hold str or missing only; anything else is a bug in an anomaly.
        values = values.astype("str")
    if isinstance(values.dtype, pd.CategoricalDtype):
        # The categories' text taken by each row's code (-1 = missing): converting the few rows
        # of a key change does not touch the (maybe 100 000) categories beyond a zero-copy view.
        codes = values.array.codes
        return to_text(pd.Series(values.cat.categories)).take(pa.array(codes, mask=codes < 0))
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_timestamp(arr.type) and arr.type.unit != "s":
        arr = arr.cast(pa.timestamp("s", arr.type.tz), safe=False)
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return arr


def is_text(values: pd.Series) -> bool:
    """Whether a column holds text: the `str` dtype, strings in an object column, or a
    categorical of strings (how recipes store columns of few distinct values, see
    `pools.categorical`). Anomalies that change text treat all three alike."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.api.types.is_string_dtype(values.dtype.categories.dtype)
    return pd.api.types.is_string_dtype(values)


def text_list(values: pd.Series) -> list[str]:
    """`to_text` as Python strings with "" for missing: the key's before/after form."""
    return ["" if v is None else v for v in to_text(values).to_pylist()]


def as_text_column(values: pd.Series) -> pd.Series:
    """Convert a column to a text column whose cells read exactly as before (same index)."""
    if values.dtype == "str":
        return values
    return pd.Series(pd.array(to_text(values), dtype="str"), index=values.index, name=values.name)
