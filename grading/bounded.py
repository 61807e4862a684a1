"""Bounds on every file the grader writes from candidate content, measured as written.

Escaping inflates text: `&` is 5 bytes in HTML (`&amp;`), `"` is 6 in a page that shows it as
JSON (`\\&#34;`), a control character 6 in JSON (`\\u0001`). A cap on what the candidate handed in
is therefore no cap on what the grader writes. Every writer of candidate-derived text applies the
same two steps:

1. **A budget before rendering.** The candidate-derived strings of one file are measured as they
   will be written (`json_size`, `page_size`) and share a byte budget by water-filling
   (`water_level`): every string smaller than the level is kept whole, each larger one is cut to
   the level and ends with `notice(...)` ("[datalit: this text was cut at 16 KB]"). Small strings
   (titles, feedback, a written finding of a few KB) are never cut because of one huge neighbour.
2. **A final check of the rendered file** (`within`): a file still over its bound (many small
   values, markup) is replaced by its writer's fallback, a short document of the same format
   that says it was cut. A file is written whole or not at all (`record.write_atomic`), so a
   bounded file is always a valid file of its format.

The bounds (`Bounds`, defaults below) fit real submissions with a wide margin: a written finding
is a few KB, a notebook's code a few tens of KB, its text outputs are already capped by the
sandbox (1 MB of text, 10 MB of PNG).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from markupsafe import escape

from datalit.errors import InvalidArgument
from datalit.grading import seams

log = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The most bytes the grader writes, per file, from one submission (and per cohort)."""

    markdown_chars: int = 128 * KiB
    """Characters of markdown read from the submission, all cells together (a release notebook
    with its written finding has 5-7 thousand); the rest is cut. Parsing markdown is what costs
    time here: about 4 s for these in the worst case measured."""
    markdown_bytes: int = 512 * KiB
    """The submission's markdown cells in the autograded notebook, made inert and JSON-encoded,
    all together (entities make `&` five bytes: a cut is then needed)."""
    markdown_cells: int = 5000
    """Markdown cells kept in the autograded notebook (the sandbox runs at most 5000 code
    cells)."""
    code_bytes: int = 8 * MiB
    """The code cells' sources in the autograded notebook, JSON-encoded, all together."""
    autograded_bytes: int = 32 * MiB
    """The whole autograded notebook: markdown and code as above, plus the outputs the sandbox
    kept (at most 1 MB of text, 2 MB once JSON-escaped, and 10 MB of PNG) and the cells'
    structure."""
    report_text_bytes: int = 2 * MiB
    """The strings of one report view (candidate or reviewer), each measured as shown in its page
    (HTML-escaped JSON, an upper bound of its size in the JSON and CSV files too)."""
    report_bytes: int = 8 * MiB
    """Each report file: report.html/.json, the reviewer's .html/.json/.csv."""
    cohort_text_bytes: int = 16 * MiB
    cohort_bytes: int = 64 * MiB
    """Each cohort file (cohort.html/.json/.csv); its size grows with the roster, not with what
    one candidate writes."""
    ledger_text_bytes: int = 4 * KiB
    """Each string of the ledger (the result's reason), JSON-encoded."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgument(f"bound {f.name} must be a positive integer, not {value!r}")


def bounds() -> Bounds:
    """The bounds in force: the defaults, or lower ones a test plan sets at the `seams.BOUNDS`
    seam (so small fixtures reach them)."""
    override = seams.value(seams.BOUNDS, None)
    if override is None:
        return Bounds()
    try:
        return Bounds(**override)
    except TypeError as exc:
        raise InvalidArgument(f"the test plan's bounds are not Bounds fields: {exc}") from None


# --- sizes ------------------------------------------------------------------------------------


def size_text(n: int) -> str:
    """A byte count as people read it: 512 bytes, 16 KB, 1.5 MB."""
    if n < KiB:
        return f"{n} bytes"
    value, unit = (n / KiB, "KB") if n < MiB else (n / MiB, "MB")
    digits = f"{value:.3g}"
    return f"{value:.0f} {unit}" if "e" in digits else f"{digits} {unit}"


def notice(kept: int) -> str:
    """The placeholder that ends a cut text: where (in bytes as written) it was cut."""
    return f"[datalit: this text was cut at {size_text(kept)}]"


def file_notice(what: str, limit: int) -> str:
    """The placeholder of a file replaced by its fallback."""
    return f"[datalit: {what} was cut: it would have been larger than {size_text(limit)}]"


def json_size(text: str) -> int:
    """Bytes `text` takes inside a JSON string written with ensure_ascii=False."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")) - 2


def page_size(text: str) -> int:
    """Bytes `text` takes at most in a report: as JSON, HTML-escaped (what the pages' `compact`
    and `pretty` filters show). Also bounds its size as plain escaped HTML, in the JSON file and
    as a CSV cell."""
    return len(str(escape(json.dumps(text, ensure_ascii=False))).encode("utf-8", "surrogatepass"))


def clean(text: str) -> str:
    """Text that can be encoded: unpaired surrogates replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


# --- budgets ------------------------------------------------------------------------------------


def water_level(costs: list[int], budget: int) -> int:
    """The largest level L such that the costs, each capped at L, sum to at most `budget`: every
    cost up to L fits whole, every larger one is cut to L. Returns a level at least as large as
    the largest cost when everything fits."""
    if sum(costs) <= budget:
        return max(costs, default=0)
    left, remaining = budget, len(costs)
    for cost in sorted(costs):
        if cost * remaining > left:
            return max(left // remaining, 0)
        left -= cost
        remaining -= 1
    return max(costs, default=0)  # not reached: the sum was over the budget


def cut(text: str, max_bytes: int, measure: Callable[[str], int], *, suffix: str = "") -> str:
    """`text` if `measure(text) <= max_bytes`, else its longest prefix that fits together with
    `suffix` and the notice (just the notice when nothing fits). A prefix is cut at a character,
    so the result is as escapable as the text itself."""
    if measure(text) <= max_bytes:
        return text
    tail = measure(suffix + notice(KiB - 1))  # the longest notice: "1023 bytes"
    lo, hi = 0, min(len(text), max_bytes)
    while lo < hi:  # the longest prefix whose tail fits: `measure` is at least 1 per character
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) + tail <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    kept = measure(text[:lo]) - measure("")  # without the quotes a measure may count
    return text[:lo] + suffix + notice(kept)


def fit_strings(
    value: Any, budget: int, measure: Callable[[str], int], *, node_cost: int = 32
) -> Any:
    """A copy of a JSON-like value (dicts, lists, scalars) whose strings share `budget` bytes by
    water-filling (see the module docstring); every list item and dict entry is also charged
    `node_cost` for the markup around it. Dict keys are kept (they name the facts) and charged
    as fixed cost."""
    strings: list[str] = []
    fixed = 0
    for kind, item in _walk(value):
        fixed += node_cost
        if kind == "key":
            fixed += measure(item)
        elif kind == "str":
            strings.append(item)
    costs = [measure(s) for s in strings]
    level = water_level(costs, budget - fixed)
    if all(c <= level for c in costs):
        return value
    cuts = {
        i: cut(s, level, measure)
        for i, (s, c) in enumerate(zip(strings, costs, strict=True))
        if c > level
    }
    counter = iter(range(len(strings)))
    return _rebuild(value, lambda s: cuts.get(next(counter), s))


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield "str", item
        elif isinstance(item, dict):
            for k in item:
                yield "key", str(k)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
        else:
            yield "scalar", item


def _rebuild(value: Any, replace: Callable[[str], str]) -> Any:
    """`value` with each string (in `_walk` order) replaced by `replace(string)`."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {k: _rebuild(v, replace) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rebuild(v, replace) for v in value]
    return value


def within(text: str, limit: int, fallback: Callable[[], str], *, what: str) -> str:
    """The final check of a rendered file: `text` if it fits `limit` bytes (UTF-8), else
    `fallback()`, a short valid document of the same format."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return text
    log.warning(
        "%s would be %s, over its bound of %s: written cut", what, size_text(size), size_text(limit)
    )
    return fallback()


__all__ = [
    "Bounds",
    "bounds",
    "clean",
    "cut",
    "file_notice",
    "fit_strings",
    "json_size",
    "notice",
    "page_size",
    "size_text",
    "water_level",
    "within",
]
