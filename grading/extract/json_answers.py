"""JSON answers: values and nesting counted on the bytes before anything is built, then parsed
with NaN/Infinity and duplicate keys refused, and checked to be plain data."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from datalit.grading.extract.limits import MAX_JSON_DEPTH, Unusable
from datalit.grading.extract.text import _decode_utf8

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
