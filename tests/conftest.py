"""Shared fixtures: small clean tables per recipe, built once per seed and reused."""

from __future__ import annotations

import functools

import pandas as pd

from datalit.generators.recipes import get as get_recipe
from datalit.seeding import seeded

SMALL_ROWS = 200


@functools.lru_cache(maxsize=64)
def _built(recipe: str, seed: int, rows: int):
    return get_recipe(recipe).build(seeded(seed), rows=rows)


def small_tables(recipe: str, seed: int, rows: int = SMALL_ROWS) -> dict[str, pd.DataFrame]:
    """Clean tables of `recipe` (cached: callers get shallow copies and must not mutate)."""
    rows = max(rows, get_recipe(recipe).min_rows)
    return {name: df.copy(deep=False) for name, df in _built(recipe, seed, rows).tables.items()}
