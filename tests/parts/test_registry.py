"""Every registered part kind is documented in docs/authoring.md and has its own test, and
exercise.toml fields are checked against the kind (hypothesis' export check is the model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.grading.parts import COMMON_FIELDS, REGISTRY
from tests.parts._kit import write_exercise

ROOT = Path(__file__).resolve().parents[2]


def test_the_six_kinds_are_registered():
    assert set(REGISTRY) == {"suite", "rows", "ids", "numeric", "spans", "manual"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_kind_is_documented_and_tested(name):
    doc = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert f"| `{name}` |" in doc, f"docs/authoring.md's table of part kinds lacks {name}"
    assert (ROOT / "tests" / "parts" / f"test_{name}.py").is_file(), f"{name} has no test"
    assert (ROOT / "grading" / "parts" / f"{name}.py").is_file(), "one module per kind"
    kind = REGISTRY[name]
    assert kind.summary, f"{name}: give it a summary"
    assert not kind.options & COMMON_FIELDS
    assert kind.reads in ("table", "json", None)


def test_a_field_the_kind_does_not_take_is_refused(tmp_path):
    write_exercise(
        tmp_path,
        """
        [[parts]]
        id = "revenue"
        kind = "numeric"
        title = "Revenue"
        points = 2
        output = "answers"
        field = "revenue"
        truth = "revenue"
        tolerence = 0.01
        """,
    )
    with pytest.raises(InvalidArgument, match=r"unknown field 'tolerence' for a numeric part"):
        load_exercise("probe", root=tmp_path)


def test_an_unknown_kind_names_the_registered_ones(tmp_path):
    write_exercise(
        tmp_path,
        """
        [[parts]]
        id = "x"
        kind = "essay"
        points = 2
        """,
    )
    with pytest.raises(InvalidArgument, match=r"kind must be one of .*'manual'"):
        load_exercise("probe", root=tmp_path)


def test_a_kind_reading_json_refuses_a_table_output(tmp_path):
    write_exercise(
        tmp_path,
        """
        [[parts]]
        id = "flags"
        kind = "ids"
        points = 2
        output = "orders_clean"
        field = "x"
        truth = "y"
        """,
    )
    with pytest.raises(InvalidArgument, match=r"an ids part reads a json output"):
        load_exercise("probe", root=tmp_path)
