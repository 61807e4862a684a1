"""Every registered anomaly is documented and covered (hypothesis's export check is the model)."""

from __future__ import annotations

from pathlib import Path

from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.registry import markdown_reference
from datalit.generators.recipes import REGISTRY as RECIPES

ROOT = Path(__file__).resolve().parents[1]


def test_anomaly_reference_is_current():
    doc = (ROOT / "docs" / "anomalies.md").read_text(encoding="utf-8")
    assert doc == markdown_reference(), "docs/anomalies.md is stale: run `make docs`"


def test_every_anomaly_has_its_own_test_and_examples_on_real_recipes():
    for name, a in REGISTRY.items():
        assert (ROOT / "tests" / "anomalies" / f"test_{name}.py").exists(), f"{name} has no test"
        assert a.description.endswith((".", ")")), f"{name}: description should be a sentence"
        for recipe, _ in a.examples:
            assert recipe in RECIPES, f"{name}: example names unknown recipe {recipe!r}"


def test_every_recipe_has_its_own_test():
    for name in RECIPES:
        assert (ROOT / "tests" / "recipes" / f"test_{name}.py").exists(), f"{name} has no test"


def test_the_catalog_doc_covers_every_exercise():
    from datalit.exercise import list_exercises

    doc = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    for slug in list_exercises():
        assert f"| `{slug}` |" in doc, f"docs/exercises.md lacks {slug} in the catalog table"
        assert f"**{slug}**" in doc, f"docs/exercises.md lacks {slug}'s plants and parts"
