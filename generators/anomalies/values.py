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
from datalit.generators.text import text_list

from datalit.errors import InvalidArgument

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
    """The column's numbers as floats (nan where there is none) and its kind: "int", "float" or
    "text" (a numeric column an earlier plant turned into text, e.g. with "N/A").

    Raises `InvalidArgument` naming 'column' for booleans, dates, and text without a number.
    """
    kind, x = None, None
    if pd.api.types.is_bool_dtype(col.dtype):
        pass
    elif pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        kind = "int" if pd.api.types.is_integer_dtype(col.dtype) else "float"
        x = col.to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_string_dtype(col.dtype):
        kind = "text"
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if x is None or (kind == "text" and not np.isfinite(x).any()):
        raise column_error(
            anomaly=anomaly, table=table, column=column, must="a numeric column", holds=col.dtype
        )
    return np.where(np.isfinite(x), x, np.nan), kind


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
    if pd.api.types.is_string_dtype(col.dtype):
        parsed = pd.to_datetime(col, format=CANONICAL, errors="coerce")
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
    ``lambda t: t.str.fullmatch(PATTERN)``); missing cells count as False. Every row is False
    when `col` is not a text column: numbers, dates and booleans have no text to change.
    """
    if not pd.api.types.is_string_dtype(col):
        return np.zeros(len(col), dtype=bool)
    text = col.astype("str")
    passed = text.notna() if test is None else test(text)
    return passed.fillna(False).to_numpy(dtype=bool)
