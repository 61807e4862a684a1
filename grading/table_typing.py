"""How the grader types a candidate's all-text table before its GX suite runs.

This module depends on pandas and numpy only, so practice releases ship it verbatim next to
their public checks: a candidate's own check types the table exactly as the grader does.

Typing rule. The extract stage hands over an all-text table, exactly as written. So that numeric
and date expectations mean something, each column is typed before validation:

1. An empty cell is missing (NA). CSV has no other way to write a missing value, and the kit's
   own files write missing values as empty fields.
2. A column the suite treats as text stays text: one compared against a value set holding
   strings (ids such as "C000123", statuses), or checked by a text-only expectation (regex,
   value lengths, strftime, JSON parsing).
3. Otherwise a column becomes numeric when every non-empty cell is a plain decimal number and
   none has a leading zero ("007" is an identifier, not seven). Whole numbers become int64 when
   nothing is missing, float64 otherwise (integers too large for float64 stay text).
4. Otherwise a column becomes datetime when every non-empty cell is an ISO 8601 date or
   timestamp with a consistent time zone.
5. Anything else stays text. A column of odd values therefore fails the expectations that need
   numbers or dates, with GX's observed values, instead of crashing the grader.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

# Expectation types that only make sense on text: their column is never converted.
TEXT_ONLY_MARKERS = ("regex", "like_pattern", "value_lengths", "strftime", "json", "dateutil")
TEXT_TYPE_NAMES = {"str", "string", "object", "StringDtype"}
COLUMN_KWARGS = ("column", "column_A", "column_B")
# ASCII digits only: Python's \d also matches other scripts' digits, which to_numeric refuses.
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_MAX_EXACT_FLOAT_INT = 2**53


def parameter_names(value: Any) -> set[str]:
    """The names of the $PARAMETERs in an expectation's kwargs."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return {str(value["$PARAMETER"])}
        return set().union(*(parameter_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(parameter_names(v) for v in value)) if value else set()
    return set()


def resolve_parameter(value: Any, parameters: dict) -> Any:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return parameters.get(value["$PARAMETER"])
    return value


def text_columns(suite: dict, parameters: dict) -> set[str]:
    """Columns the suite treats as text (rule 2 of the module docstring)."""
    keep = set()
    for e in suite["expectations"]:
        kwargs = e.get("kwargs") or {}
        columns = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
        if not columns:
            continue
        value_set = resolve_parameter(kwargs.get("value_set"), parameters)
        textual = any(marker in e.get("type", "") for marker in TEXT_ONLY_MARKERS)
        textual |= isinstance(value_set, list | tuple | set) and any(
            isinstance(v, str) for v in value_set
        )
        textual |= resolve_parameter(kwargs.get("type_"), parameters) in TEXT_TYPE_NAMES
        if textual:
            keep.update(columns)
    return keep


def typed_for_checks(table: pd.DataFrame, keep_text: set[str]) -> pd.DataFrame:
    """A copy of the all-text `table` with each column typed by the module's rule."""
    return pd.DataFrame(
        {name: _typed_column(table[name], name in keep_text) for name in table.columns},
        index=table.index,
    )


def _typed_column(text: pd.Series, keep_text: bool) -> pd.Series:
    text = text.astype("str")
    empty = (text == "").to_numpy()
    column = text.mask(empty)
    if keep_text or empty.all():
        return column
    values = text[~empty]
    if (
        values.str.fullmatch(NUMBER_PATTERN.pattern).all()
        and not values.str.match(_LEADING_ZERO.pattern).any()
    ):
        try:
            numbers = pd.to_numeric(values)
        except (ValueError, TypeError, OverflowError):
            return column
        if not np.isfinite(numbers.to_numpy(dtype="float64")).all():
            return column  # 1e999: not a number anyone meant
        if pd.api.types.is_integer_dtype(numbers.dtype):
            if not empty.any():
                return numbers.astype("int64")
            if numbers.abs().max() >= _MAX_EXACT_FLOAT_INT:
                return column
        return numbers.astype("float64").reindex(text.index)
    if values.str.fullmatch(_ISO_DATETIME.pattern).all():
        try:
            return pd.to_datetime(column, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            return column  # mixed time zones or out-of-range dates: leave the text to fail checks
    return column
