"""What to generate: a recipe, a row count and the plants, from code or a small TOML file.

```toml
recipe = "orders"
rows = 2000            # optional: the recipe's main table size

[[plants]]
anomaly = "exact_duplicates"
table = "orders"
fraction = 0.02
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datalit.errors import InvalidArgument


@dataclass(frozen=True)
class Plant:
    """One anomaly to plant, with its arguments."""

    anomaly: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationSpec:
    """A recipe plus plants; `plants=None` means the recipe's default plants."""

    recipe: str
    rows: int | None = None
    plants: tuple[Plant, ...] | None = None


def load_spec(path: Path) -> GenerationSpec:
    """Read a generation spec TOML, with errors that say which entry is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgument(f"spec file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"spec file {path} is not valid TOML: {exc}") from None
    return spec_from_dict(data, source=str(path))


def spec_from_dict(data: dict[str, Any], *, source: str = "spec") -> GenerationSpec:
    """Build a spec from parsed TOML (also the `[generate]` table of an exercise.toml)."""
    unknown = set(data) - {"recipe", "rows", "plants"}
    if unknown:
        raise InvalidArgument(
            f"{source}: unknown key {sorted(unknown)[0]!r}; expected recipe, rows, plants"
        )
    recipe = data.get("recipe")
    if not isinstance(recipe, str):
        raise InvalidArgument(f'{source}: needs recipe = "<name>" (see `datalit generate --help`)')
    rows = data.get("rows")
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool)):
        raise InvalidArgument(f"{source}: rows must be a whole number, got {rows!r}")
    plants = data.get("plants")
    if plants is None:
        return GenerationSpec(recipe=recipe, rows=rows)
    if not isinstance(plants, list):
        raise InvalidArgument(f"{source}: plants must be a list of [[plants]] tables")
    out = []
    for i, entry in enumerate(plants, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("anomaly"), str):
            raise InvalidArgument(f'{source}: plant {i} needs anomaly = "<name>"')
        args = {k: v for k, v in entry.items() if k != "anomaly"}
        out.append(Plant(anomaly=entry["anomaly"], args=args))
    return GenerationSpec(recipe=recipe, rows=rows, plants=tuple(out))


def varied_plants(plants: tuple[Plant, ...], *, seed: int, spread: float) -> tuple[Plant, ...]:
    """The plants with each `fraction` scaled by a factor drawn from [1 - spread, 1 + spread].

    Why: with fixed fractions every variant plants the same number of rows, so a count that
    decides points (rows kept, ids flagged) is the same for every candidate and a copied answer
    matches it by chance. A few rows more or fewer at the same rate change no difficulty.
    The factors come from their own stream (seeded by `seed`), so the variant's data stream is
    the one `generate` would use with the fixed fractions.
    """
    import numpy as np

    if not 0 <= spread < 1:
        raise InvalidArgument(f"vary_fraction must be in [0, 1), got {spread!r}")
    if spread == 0 or not plants:
        return plants
    # A fixed word beside the seed: this stream never coincides with the variant's own.
    rng = np.random.default_rng([seed, 0x706C616E74])
    out = []
    for plant in plants:
        factor = float(rng.uniform(1 - spread, 1 + spread))
        fraction = plant.args.get("fraction")
        if isinstance(fraction, int | float) and not isinstance(fraction, bool):
            args = {**plant.args, "fraction": min(1.0, round(fraction * factor, 6))}
            out.append(Plant(anomaly=plant.anomaly, args=args))
        else:
            out.append(plant)
    return tuple(out)
