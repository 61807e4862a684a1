"""Check that the files your notebook writes are where the grader looks and have the right shape.

Run it in this folder, after running your notebook from top to bottom:

    python check_outputs.py

It looks at file names, columns, JSON keys and value types, nothing else. It does not score
anything: passing it says nothing about whether your answers are right.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from pathlib import Path

# The declared outputs of this exercise (filled in when the exercise is released).
DECLARED_OUTPUTS: list[dict] = []

HERE = Path(__file__).resolve().parent
FIELD_KINDS = {
    "ids": "a list of ids (numbers or text)",
    "numeric": "a number, or an object mapping names to numbers",
}


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; raises ValueError with a reason the candidate can act on."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ValueError("not found: run the notebook from top to bottom first") from None
    if stat.S_ISLNK(info.st_mode):
        raise ValueError("is a symbolic link: write a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("is not a regular file")
    if info.st_size > max_bytes:
        raise ValueError(f"is {info.st_size:,} bytes; at most {max_bytes:,} are read")
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)


def as_utf8(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"is not UTF-8 (byte {exc.start}); write it with encoding='utf-8'"
        ) from None
    return text.removeprefix("\ufeff")


def check_csv(output: dict, data: bytes) -> list[str]:
    problems = []
    rows = list(csv.reader(io.StringIO(as_utf8(data), newline="")))
    if not rows:
        return ["is empty: it needs a header row"]
    header, body = rows[0], [r for r in rows[1:] if r]
    problems += check_columns(output, header)
    ragged = [n for n, row in enumerate(body, start=2) if len(row) != len(header)]
    if ragged:
        problems.append(
            f"{len(ragged)} row(s) do not have {len(header)} fields (first: line {ragged[0]})"
        )
    if len(body) > output["max_rows"]:
        problems.append(f"has {len(body):,} rows; at most {output['max_rows']:,} are read")
    return problems


def check_parquet(output: dict, data: bytes) -> list[str]:
    try:
        import pandas as pd

        table = pd.read_parquet(io.BytesIO(data))
    except ImportError:
        return ["cannot be checked here: reading Parquet needs pandas with pyarrow"]
    except Exception as exc:  # any reader error means the grader cannot read it either
        return [f"is not a readable Parquet file ({type(exc).__name__}: {exc})"]
    problems = check_columns(output, [str(c) for c in table.columns])
    if len(table) > output["max_rows"]:
        problems.append(f"has {len(table):,} rows; at most {output['max_rows']:,} are read")
    return problems


def check_columns(output: dict, header: list[str]) -> list[str]:
    expected = output["columns"]
    if not expected:
        return []
    problems = []
    repeated = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if repeated:
        problems.append(f"repeats column(s) {', '.join(repeated)}")
    if missing:
        problems.append(f"lacks column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"has column(s) that are not asked for: {', '.join(extra)}")
    return problems


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON: write null or a number")


def _no_duplicate_keys(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"the key {repeated[0]!r} appears twice in one object")
    return dict(pairs)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_json(output: dict, data: bytes) -> list[str]:
    try:
        value = json.loads(
            as_utf8(data), parse_constant=_no_constants, object_pairs_hook=_no_duplicate_keys
        )
    except json.JSONDecodeError as exc:
        return [f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"]
    except (ValueError, RecursionError) as exc:
        return [f"is not valid JSON ({exc})"]
    if not isinstance(value, dict):
        return ["must hold a JSON object ({...}) at the top"]
    problems = []
    for field, kind in output["fields"].items():
        if field not in value:
            problems.append(f"lacks the key {field!r} ({FIELD_KINDS[kind]})")
            continue
        item = value[field]
        if kind == "ids":
            if not isinstance(item, list):
                problems.append(f"{field!r} must be a list")
            elif not all(isinstance(i, int | str) and not isinstance(i, bool) for i in item):
                problems.append(f"{field!r} must hold only numbers or text")
        elif kind == "numeric":
            if isinstance(item, dict):
                if not all(is_number(v) for v in item.values()):
                    problems.append(f"every value of {field!r} must be a number")
            elif not is_number(item):
                problems.append(f"{field!r} must be a number or an object of numbers")
    return problems


def check(output: dict) -> list[str]:
    path = HERE / output["path"]
    try:
        data = read_regular_file(path, output["max_bytes"])
        if output["kind"] == "json":
            return check_json(output, data)
        if output["path"].endswith(".parquet"):
            return check_parquet(output, data)
        return check_csv(output, data)
    except ValueError as exc:
        return [str(exc)]
    except OSError as exc:
        return [f"cannot be read ({exc.strerror})"]


def main() -> int:
    failed = 0
    for output in DECLARED_OUTPUTS:
        problems = check(output)
        if problems:
            failed += 1
            print(f"PROBLEM  {output['path']}")
            for problem in problems:
                print(f"         - {problem}")
        else:
            print(f"ok       {output['path']}")
    if failed:
        print(f"\n{failed} of {len(DECLARED_OUTPUTS)} output file(s) need attention.")
        return 1
    print(
        f"\nAll {len(DECLARED_OUTPUTS)} output files are where the grader looks and have the "
        "right shape. (This does not say whether their contents are right.)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
