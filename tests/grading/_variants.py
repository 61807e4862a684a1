"""One generated variant of an exercise with its true answers, as `datalit release` builds it
(generate, then the exercise's truth.py), without writing a course: for the score-stage tests
that need a real answer key but no sandbox."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from datalit.exercise import Exercise, compute_truth, load_exercise
from datalit.generators.engine import Generated, generate


@dataclass(frozen=True)
class Variant:
    exercise: Exercise
    seed: int
    generated: Generated
    truth: dict[str, Any]
    """truth.py's result: answers, suite_parameters and the true tables of rows parts."""


@functools.lru_cache(maxsize=32)
def variant(slug: str, seed: int) -> Variant:
    """The variant of `slug` for `seed` (cached: callers must not mutate it)."""
    exercise = load_exercise(slug)
    spec = exercise.generate
    generated = generate(spec.recipe, seed=seed, rows=spec.rows, plants=exercise.plants_for(seed))
    truth = compute_truth(exercise, generated.clean, generated.raw, generated.key)
    return Variant(exercise, seed, generated, truth)


def answer_field(part) -> str:
    """The JSON key (spans: the id column) an answer-reading part reads; "" for other kinds."""
    return getattr(part.settings, "field", "")


def answer_truth(part) -> str:
    """The key of the true answers an answer-reading part is scored against; "" otherwise."""
    return getattr(part.settings, "truth", "")
