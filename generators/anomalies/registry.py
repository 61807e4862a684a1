"""The anomaly registry: plain functions, one decorator, one argument naming scheme.

An anomaly is a function ``fn(tables, *, rng, table, ..., fraction=...) -> Planted``:
keyword-only arguments, randomness only from ``rng``, the input tables never mutated. It returns
the tables it changed and its answer-key rows (see ``datalit.generators.key``). Rows it adds
through ``patch.copy_rows`` get their final ids; rows added any other way carry provisional
negative ids (-1, -2, …), which the engine numbers.

Every argument name comes from ``ARGUMENTS`` below, which also validates it, so the same name
means the same thing in every anomaly (hypothesis's api-style: validate, raise a specific error,
same names everywhere).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from datalit.errors import InvalidArgument, UnknownName
from datalit.generators import key as K


@dataclass(frozen=True)
class Planted:
    """What one anomaly did."""

    tables: dict[str, pd.DataFrame]
    """The tables it changed (new objects; the input is untouched)."""
    key_rows: pa.Table
    """Its answer-key rows (made by ``datalit.generators.key``'s `cell_changes`, `rows_added`,
    `rows_removed`, joined with its `concat`); ``anomaly_id`` and ``anomaly`` are filled in by
    the engine."""

    @property
    def key(self) -> pd.DataFrame:
        """The key rows as a DataFrame, to read (the engine composes `key_rows`)."""
        return K.as_frame(self.key_rows)


@dataclass(frozen=True)
class Argument:
    """One argument of the shared naming scheme."""

    name: str
    help: str
    check: Callable[[Any, Mapping[str, pd.DataFrame], dict[str, Any]], str | None] = field(
        repr=False
    )
    """Returns an error message, or None when the value is valid."""


def _table(value, tables, args):
    if not isinstance(value, str) or value not in tables:
        return f"must be one of the tables {sorted(tables)}, got {value!r}"
    return None


def _column_of(table_arg: str):
    def check(value, tables, args):
        table = args.get(table_arg)
        if table not in tables:
            return None  # the table argument reports its own error
        columns = list(tables[table].columns)
        if not isinstance(value, str) or value not in columns:
            return f"must be a column of table {table!r} ({', '.join(columns)}), got {value!r}"
        return None

    return check


def _columns(value, tables, args):
    table = args.get("table")
    if table not in tables:
        return None
    columns = list(tables[table].columns)
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or len(set(value)) != 2
        or any(v not in columns for v in value)
    ):
        return f"must be two different columns of table {table!r} ({', '.join(columns)}), got {value!r}"
    return None


def _fraction(value, tables, args):
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return f"must be a number in [0, 1], got {value!r}"
    return None


def _positive(value, tables, args):
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return f"must be a number > 0, got {value!r}"
    return None


def _scale_factor(value, tables, args):
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or value == 1:
        return f"must be a number > 0 other than 1 (e.g. 1000, 0.01), got {value!r}"
    return None


def _optional_text(value, tables, args):
    if value is not None and not isinstance(value, str):
        return f"must be text, got {value!r}"
    return None


def _text_list(value, tables, args):
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        return f"must be a non-empty list of names, got {value!r}"
    return None


ARGUMENTS: dict[str, Argument] = {
    a.name: a
    for a in [
        Argument("table", "the table to change", _table),
        Argument("column", "the column to change", _column_of("table")),
        Argument("columns", "two columns of the table", _columns),
        Argument("fraction", "share of eligible rows to change, in [0, 1]", _fraction),
        Argument(
            "depends_on",
            "the column whose values decide which rows change (MAR: where values go missing; "
            "careless_labeler: whose labels flip)",
            _column_of("table"),
        ),
        Argument("earlier_column", "the column whose value must come first", _column_of("table")),
        Argument(
            "determinant", "the column that determines `column` (X -> column)", _column_of("table")
        ),
        Argument("tz_column", "the column holding each row's IANA time zone", _column_of("table")),
        Argument("parent", "the table a foreign key points to", _table),
        Argument("parent_column", "the key column of the parent table", _column_of("parent")),
        Argument(
            "factor", "the multiplier of a scale error (e.g. 1000, 100, 0.001)", _scale_factor
        ),
        Argument("degree", "how far outliers lie beyond the column's range, in IQRs", _positive),
        Argument(
            "sentinel",
            "the placeholder value to write (default: one per column type)",
            _optional_text,
        ),
        Argument("kinds", "kinds of personal data to plant", _text_list),
    ]
}


@dataclass(frozen=True)
class AnomalyType:
    """A registered anomaly."""

    name: str
    function: Callable[..., Planted] = field(repr=False)
    description: str
    defaults: dict[str, Any]
    required: tuple[str, ...]
    examples: tuple[tuple[str, dict[str, Any]], ...]
    """(recipe, arguments) pairs that apply this anomaly to a built-in recipe's tables; the
    property tests draw from them (and vary ``fraction``), and the docs show them."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return (*self.required, *self.defaults)

    def signature(self) -> str:
        parts = list(self.required) + [f"{k}={v!r}" for k, v in self.defaults.items()]
        return ", ".join(parts)

    def __call__(self, tables: Mapping[str, pd.DataFrame], *, rng, **args) -> Planted:
        validated = self.validate(tables, args)
        return self.function(tables, rng=rng, **validated)

    def validate(self, tables: Mapping[str, pd.DataFrame], args: dict[str, Any]) -> dict[str, Any]:
        """Check `args` against this anomaly's arguments and the tables; fill defaults."""
        unknown = set(args) - set(self.arguments)
        if unknown:
            raise InvalidArgument(
                f"anomaly {self.name!r} has no argument {sorted(unknown)[0]!r}; "
                f"its arguments are: {self.signature()}"
            )
        missing = [a for a in self.required if a not in args]
        if missing:
            raise InvalidArgument(
                f"anomaly {self.name!r} needs the argument {missing[0]!r} "
                f"({ARGUMENTS[missing[0]].help}); its arguments are: {self.signature()}"
            )
        full = {**self.defaults, **args}
        for name, value in full.items():
            error = ARGUMENTS[name].check(value, tables, full)
            if error:
                raise InvalidArgument(f"anomaly {self.name!r}: argument {name!r} {error}")
        return full


REGISTRY: dict[str, AnomalyType] = {}


def anomaly(
    name: str, *, examples: list[tuple[str, dict[str, Any]]]
) -> Callable[[Callable[..., Planted]], Callable[..., Planted]]:
    """Register an anomaly function under `name`. Its docstring's first paragraph is its
    description;
    its keyword-only arguments must come from the shared naming scheme (``ARGUMENTS``);
    `examples` are (recipe, arguments) pairs it applies to (at least one)."""

    def register(fn: Callable[..., Planted]) -> Callable[..., Planted]:
        if name in REGISTRY:
            raise ValueError(f"anomaly {name!r} registered twice")
        params = inspect.signature(fn).parameters
        positional = [p for p in params.values() if p.kind is not p.KEYWORD_ONLY]
        if [p.name for p in positional] != ["tables"]:
            raise TypeError(f"{fn.__name__}: the only positional parameter must be `tables`")
        keyword = {p.name: p for p in params.values() if p.kind is p.KEYWORD_ONLY}
        if "rng" not in keyword:
            raise TypeError(f"{fn.__name__}: randomness comes from a keyword-only `rng`")
        del keyword["rng"]
        outside = set(keyword) - set(ARGUMENTS)
        if outside:
            raise TypeError(
                f"{fn.__name__}: arguments {sorted(outside)} are not in the naming scheme; "
                "add them to ARGUMENTS (with a validator) or reuse an existing name"
            )
        if not examples:
            raise TypeError(f"{fn.__name__}: give at least one (recipe, arguments) example")
        doc = inspect.getdoc(fn) or ""
        if not doc:
            raise TypeError(f"{fn.__name__}: an anomaly needs a docstring (its description)")
        REGISTRY[name] = AnomalyType(
            name=name,
            function=fn,
            description=" ".join(doc.split("\n\n")[0].split()),
            defaults={k: p.default for k, p in keyword.items() if p.default is not p.empty},
            required=tuple(k for k, p in keyword.items() if p.default is p.empty),
            examples=tuple((r, dict(a)) for r, a in examples),
        )
        return fn

    return register


def get(name: str) -> AnomalyType:
    """The registered anomaly `name`, or an error listing the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownName("anomaly", name, list(REGISTRY)) from None


def markdown_reference() -> str:
    """docs/anomalies.md: every registered anomaly with its description, arguments and an example."""
    lines = [
        "# Anomaly types",
        "",
        "Generated from the registry by `make docs` (`datalit anomalies --markdown`); a test fails",
        "when this file and the registry disagree. Arguments follow one naming scheme:",
        "",
    ]
    lines += [f"- `{a.name}`: {a.help}" for a in ARGUMENTS.values()]
    lines += ["", "| anomaly | what it plants | arguments | example |", "|---|---|---|---|"]
    for name in sorted(REGISTRY):
        a = REGISTRY[name]
        recipe, args = a.examples[0]
        example = f"{recipe}: " + ", ".join(f"{k}={v!r}" for k, v in args.items())
        lines.append(f"| `{name}` | {a.description} | `{a.signature()}` | {example} |")
    return "\n".join(lines) + "\n"
