"""Part kinds: one module per way of scoring a part. Importing this package registers them all
(see `registry` for what a kind declares)."""

import importlib
import pkgutil

from datalit.grading.parts.registry import (
    COMMON_FIELDS,
    REGISTRY,
    CoverageWorld,
    PartKind,
    ScoreInputs,
    get,
    kind_of,
    part_kind,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in {"registry", "answers"} and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "COMMON_FIELDS",
    "REGISTRY",
    "CoverageWorld",
    "PartKind",
    "ScoreInputs",
    "get",
    "kind_of",
    "part_kind",
]
