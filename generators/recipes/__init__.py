"""Recipes: clean base tables. Importing this package registers every recipe module in it."""

import importlib
import pkgutil

from datalit.generators.recipes.registry import REGISTRY, Built, RecipeType, get, recipe

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry" and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "Built", "RecipeType", "get", "recipe"]
