"""Tables: CSV through Arrow's reader with every column as text (it refuses ragged rows and names
them), Parquet from the bytes read with decoded sizes checked first, both rendered in the kit's
canonical text form."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datalit.exercise import Output
from datalit.grading.extract.limits import (
    _PLAIN_TYPE_CHECKS,
    MAX_COLUMNS,
    MAX_REPORTED_ROWS,
    MAX_ROW_BYTES,
    PARQUET_EXPANSION,
    UTF8_BOM,
    Unusable,
    _megabytes,
)
from datalit.grading.extract.text import _decode_utf8


def _parse_csv(data: bytes, output: Output) -> pd.DataFrame:
    text = _decode_utf8(data, output.path)
    if not text.strip():
        raise Unusable(f"{output.path} is an empty file; write the table with its header row")
    try:
        # The first non-blank record (Arrow skips blank lines too), read lazily line by line:
        # io.StringIO would copy the whole text at 4 bytes per character.
        header = next(row for row in csv.reader(_lines(text)) if row)
    except csv.Error as exc:
        raise Unusable(f"{output.path}: the header row cannot be read ({exc})") from None
    _check_column_names(header, output)
    bad_rows: list[str] = []
    bad_count = 0

    def on_bad_row(row: Any) -> str:
        nonlocal bad_count
        bad_count += 1
        if len(bad_rows) < MAX_REPORTED_ROWS:
            where = "a row" if row.number is None else f"row {row.number}"
            bad_rows.append(
                f"{where} has {row.actual_columns} fields, expected {row.expected_columns}"
            )
        return "skip"

    n = len(header)
    body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            # The header is read as row 1 under generated names, so that every column can be
            # typed as text by name before the real names are known to Arrow.
            read_options=pa_csv.ReadOptions(
                use_threads=False, autogenerate_column_names=True, block_size=MAX_ROW_BYTES
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_bad_row
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(n)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if "straddling object" in str(exc):
            # Arrow's way of saying a row does not fit in one block.
            raise Unusable(
                f"{output.path} has a row longer than {_megabytes(MAX_ROW_BYTES)} (an unclosed "
                "quote makes the rest of the file one row); check the quoting"
            ) from None
        raise Unusable(f"{output.path} is not a readable CSV file ({_first_line(exc)})") from None
    if bad_count:
        more = bad_count - len(bad_rows)
        detail = "; ".join(bad_rows) + (f"; and {more} more rows" if more > 0 else "")
        raise Unusable(
            f"{output.path} has rows with the wrong number of fields (counting the header as "
            f"row 1): {detail}. Every row needs one field per column; quote values that "
            "contain commas"
        )
    if table.num_rows == 0 or table.column(0)[0].as_py() != header[0]:
        # Arrow and the csv module disagree on where the header ends: refuse rather than guess.
        raise Unusable(f"{output.path}: the header row cannot be read")
    rows = table.num_rows - 1
    if rows > output.max_rows:
        raise Unusable(_too_many_rows(output, rows))
    table = table.slice(1).rename_columns(header)
    return _to_text_frame(table)


def _lines(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end == -1:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _check_column_names(names: list[str], output: Output) -> None:
    if len(names) > MAX_COLUMNS:
        raise Unusable(f"{output.path} has {len(names)} columns, more than the {MAX_COLUMNS} limit")
    counts = Counter(names)
    for name, count in counts.items():
        if count < 2:
            continue
        times = "twice" if count == 2 else f"{count} times"
        if name == "":
            raise Unusable(
                f"{output.path}: {count} columns have no name in the header row "
                "(was the index written as a column? use index=False)"
            )
        raise Unusable(
            f"{output.path}: column {name!r} appears {times} in the header row; "
            "give every column its own name"
        )


def _too_many_rows(output: Output, rows: int) -> str:
    return f"{output.path} has {rows:,} rows, more than the {output.max_rows:,} limit"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# --- Parquet ----------------------------------------------------------------------------------


def _parse_parquet(data: bytes, output: Output) -> pd.DataFrame:
    if not data:
        raise Unusable(f"{output.path} is an empty file")
    limit = output.max_bytes * PARQUET_EXPANSION
    try:
        meta_file = pq.ParquetFile(pa.BufferReader(data))
        meta = meta_file.metadata
        schema = meta_file.schema_arrow
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise Unusable(
            f"{output.path} is not a readable Parquet file ({_first_line(exc)})"
        ) from None
    _check_column_names(list(schema.names), output)
    if meta.num_rows > output.max_rows:
        raise Unusable(_too_many_rows(output, meta.num_rows))
    uncompressed = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    if uncompressed > limit:
        raise Unusable(_too_big_decoded(output))
    for f in schema:
        if isinstance(f.type, pa.ExtensionType) or not _is_plain(f.type):
            raise Unusable(
                f"{output.path}: column {f.name!r} has type {f.type}, which is not plain "
                "numbers, text, dates or true/false; convert it before writing"
            )
    textual = [
        f.name
        for f in schema
        if pa.types.is_dictionary(f.type)
        or pa.types.is_string(f.type)
        or pa.types.is_large_string(f.type)
    ]
    try:
        # Text columns stay dictionary-encoded so their decoded size can be checked first.
        table = pq.ParquetFile(pa.BufferReader(data), read_dictionary=textual).read()
    except Exception as exc:
        raise Unusable(
            f"{output.path} is not a readable Parquet file ({_first_line(exc)})"
        ) from None
    if table.num_rows > output.max_rows:
        raise Unusable(_too_many_rows(output, table.num_rows))
    decoded = sum(_decoded_text_bytes(col) for col in table.columns)
    if decoded > limit:
        raise Unusable(_too_big_decoded(output))
    columns = [_arrow_to_text(col) for col in table.columns]
    return _to_text_frame(pa.table(columns, names=list(schema.names)))


def _is_plain(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_plain(t.value_type)
    return any(check(t) for check in _PLAIN_TYPE_CHECKS)


def _too_big_decoded(output: Output) -> str:
    return (
        f"{output.path} decodes to more than {PARQUET_EXPANSION}× the "
        f"{_megabytes(output.max_bytes)} limit; write only the table that was asked for"
    )


def _decoded_text_bytes(col: pa.ChunkedArray) -> int:
    """Bytes the column's text would take once dictionaries are expanded (without expanding)."""
    total = 0
    for chunk in col.chunks:
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary).fill_null(0)
            taken = pc.take(lengths, chunk.indices.fill_null(0))
            total += int(pc.sum(taken).as_py() or 0)
        elif pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            total += int(pc.sum(pc.binary_length(chunk)).as_py() or 0)
        else:
            total += chunk.nbytes
    return total


def _arrow_to_text(col: pa.ChunkedArray) -> pa.Array:
    """The canonical text form of `datalit.generators.text.to_text`, on an Arrow column."""
    arr = col.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_timestamp(arr.type) and arr.type.unit != "s":
        arr = arr.cast(pa.timestamp("s", arr.type.tz), safe=False)
    if pa.types.is_null(arr.type):
        return pa.array([""] * len(arr), type=pa.large_string())
    return arr.cast(pa.large_string()).fill_null("")


# --- shared -----------------------------------------------------------------------------------


def _to_text_frame(table: pa.Table) -> pd.DataFrame:
    """An all-text DataFrame (pandas ``str`` columns, default index) from an all-string table."""
    if table.num_columns == 0:
        return pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    columns = {
        name: pd.Series(col.to_pandas(), dtype="str")
        for name, col in zip(table.column_names, table.columns, strict=True)
    }
    return pd.DataFrame(columns)
