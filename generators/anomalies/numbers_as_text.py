"""Numbers as text: numbers written the way spreadsheets and locales format them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows
from datalit.generators.text import is_text, text_list

# A number in the canonical text form (no leading zeros): what a column that an earlier plant
# turned into text still holds for its numbers.
PLAIN_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
# What CSV readers (pandas, Arrow) still parse as a number: they ignore surrounding whitespace
# and trailing zeros, so " 12 " or "12.00" would be a change no reader sees, and the European
# "1.234" would read as another number, not as text.
_STILL_A_NUMBER = re.compile(r"\s*[-+]?[0-9]+(?:\.[0-9]*)?\s*")
_EUROPEAN = str.maketrans(",.", ".,")
# French and other locales group thousands with a (non-breaking) space and use a decimal comma.
_FRENCH = str.maketrans(",.", "\u00a0,")


def formats(value: int | float, text: str) -> list[str]:
    """The ways a spreadsheet or locale writes `value` (canonically `text`) as text that no
    longer parses as a number; never empty.

    Thousands separators (US "1,234.50", European "1.234,50", French "1 234,50"), a decimal
    comma ("12,50"), and for fractional numbers (money, in practice) a currency symbol or code
    ("$1,234.50", "12.5 EUR").
    """
    sign = "-" if value < 0 else ""
    if isinstance(value, int):
        grouped = f"{abs(value):,}"
        decimals = f"{abs(value):,.2f}"
        bodies = [grouped, grouped.translate(_EUROPEAN), grouped.translate(_FRENCH)]
        bodies.append(decimals.translate(_EUROPEAN))
        candidates = [sign + b for b in bodies]
    else:
        grouped = f"{abs(value):,.2f}"
        bodies = [grouped, grouped.translate(_EUROPEAN), grouped.translate(_FRENCH)]
        candidates = [sign + b for b in bodies]
        candidates += [f"{sign}${grouped}", f"{text} EUR"]
    return [c for c in dict.fromkeys(candidates) if not _STILL_A_NUMBER.fullmatch(c)]


def _numbers(col: pd.Series) -> tuple[np.ndarray, bool]:
    """Which cells hold a number, and whether the column is numeric (else text numbers)."""
    if pd.api.types.is_bool_dtype(col) or not (pd.api.types.is_numeric_dtype(col) or is_text(col)):
        return np.zeros(len(col), dtype=bool), False
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.isfinite(values), True
    return text_rows(col, lambda text: text.str.fullmatch(PLAIN_NUMBER)), False


def _parse(text: str) -> int | float:
    return float(text) if "." in text else int(text)


@anomaly(
    "numbers_as_text",
    examples=[
        ("orders", {"table": "orders", "column": "unit_price"}),
        ("orders", {"table": "orders", "column": "quantity"}),
        ("orders", {"table": "products", "column": "price_eur"}),
    ],
)
def numbers_as_text(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Numbers written as formatted text: "1,234.50", "1.234,50", "12,50", "$12.00", "12 EUR".

    Each form is one that CSV readers do not parse as a number (see `formats`), so the column
    turns into text; numbers already held as plain text (after another plant) qualify too.
    """
    df = tables[table]
    col = df[column]
    eligible, numeric = _numbers(col)
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=eligible, what=f"with a number in {column!r}"
    )
    chosen = col.loc[rows]
    texts = text_list(chosen)
    if numeric:
        is_int = pd.api.types.is_integer_dtype(col)
        numbers = [int(v) if is_int else float(v) for v in chosen.tolist()]
    else:
        numbers = [_parse(t) for t in texts]
    u = rng.random(len(rows))
    values = []
    for number, text, x in zip(numbers, texts, u, strict=True):
        options = formats(number, text)
        values.append(options[int(x * len(options))])
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
