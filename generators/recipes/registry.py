"""The recipe registry: a recipe builds clean, internally consistent tables from a seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from datalit.errors import InvalidArgument, UnknownName
from datalit.generators.spec import Plant
from datalit.seeding import Seeded


@dataclass(frozen=True)
class Built:
    """A recipe's output: the clean tables (indexed 0..n-1) and instructor-only truth tables."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class RecipeType:
    """A registered recipe."""

    name: str
    description: str
    build: Callable[[Seeded], Built] = field(repr=False)
    main_table: str
    default_rows: int
    min_rows: int
    default_plants: tuple[Plant, ...]
    answers: Callable[[dict[str, pd.DataFrame]], dict[str, Any]] | None = field(
        default=None, repr=False
    )

    def check_rows(self, rows: int) -> int:
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < self.min_rows:
            raise InvalidArgument(
                f"recipe {self.name!r}: rows must be a whole number >= {self.min_rows} "
                f"(rows of table {self.main_table!r}), got {rows!r}"
            )
        return rows


REGISTRY: dict[str, RecipeType] = {}


def recipe(
    name: str,
    *,
    main_table: str,
    default_rows: int,
    min_rows: int,
    default_plants: list[Plant],
    answers: Callable[[dict[str, pd.DataFrame]], dict[str, Any]] | None = None,
):
    """Register `build(src, *, rows) -> Built` as recipe `name`; its docstring's first line
    describes it. `rows` sizes `main_table`; the other tables scale with it."""

    def register(fn):
        if name in REGISTRY:
            raise ValueError(f"recipe {name!r} registered twice")
        doc = (fn.__doc__ or "").strip()
        if not doc:
            raise TypeError(f"{fn.__name__}: a recipe needs a docstring (its description)")
        REGISTRY[name] = RecipeType(
            name=name,
            description=" ".join(doc.split("\n\n")[0].split()),
            build=fn,
            main_table=main_table,
            default_rows=default_rows,
            min_rows=min_rows,
            default_plants=tuple(default_plants),
            answers=answers,
        )
        return fn

    return register


def get(name: str) -> RecipeType:
    """The registered recipe `name`, or an error listing the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownName("recipe", name, list(REGISTRY)) from None
