"""Values made safe to show and to save: candidate text cleaned and cut, JSON-safe copies of
values, points as people write them, JSON and CSV (formula-escaped cells, bounded tables)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

from datalit.grading.bounded import (
    file_notice,
    within,
)

MAX_TEXT = 2000
"""Characters kept of one candidate-derived value in a report."""
MAX_ITEMS = 50
"""Items kept of a candidate-derived list or dict."""
MAX_DEPTH = 6
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Bidi overrides/isolates: shown as <U+202E> etc. so a value cannot reorder what is displayed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# --- values, text, files --------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    """Points as people write them: 3, 1.5, 1.33."""
    if value is None:
        return "–"
    return f"{round(float(value), 2):g}"


def _number(value: float, digits: int = 2) -> float:
    value = float(value)
    return round(value, digits) if math.isfinite(value) else 0.0


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """Candidate-derived text made safe to show: no control characters (newline and tab kept),
    bidi overrides made visible, unpaired surrogates replaced, cut at `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more characters]"
    return text


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON-safe, size-bounded copy of a value (GX observations, kwargs, part details)."""
    if depth > MAX_DEPTH:
        return "…"
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        items = list(value.items())
        out = {_text(k, 200): _plain(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["…"] = f"{len(items) - MAX_ITEMS} more entries"
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        out = [_plain(v, depth + 1) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            out.append(f"… {len(items) - MAX_ITEMS} more")
        return out
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _plain(value.item(), depth + 1)
        except (TypeError, ValueError):
            pass
    if hasattr(value, "isoformat"):
        return _text(value.isoformat())
    return _text(repr(value) if isinstance(value, bytes) else str(value))


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _json(view: dict) -> str:
    return json.dumps(view, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with = + - @, tab or CR gets a
    leading apostrophe (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _bounded_csv(columns: list[str], rows: list[dict], limit: int, *, what: str) -> str:
    """The CSV of `rows`, or, over `limit` bytes, its header and one row saying it was cut."""
    return within(
        _csv(columns, rows),
        limit,
        lambda: _csv(columns, [{columns[0]: file_notice(what, limit)}]),
        what=what,
    )
