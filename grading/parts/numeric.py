"""``numeric``: a number, or an object of numbers (revenue by country), in a JSON output.

Each expected entry within the relative tolerance (or the absolute one, when the part has one)
earns an equal share of the points, a missing entry earns nothing and extra keys are ignored. A
value that is not a finite float is not a number for its key, whatever its JSON type: text,
true/false, null, a list, and an integer beyond a float's range (valid JSON may have 400 digits).
"""

from __future__ import annotations

import reprlib
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datalit.errors import InvalidArgument
from datalit.grading.parts.answers import (
    FieldProblem,
    field_settings,
    field_value,
    json_kind,
    number,
    true_value,
)
from datalit.grading.parts.ids import json_answer_ignored
from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind, part_score
from datalit.grading.results import SCORED, UNREADABLE, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part

# Absorbs float representation error at the tolerance boundary (e.g. 0.5% of 200.0), so that a
# value exactly at the tolerance counts, as documented.
BOUNDARY_SLACK = 1e-9
_MISSING = object()
"""Marks an expected entry the candidate's answer does not have."""


@dataclass(frozen=True)
class NumericSettings:
    field: str
    truth: str
    tolerance: float = 0.0
    """Relative tolerance."""
    abs_tolerance: float = 0.0
    """Absolute tolerance; a value passes within either (rates near 0 need an absolute one)."""


@part_kind("numeric")
class Numeric(PartKind):
    reads = "json"
    options = frozenset({"field", "truth", "tolerance", "abs_tolerance"})
    summary = "a number or an object of numbers in a JSON output, each within a tolerance"

    def settings(self, raw, where):
        names = field_settings(raw, self.name, where)
        tolerances = [float(raw.get(k, 0.0)) for k in ("tolerance", "abs_tolerance")]
        if any(t < 0 for t in tolerances):
            raise InvalidArgument(f"{where}: tolerances must be >= 0")
        return NumericSettings(names.field, names.truth, *tolerances)

    def json_field(self, part):
        # "numeric" is the shape check_outputs.py (the release's self-check) tests for.
        return part.settings.field, "numeric", "a number, or an object of numbers"

    def catchers(self, part, world):
        return [part.id] if json_answer_ignored(part, world) else []

    constant_proof = True

    def constant_answer(self, part, others):
        truth = part.settings.truth
        values = [a["answers"][truth] for a in others if truth in a["answers"]]
        return part.settings.field, _median_answer(values)

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        where = inputs.where(part)
        s = part.settings
        try:
            given = field_value(part, inputs.output, where)
        except FieldProblem as problem:
            return part_score(part, 0.0, problem.status, str(problem))
        expected = true_value(part, inputs.answers)
        if isinstance(expected, dict):
            if not isinstance(given, dict):
                return part_score(
                    part,
                    0.0,
                    UNREADABLE,
                    f"{where}: {s.field!r} holds {json_kind(given)}; write an object mapping "
                    "each key to a number",
                )
            # Keys are compared after stripping spaces: " FR" and "FR" are the same answer.
            by_key = {str(k).strip(): v for k, v in given.items()}
            pairs = [(str(k), by_key.get(str(k).strip(), _MISSING), v) for k, v in expected.items()]
        else:
            pairs = [("", given, expected)]
        within = missing = 0
        not_numbers: list[str] = []
        compared = []
        for key, got_raw, want in pairs:
            want_num = number(want)
            if want_num is None:
                raise InvalidArgument(f"the answer key's {s.truth!r} holds a non-number at {key!r}")
            if got_raw is _MISSING:
                missing += 1
                compared.append({"key": key, "expected": want_num, "given": None, "ok": False})
                continue
            got = number(got_raw)
            if got is None:
                not_numbers.append(key)
                compared.append(
                    {"key": key, "expected": want_num, "given": _GIVEN.repr(got_raw), "ok": False}
                )
                continue
            ok = within_tolerance(got, want_num, s.tolerance, s.abs_tolerance)
            within += ok
            compared.append({"key": key, "expected": want_num, "given": got, "ok": ok})
        n = len(pairs)
        points = round(part.points * within / n, 2) if n else 0.0
        return part_score(
            part,
            points,
            SCORED,
            _feedback(part, where, n, within, missing, not_numbers, given),
            within=within,
            expected_count=n,
            missing=missing,
            tolerance=s.tolerance,
            abs_tolerance=s.abs_tolerance,
            compared=compared,
        )


def _median_answer(values: list[Any]) -> Any:
    """The median of numbers, or per key of dicts of numbers (keys seen on any seed)."""
    if all(isinstance(v, dict) for v in values):
        keys = dict.fromkeys(k for v in values for k in v)
        return {k: _median_answer([v[k] for v in values if k in v]) for k in keys}
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return statistics.median(numbers) if numbers else 0.0


def _bounded_repr() -> reprlib.Repr:
    """Shows a value the candidate gave where a number belongs (reviewer view), bounded whatever
    its size: repr() of a list of a million items would be built whole before being cut."""
    shown = reprlib.Repr()  # keyword arguments need Python 3.12
    shown.maxlevel, shown.maxdict, shown.maxlist = 3, 6, 6
    shown.maxstring, shown.maxlong, shown.maxother = 80, 40, 80
    return shown


_GIVEN = _bounded_repr()


def within_tolerance(
    got: float, expected: float, tolerance: float, abs_tolerance: float = 0.0
) -> bool:
    allowed = max(tolerance * abs(expected), abs_tolerance)
    return abs(got - expected) <= allowed + BOUNDARY_SLACK * max(abs(expected), 1.0)


def _feedback(
    part: Part,
    where: str,
    n: int,
    within: int,
    missing: int,
    not_numbers: list[str],
    given: Any,
) -> str:
    s = part.settings
    tolerance = f"{s.tolerance * 100:g}%"
    if s.abs_tolerance:
        tolerance = (
            f"{s.abs_tolerance:g}" if not s.tolerance else f"{tolerance} or {s.abs_tolerance:g}"
        )
    if n == 1 and not isinstance(given, dict):
        if not_numbers:
            return f"{where}: {s.field!r} holds {json_kind(given)}, not a number."
        if within:
            return f"Your value is within {tolerance} of the true value."
        return f"Your value is not within {tolerance} of the true value."
    text = f"{within} of {n} values are within {tolerance} of the true values."
    if missing:
        text += f" {missing} expected {'entry is' if missing == 1 else 'entries are'} missing."
    if not_numbers:
        shown = ", ".join(repr(k[:40]) for k in not_numbers[:5])
        text += f" Not a number (write plain, finite JSON numbers, not text): {shown}."
    return text
