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
