"""Anomalies: one module per anomaly type. Importing this package registers all of them."""

import importlib
import pkgutil

from datalit.generators.anomalies.registry import (
    ARGUMENTS,
    REGISTRY,
    AnomalyType,
    Planted,
    anomaly,
    get,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in {"registry", "patch", "values"} and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ARGUMENTS", "REGISTRY", "AnomalyType", "Planted", "anomaly", "get"]
