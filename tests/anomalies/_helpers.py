"""Helpers for per-anomaly tests."""

from __future__ import annotations

import numpy as np

from datalit.generators.anomalies import REGISTRY
from datalit.generators.engine import plant_all
from datalit.generators.spec import Plant
from tests.conftest import small_tables


def plant(name: str, recipe: str = "orders", seed: int = 0, rows: int = 400, **args):
    """Apply one anomaly through the engine; return (clean tables, raw tables, key)."""
    clean = small_tables(recipe, seed, rows)
    raw, key = plant_all(clean, [Plant(name, args)], np.random.default_rng(seed))
    return clean, raw, key


def call(name: str, recipe: str = "orders", seed: int = 0, rows: int = 400, **args):
    """Call the registered anomaly directly (for argument validation tests)."""
    return REGISTRY[name](small_tables(recipe, seed, rows), rng=np.random.default_rng(seed), **args)
