"""Reading a column's values the way anomalies need them: numbers, dates, text.

An anomaly often meets a column that an earlier plant changed: numbers or dates turned into text
by a placeholder such as "N/A". The readers here treat such a column the same way everywhere: its
cells still in the canonical text form (``datalit.generators.text``) count as numbers or dates,
the others are left alone. A column that holds no such values is refused with the registry's
error form, "anomaly 'NAME': argument 'column' must be …", so the user learns which argument to
change.

This module registers no anomaly (the package's ``__init__`` skips it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.text import is_text, text_list, to_text

CANONICAL = "%Y-%m-%d %H:%M:%S"
"""How a timestamp reads as text in the raw tables and the key (``text.to_text``)."""

NO_TEXT_DATES = "text with no date written YYYY-MM-DD HH:MM:SS"


def column_error(
    *, anomaly: str, table: str, column: str, must: str, holds, argument: str = "column"
) -> InvalidArgument:
    """The error for a column of the wrong kind: "anomaly 'outliers': argument 'column' must be
    a numeric column; orders.status holds str". `argument` names the argument that chose it."""
    return InvalidArgument(
        f"anomaly {anomaly!r}: argument {argument!r} must be {must}; {table}.{column} holds {holds}"
    )


# ----------------------------------------------------------------------------------------------
# Numbers


def numbers(col: pd.Series, *, anomaly: str, table: str, column: str) -> tuple[np.ndarray, str]:
    """The column's numbers as floats (nan where there is none; maybe a read-only view of the
    column) and its kind: "int", "float" or "text" (a numeric column an earlier plant turned
    into text, e.g. with "N/A").

    Raises `InvalidArgument` naming 'column' for booleans, dates, and text without a number.
    """
    kind, x = None, None
    if pd.api.types.is_bool_dtype(col.dtype):
        pass
    elif pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        kind = "int" if pd.api.types.is_integer_dtype(col.dtype) else "float"
        x = col.to_numpy(dtype=float, na_value=np.nan)
    elif is_text(col):
        kind = "text"
        x = pd.to_numeric(col.astype("str"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if x is None or (kind == "text" and not np.isfinite(x).any()):
        raise column_error(
            anomaly=anomaly, table=table, column=column, must="a numeric column", holds=col.dtype
        )
    finite = np.isfinite(x)
    # Infinities read as no number; a column without any is returned as it is read.
    return (x if finite.all() else np.where(finite, x, np.nan)), kind


def decimals(x: np.ndarray) -> int | None:
    """The fewest decimals (up to 6) that write every value of `x`; None for measurements with
    more."""
    tolerance = 1e-9 * np.maximum(1.0, np.abs(x))
    for d in range(7):
        if np.all(np.abs(x - np.round(x, d)) <= tolerance):
            return d
    return None


def number_cells(new: np.ndarray, kind: str) -> list:
    """New numbers as cells of a column of `kind` (from `numbers`): ints for "int", canonical
    text for "text" (the column stays text), floats otherwise."""
    if kind == "int":
        return [int(v) for v in new]
    if kind == "text":
        return text_list(pd.Series(new, dtype="float64"))
    return new.tolist()


# ----------------------------------------------------------------------------------------------
# Dates


def datetimes(
    col: pd.Series,
    *,
    anomaly: str,
    table: str,
    column: str,
    wall: bool = False,
    argument: str = "column",
) -> pd.Series:
    """The column as time-zone-naive datetimes (NaT where there is none).

    Time-zone-aware values come in UTC, so columns in different zones compare, or with
    `wall=True` as the local wall clock. A text column (dates an earlier plant turned into text)
    counts with its cells in the canonical form ``YYYY-MM-DD HH:MM:SS``. Raises
    `InvalidArgument` naming `argument` for other columns and for text without such a date.
    """
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_localize(None) if wall else col.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(col.dtype):
        return col
    holds = col.dtype
    if is_text(col):
        parsed = pd.to_datetime(col.astype("str"), format=CANONICAL, errors="coerce")
        if parsed.notna().any():
            return parsed
        holds = NO_TEXT_DATES
    raise column_error(
        anomaly=anomaly,
        table=table,
        column=column,
        must="a date/time column",
        holds=holds,
        argument=argument,
    )


def datetime_cells(moved: pd.DatetimeIndex, col: pd.Series) -> list:
    """New naive UTC instants (as `datetimes` reads them) as cells of `col`: back in its time zone
    and unit for a datetime column, canonical text for a text column."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return list(moved.tz_localize("UTC").tz_convert(col.dt.tz).as_unit(col.dt.unit))
    if pd.api.types.is_datetime64_dtype(col.dtype):
        return list(moved.as_unit(col.dt.unit))
    return list(moved.strftime(CANONICAL))


# ----------------------------------------------------------------------------------------------
# Text


def text_rows(col: pd.Series, test: Callable[[pd.Series], pd.Series] | None = None) -> np.ndarray:
    """Which rows hold text (passing `test`, when given), as a boolean array.

    `test` gets the column as a text Series and returns a boolean Series (e.g.
    ``lambda t: t.str.fullmatch(PATTERN)``), value by value; missing cells count as False. Every
    row is False when `col` is not a text column: numbers, dates and booleans have no text to
    change.
    """
    if not is_text(col):
        return np.zeros(len(col), dtype=bool)
    if isinstance(col.dtype, pd.CategoricalDtype):
        # Test each distinct value once and read the answer off each row's code (-1, missing,
        # reads the False appended at the end).
        passed = text_rows(pd.Series(col.cat.categories), test)
        return np.append(passed, False)[col.cat.codes.to_numpy()]
    text = col.astype("str")
    passed = text.notna() if test is None else test(text)
    return passed.fillna(False).to_numpy(dtype=bool)


def ascii_letter_counts(text: pd.Series) -> pd.Series:
    """How many ASCII letters (A-Z, a-z) each value of a text Series holds, 0 when missing:
    ``text.str.count("[A-Za-z]")`` without running a regular expression over every value.

    Counted on the UTF-8 bytes: an ASCII letter is one byte, and every byte of a multi-byte
    character is 0x80 or above, so the letter bytes of a value are exactly its ASCII letters.
    """
    arr = to_text(text)
    counts = np.zeros(len(arr), dtype=np.int64)
    _, offsets_buffer, data_buffer = arr.buffers()
    if len(arr) and data_buffer is not None:
        offsets = np.frombuffer(offsets_buffer, np.int64, len(arr) + 1, arr.offset * 8)
        # The data up to the last value's end (an array sliced from a longer one shares it),
        # and one byte more that is no letter, so a value starting at the end sums nothing.
        start = int(offsets[0])
        folded = np.frombuffer(data_buffer, np.uint8, int(offsets[-1]) - start, start) | 0x20
        folded -= ord("a")  # "A" -> "a" above; letters are now 0..25, any other byte is above
        letter = np.less(folded, 26, out=folded.view(bool))  # in place: no second buffer
        # A value's letters are the difference of the running count at its ends. The count
        # runs in uint16 when no value is 65 536 bytes long: it may wrap, but each difference
        # is still exact (a quarter of the memory of int64 sums over every byte).
        wide = np.int64 if len(arr) and int(np.max(np.diff(offsets))) >= 1 << 16 else np.uint16
        running = np.zeros(len(letter) + 1, dtype=wide)
        np.cumsum(letter, dtype=wide, out=running[1:])
        ends = offsets - start
        counts = (running[ends[1:]] - running[ends[:-1]]).astype(np.int64)
        # A null may hold bytes.
        counts[~arr.is_valid().to_numpy(zero_copy_only=False)] = 0
    return pd.Series(counts, index=text.index, copy=False)
