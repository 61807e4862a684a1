"""The byte bounds on what the grader writes: water-filling, cuts, the final check."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalit.errors import InvalidArgument
from datalit.grading.bounded import (
    Bounds,
    bounds,
    cut,
    fit_strings,
    json_size,
    notice,
    page_size,
    size_text,
    water_level,
    within,
)
from tests.seams.fault_plan import lower_bounds


def test_sizes_are_measured_as_written():
    assert json_size("a&b") == 3
    assert json_size('"\\') == 4  # \" and \\
    assert json_size("\x01") == 6  # \u0001
    assert json_size("é") == 2  # UTF-8, not \u00e9
    assert page_size("&") == len("&#34;&amp;&#34;")
    assert page_size('"') == len("&#34;\\&#34;&#34;")


def test_size_text_and_notice_read_as_people_write():
    assert size_text(512) == "512 bytes"
    assert size_text(16 * 1024) == "16 KB"
    assert size_text(3 * 1024**2 // 2) == "1.5 MB"
    assert size_text(1023 * 1024 + 1000) == "1024 KB"
    assert notice(2 * 1024**2) == "[datalit: this text was cut at 2 MB]"


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=30), st.integers(0, 50_000))
def test_water_level_fills_the_budget_and_never_more(costs, budget):
    level = water_level(costs, budget)
    if sum(costs) <= budget:
        assert level >= max(costs, default=0)
    else:
        assert sum(min(c, level) for c in costs) <= budget
        assert sum(min(c, level + 1) for c in costs) > budget  # the largest such level


def test_small_values_are_kept_whole_beside_a_huge_one():
    assert water_level([10, 20, 1_000_000], 1000) == 970


@given(st.text(), st.integers(min_value=0, max_value=400))
def test_a_cut_fits_and_ends_with_the_notice(text, max_bytes):
    out = cut(text, max_bytes, json_size)
    if json_size(text) <= max_bytes:
        assert out == text
    else:
        assert out.endswith("]")
        assert "[datalit: this text was cut at" in out
        assert text.startswith(out[: out.rindex("[datalit:")])
        if max_bytes >= json_size(notice(max_bytes)):
            assert json_size(out) <= max_bytes


def test_fit_strings_cuts_only_the_largest_strings():
    view = {"title": "Parts", "parts": [{"feedback": "ok"}, {"feedback": "&" * 100_000}]}
    fitted = fit_strings(view, 20_000, page_size)
    assert fitted["title"] == "Parts"
    assert fitted["parts"][0]["feedback"] == "ok"
    long = fitted["parts"][1]["feedback"]
    assert "[datalit: this text was cut at" in long
    assert len(json.dumps(fitted)) < 20_000
    assert view["parts"][1]["feedback"] == "&" * 100_000  # the input is not changed
    assert fit_strings({"a": ["x", 1, None]}, 10_000, page_size) == {"a": ["x", 1, None]}


def test_within_replaces_a_file_over_its_bound():
    assert within("small", 10, lambda: "fallback", what="x") == "small"
    assert within("x" * 11, 10, lambda: "fallback", what="x") == "fallback"


def test_the_bounds_can_be_lowered_for_tests_only_by_a_fault_plan(monkeypatch):
    assert bounds() == Bounds()
    lower_bounds(monkeypatch, markdown_bytes=4096)
    assert bounds().markdown_bytes == 4096
    assert bounds().report_bytes == Bounds().report_bytes
    lower_bounds(monkeypatch, no_such_bound=1)
    with pytest.raises(InvalidArgument, match="the test plan's bounds are not Bounds fields"):
        bounds()
    with pytest.raises(InvalidArgument, match="positive"):
        Bounds(report_bytes=0)
