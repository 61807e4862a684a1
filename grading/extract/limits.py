"""What every reader of the extract stage shares: its limits, the statuses of an output, and
`Unusable`, the reason a written output cannot be used (shown to the candidate)."""

from __future__ import annotations

import pyarrow as pa

OK, MISSING, UNREADABLE = "ok", "missing", "unreadable"

UTF8_BOM = b"\xef\xbb\xbf"
MAX_JSON_DEPTH = 64
"""Nesting cap for JSON outputs; the answers the exercises ask for are 2-3 levels deep."""
PARQUET_EXPANSION = 10
"""A Parquet output may decode to at most this many times its size limit (columnar files compress
well, but a small file that decodes to gigabytes is an attack, not an answer)."""
MAX_COLUMNS = 1000
"""No exercise asks for more columns; the cap bounds the work per file."""
MAX_ROW_BYTES = 1024**2
"""Longest CSV row read (Arrow's block size): no table an exercise asks for has a longer one."""
MAX_REPORTED_ROWS = 3
"""How many ragged rows a reason names before summarising the rest."""

# Arrow types rendered as text; anything else (lists, structs, maps, binary, extension types) is
# refused with a reason: there is no single faithful text form for them and no exercise asks
# for them.
_PLAIN_TYPE_CHECKS = (
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_string_view,
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_boolean,
    pa.types.is_timestamp,
    pa.types.is_date,
    pa.types.is_time,
    pa.types.is_decimal,
    pa.types.is_null,
)


class Unusable(Exception):
    """An output was written but cannot be used; the message is the candidate-facing reason."""


def _megabytes(n: int) -> str:
    if n >= 1024**2:
        return f"{n / 1024**2:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"
