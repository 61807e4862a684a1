"""Extract stage: read the candidate's declared outputs back as plain data, outside the sandbox.

The work dir was written by hostile code, so every output is treated as an attack until proven
otherwise:

- **Opening.** The path is walked one component at a time with `O_NOFOLLOW` relative to the
  previous directory's file descriptor, so a symlink anywhere (`outputs -> /etc`, or the file
  itself pointing at a key) is refused rather than followed, and nothing outside the work dir can
  be reached. Before opening, `lstat` must say "regular file": FIFOs (which would block a reader
  forever), devices (whose open can have side effects), sockets and folders are refused without
  being opened. The file is then opened with `O_NONBLOCK` as well and checked again with `fstat`
  on the open descriptor, which closes the race between the check and the open.
- **Size.** The size limit is checked on the open descriptor, and at most `max_bytes + 1` bytes are
  read, so a file that grows while we read is still caught.
- **Parsing.** Plain data only: never pickle, never pandas' compression guessing.
  CSV goes through Arrow's CSV reader with every column typed as text, because it is the reader
  that refuses ragged rows and says which row is wrong: pandas' C engine silently pads a short
  row with "" (or NaN), silently drops a trailing extra field when every row has one, and renames
  duplicate headers `x`, `x.1`. JSON is small by declaration (1 MB by default) and its values
  and nesting are counted on the bytes before anything is built (`json.loads` costs ~60 bytes
  of memory per value, so a file of `{}` would cost 30 times its size); then `json.loads` with
  NaN/Infinity and duplicate keys refused. Parquet is read with pyarrow from the bytes already read, with
  string columns kept dictionary-encoded until their decoded size is checked (a small file can
  decode to gigabytes), and every column is then rendered as text, for the reason below. The
  file's pandas metadata is never interpreted (no `to_pandas` on the file's schema), pyarrow
  (>= 14) never unpickles extension types, and columns of any type without one plain text form
  (lists, structs, binary, extension types) are refused with a reason.
- **Encoding.** Text must be UTF-8 (a UTF-8 byte-order mark is accepted and dropped). Latin-1,
  Windows-1252 and UTF-16 files are refused with a reason naming what the file looks like, rather
  than decoded by guesswork: the exercises plant mojibake on purpose, and silently re-decoding a
  candidate's file could hide (or create) exactly what is being assessed. The README brief asks
  for UTF-8, and `DataFrame.to_csv` writes it by default.

Tables always come back as text (pandas ``str`` columns), whatever their format, so the checks see
what the candidate wrote and CSV and Parquet outputs are judged alike: a Parquet int64 column and
a CSV column of digits both arrive as "100123" and are typed the same way by the validate stage.
Text uses the kit's canonical form (`datalit.generators.text`: shortest round-trip numbers,
`YYYY-MM-DD HH:MM:SS` timestamps, ``true``/``false``), and a missing value is "" as in a CSV file.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise, Output
from datalit.grading.results import Extracted, OutputFile

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


@dataclass(frozen=True)
class _Opened:
    """The bytes of one output file, read safely."""

    data: bytes
    sha256: str


def extract(exercise: Exercise, workdir: Path) -> Extracted:
    """Read every declared output of `exercise` from `workdir`, never raising for bad files.

    Args:
        exercise: The exercise whose `outputs` say what to read and the limits that apply.
        workdir: The sandbox's work dir (trusted path; everything inside it is not).

    Returns:
        One `OutputFile` per declared output: ``ok`` with the data, ``missing`` when the file was
        not written (its parts are not attempted), or ``unreadable`` with a reason the candidate
        can act on.

    Raises:
        InvalidArgument: `workdir` itself does not exist (a grader problem).
    """
    if not Path(workdir).is_dir():
        # The grader's own mistake, not the candidate's: do not report it as "not written".
        raise InvalidArgument(f"work dir {workdir} does not exist")
    return Extracted(outputs={o.name: extract_output(o, Path(workdir)) for o in exercise.outputs})


def extract_output(output: Output, workdir: Path) -> OutputFile:
    """Read one declared output (see `extract`)."""
    try:
        opened = _read_bytes(output, workdir)
    except FileNotFoundError:
        return OutputFile(
            name=output.name,
            status=MISSING,
            reason=f"{output.path} was not written (not attempted)",
        )
    except Unusable as exc:
        return OutputFile(name=output.name, status=UNREADABLE, reason=str(exc))
    try:
        if output.kind == "json":
            return OutputFile(
                name=output.name,
                status=OK,
                data=_parse_json(opened.data, output.path, output.max_items),
                sha256=opened.sha256,
            )
        if PurePosixPath(output.path).suffix.lower() == ".parquet":
            table = _parse_parquet(opened.data, output)
        else:
            table = _parse_csv(opened.data, output)
    except Unusable as exc:
        return OutputFile(
            name=output.name, status=UNREADABLE, reason=str(exc), sha256=opened.sha256
        )
    return OutputFile(name=output.name, status=OK, table=table, sha256=opened.sha256)


# --- opening without following anything -------------------------------------------------------


def _describe_mode(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file or folder"


def _read_bytes(output: Output, workdir: Path) -> _Opened:
    """The bytes of `workdir/output.path`, read without following symlinks or blocking.

    Raises:
        FileNotFoundError: the file (or a folder on its path) does not exist.
        Unusable: anything else that stops us reading it, with the reason.
    """
    parts = PurePosixPath(output.path).parts
    # The exercise model refuses absolute paths and "..", but this stage must not depend on that.
    if not parts or any(p in ("", ".", "..", "/") for p in parts):
        raise Unusable(f"{output.path} is not a path inside the work dir")
    nofollow = os.O_NOFOLLOW | os.O_CLOEXEC
    dir_fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for depth, name in enumerate(parts[:-1], start=1):
            where = "/".join(parts[:depth])
            mode = _lstat_mode(name, dir_fd)
            if not stat.S_ISDIR(mode):
                raise Unusable(
                    f"{where} is {_describe_mode(mode)}, not a folder; "
                    f"write {output.path} into a real folder"
                )
            try:
                next_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=dir_fd)
            except OSError as exc:
                raise _open_error(exc, where) from None
            os.close(dir_fd)
            dir_fd = next_fd
        name = parts[-1]
        mode = _lstat_mode(name, dir_fd)
        if not stat.S_ISREG(mode):
            raise Unusable(f"{output.path} is {_describe_mode(mode)}; write a regular file")
        try:
            # O_NONBLOCK: if the name was swapped for a FIFO since the lstat, open still returns.
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | nofollow, dir_fd=dir_fd)
        except OSError as exc:
            raise _open_error(exc, output.path) from None
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unusable(f"{output.path} is {_describe_mode(st.st_mode)}; write a regular file")
        if st.st_size > output.max_bytes:
            raise Unusable(_too_big(output, st.st_size))
        data = _read_at_most(fd, output.max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > output.max_bytes:
        raise Unusable(_too_big(output, len(data)))
    return _Opened(data=data, sha256=hashlib.sha256(data).hexdigest())


def copy_outputs(exercise: Exercise, workdir: Path, dest: Path) -> None:
    """Copy the declared outputs that can be read, read as `extract` reads them (no links,
    capped), to `dest`/<path> (check-exercise keeps them for its copy and shift proofs)."""
    for output in exercise.outputs:
        try:
            data = _read_bytes(output, workdir).data
        except (FileNotFoundError, Unusable, OSError):
            continue
        target = dest / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _lstat_mode(name: str, dir_fd: int) -> int:
    try:
        return os.lstat(name, dir_fd=dir_fd).st_mode
    except FileNotFoundError:
        raise
    except NotADirectoryError:
        raise FileNotFoundError(name) from None
    except OSError as exc:
        raise Unusable(f"{name} cannot be read ({os.strerror(exc.errno or 0)})") from None


def _open_error(exc: OSError, where: str) -> Exception:
    if exc.errno == errno.ENOENT:
        return FileNotFoundError(where)
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        # Swapped for a symlink between lstat and open.
        return Unusable(f"{where} is a symbolic link; write a regular file")
    return Unusable(f"{where} cannot be read ({os.strerror(exc.errno or 0)})")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _megabytes(n: int) -> str:
    if n >= 1024**2:
        return f"{n / 1024**2:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def _too_big(output: Output, size: int) -> str:
    return (
        f"{output.path} is larger than the {_megabytes(output.max_bytes)} limit "
        f"({_megabytes(size)} or more)"
    )


# --- text -------------------------------------------------------------------------------------


def _decode_utf8(data: bytes, path: str) -> str:
    """`data` as text: UTF-8, optional BOM dropped; anything else refused with a diagnosis."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusable(_not_utf8(path, "UTF-16: it starts with a UTF-16 byte-order mark"))
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unusable(_not_utf8(path, _guess_encoding(data, exc.start))) from None
    if "\x00" in text:
        # Valid UTF-8, but NUL bytes are what UTF-16 without a BOM (or a binary file) looks like.
        raise Unusable(_not_utf8(path, "UTF-16 or binary data: it contains NUL bytes"))
    return text


def _guess_encoding(data: bytes, bad_at: int) -> str:
    if data.count(b"\x00") > len(data) // 8:
        return "UTF-16 or binary data: it contains many NUL bytes"
    where = f"byte 0x{data[bad_at]:02X} at offset {bad_at} is not UTF-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return f"binary data: {where}"
    return f"Latin-1 / Windows-1252: {where}"


def _not_utf8(path: str, looks_like: str) -> str:
    return (
        f"{path} is not UTF-8 text (looks like {looks_like}); save it as UTF-8, "
        "e.g. with pandas' default to_csv(path, index=False) or json.dump to a file opened "
        "with encoding='utf-8'"
    )


# --- CSV --------------------------------------------------------------------------------------


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


# --- JSON -------------------------------------------------------------------------------------


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_JSON_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


def _check_json_shape(data: bytes, path: str, max_items: int) -> None:
    """Count the values and the nesting of `data` before anything is built from it: `json.loads`
    costs ~60 bytes per value however small the value is, so the count, not the file size,
    bounds the grader's memory. Strings are blanked first (UTF-8 never has `"` or `\\` inside a
    multi-byte character), then the commas and opening brackets outside them are counted: an
    upper bound on the values (at most twice their number, for a list of empty objects)."""
    skeleton = _JSON_STRING.sub(b'""', data)
    if _nesting(skeleton) > MAX_JSON_DEPTH:
        raise Unusable(_too_deep(path))
    items = skeleton.count(b",") + skeleton.count(b"[") + skeleton.count(b"{") + 1
    if items > max_items:
        raise Unusable(
            f"{path} holds about {items:,} values (objects, lists, numbers and strings), more "
            f"than the {max_items:,} limit; write only the answers that were asked for"
        )


def _nesting(skeleton: bytes, chunk: int = 1024**2) -> int:
    """The deepest bracket nesting of a JSON text without strings, a chunk at a time (so the
    work arrays stay a few MB whatever the file's size)."""
    level = deepest = 0
    for start in range(0, len(skeleton), chunk):
        part = np.frombuffer(
            skeleton, dtype=np.uint8, count=min(chunk, len(skeleton) - start), offset=start
        )
        steps = np.isin(part, _JSON_OPEN).astype(np.int32) - np.isin(part, _JSON_CLOSE)
        running = np.cumsum(steps) + level
        deepest, level = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _parse_json(data: bytes, path: str, max_items: int = 100_000) -> Any:
    text = _decode_utf8(data, path)
    if not text.strip():
        raise Unusable(f"{path} is an empty file; write a JSON object")
    _check_json_shape(data, path, max_items)

    def refuse_constant(name: str) -> Any:
        raise Unusable(
            f"{path} contains {name}, which is not valid JSON; write null or a number "
            "(json.dump(..., allow_nan=False) catches this)"
        )

    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise Unusable(f"{path}: key {key!r} appears twice in one object")
            result[key] = value
        return result

    try:
        value = json.loads(
            text, parse_constant=refuse_constant, object_pairs_hook=no_duplicate_keys
        )
    except RecursionError:
        raise Unusable(_too_deep(path)) from None
    except json.JSONDecodeError as exc:
        raise Unusable(f"{path} is not valid JSON ({exc})") from None
    except ValueError:
        # The only other ValueError json raises: an integer longer than Python converts.
        raise Unusable(
            f"{path} holds a number with thousands of digits; write it as text"
        ) from None
    _check_json_value(value, path)
    return value


def _too_deep(path: str) -> str:
    return f"{path} is nested more than {MAX_JSON_DEPTH} levels deep"


def _check_json_value(value: Any, path: str) -> None:
    """Depth cap, and no lone surrogates (they cannot be written to a UTF-8 report)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise Unusable(_too_deep(path))
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Unusable(
                    f"{path} contains a string with an unpaired surrogate escape (\\ud800-"
                    "\\udfff); write real characters"
                ) from None
