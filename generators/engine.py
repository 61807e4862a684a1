"""Generation: recipe -> clean tables -> plants in order -> raw tables + answer key."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from datalit.generators import key as K
from datalit.generators.anomalies import get as get_anomaly
from datalit.generators.anomalies.patch import NEXT_ROW_ID
from datalit.generators.memory import reusing_memory
from datalit.generators.parallel import short_switch_interval
from datalit.generators.recipes import get as get_recipe
from datalit.generators.spec import Plant
from datalit.seeding import seeded


@dataclass(frozen=True)
class Generated:
    """Everything one generation run produced. Tables are indexed by row identity."""

    recipe: str
    seed: int
    rows: int
    plants: tuple[Plant, ...]
    clean: dict[str, pd.DataFrame]
    """The clean tables (the truth), row identity = position."""
    raw: dict[str, pd.DataFrame]
    """The tables a candidate gets: the clean tables with every plant applied."""
    truth: dict[str, pd.DataFrame]
    """Instructor-only tables the recipe derives (e.g. the character spans of personal data)."""
    key: pd.DataFrame
    """The answer key (see datalit.generators.key)."""

    @functools.cached_property
    def answers(self) -> dict[str, Any]:
        """True answers to the recipe's questions, computed on the clean tables when first asked
        (when the key folder is written), not during generation."""
        spec = get_recipe(self.recipe)
        return spec.answers(self.clean) if spec.answers else {}


def plant_all(
    tables: Mapping[str, pd.DataFrame],
    plants: Sequence[Plant],
    rng: np.random.Generator,
    *,
    on_step: Callable[[str], None] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Apply `plants` in order to `tables`; return the raw tables and the finished key.
    `on_step(name)` is called after each plant (progress display)."""
    current = dict(tables)
    next_id = {name: len(df) for name, df in tables.items()}
    key = K.no_rows()
    # Rows added through `patch.copy_rows` take their ids from `next_id` as they are made.
    ids_token = NEXT_ROW_ID.set(next_id)
    try:
        for number, plant in enumerate(plants, start=1):
            anomaly = get_anomaly(plant.anomaly)
            result = anomaly(current, rng=rng, **plant.args)
            step = result.key_rows
            step_rows = step["row"].to_numpy().copy()
            for name, df in result.tables.items():
                index = df.index
                if not isinstance(index, pd.RangeIndex) and len(index) and index.min() < 0:
                    # Rows added some other way have provisional ids -1, -2, …: they become
                    # the next free ids, in the order added.
                    labels = index.to_numpy().copy()
                    provisional = labels < 0
                    labels[provisional] = next_id[name] - 1 - labels[provisional]
                    df = df.set_axis(pd.Index(labels, copy=False), axis=0)
                    in_table = pc.equal(step["table"], name).to_numpy(zero_copy_only=False)
                    in_table &= step_rows < 0
                    step_rows[in_table] = next_id[name] - 1 - step_rows[in_table]
                    next_id[name] += int(provisional.sum())
                current[name] = df
            step = K.stamped(
                step, rows=step_rows, anomaly_id=f"p{number:02d}", anomaly=anomaly.name
            )
            key = K.compose(key, step)
            if on_step:
                on_step(f"planted {anomaly.name}")
    finally:
        NEXT_ROW_ID.reset(ids_token)
    return current, K.finalize(key)


def generate(
    recipe: str,
    *,
    seed: int,
    rows: int | None = None,
    plants: Sequence[Plant] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Generated:
    """Build `recipe` from `seed` and plant `plants` (the recipe's defaults when None)."""
    spec = get_recipe(recipe)
    n = spec.default_rows if rows is None else spec.check_rows(rows)
    src = seeded(seed)
    chosen = tuple(spec.default_plants if plants is None else plants)
    # Temporaries' memory is reused, not faulted in afresh (memory.py); threads take short
    # turns at the GIL (parallel.py).
    with reusing_memory(), short_switch_interval():
        built = spec.build(src, rows=n)
        if on_step:
            on_step(f"built {spec.name}")
        raw, key = plant_all(built.tables, chosen, src.rng, on_step=on_step)
    return Generated(
        recipe=spec.name,
        seed=seed,
        rows=n,
        plants=chosen,
        clean=built.tables,
        raw=raw,
        truth=built.truth,
        key=key,
    )
