"""Building one part and scoring it through its kind, for the tests of the part kinds."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

from datalit.exercise import Exercise, Output, Part, load_exercise
from datalit.grading.parts import ScoreInputs, get
from datalit.grading.results import OutputFile, Validation

BASE = load_exercise("orders-cleanup")


def exercise_with(part: Part, *outputs: Output) -> Exercise:
    return dataclasses.replace(BASE, outputs=outputs or BASE.outputs, parts=(part,))


def part_from_toml(raw: dict, where: str = "exercise.toml parts[1]") -> Part:
    """A part as load_exercise builds it, from one `[[parts]]` table (as a dict)."""
    kind = get(raw["kind"])
    return Part(
        id=raw["id"],
        kind=raw["kind"],
        title=raw.get("title", raw["id"]),
        points=float(raw["points"]),
        output=raw.get("output", ""),
        cell=kind.cell(raw),
        settings=kind.settings(raw, where),
    )


def score_json(part: Part, data, answers: dict):
    exercise = exercise_with(part, Output("answers", "outputs/answers.json", "json"))
    inputs = ScoreInputs(
        exercise, OutputFile("answers", "ok", data=data), Validation(results=()), answers
    )
    return get(part.kind).score(part, inputs)


def write_exercise(root: Path, parts_toml: str) -> None:
    """An exercise folder `root/exercises/probe/` copied from orders-cleanup with other parts."""
    folder = root / "exercises" / "probe"
    folder.mkdir(parents=True)
    text = (BASE.folder / "exercise.toml").read_text(encoding="utf-8")
    head = text.split("[[parts]]", 1)[0]
    (folder / "exercise.toml").write_text(head + textwrap.dedent(parts_toml), encoding="utf-8")
    (folder / "suite.json").write_text(
        (BASE.folder / "suite.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
