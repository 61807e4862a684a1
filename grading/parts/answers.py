"""What the kinds reading one answer (a key of a JSON output, or an id column) share: the
`field`/`truth` settings, reading the candidate's value and the true one, and naming a JSON
value's type in words a candidate can act on."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datalit.errors import InvalidArgument
from datalit.grading.results import NOT_ATTEMPTED, UNREADABLE, OutputFile

if TYPE_CHECKING:
    from datalit.exercise import Part


@dataclass(frozen=True)
class FieldSettings:
    field: str
    """The key inside the JSON output (spans: the id column of the table output)."""
    truth: str
    """The key inside the true answers (keys/<c>/<ex>/answers.json)."""


def field_settings(raw: dict, kind: str, where: str) -> FieldSettings:
    if not (raw.get("field") and raw.get("truth")):
        raise InvalidArgument(f"{where}: an {kind} part needs `field` and `truth`")
    return FieldSettings(field=raw["field"], truth=raw["truth"])


class FieldProblem(Exception):
    """The part's field is absent or malformed; carries the status and the candidate's reason."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def field_value(part: Part, output: OutputFile, path_name: str) -> Any:
    """The candidate's value at the part's key of their JSON output."""
    data = output.data
    key = part.settings.field
    if not isinstance(data, dict):
        raise FieldProblem(
            UNREADABLE,
            f"{path_name} holds {json_kind(data)}, not a JSON object with the key {key!r}",
        )
    if key not in data:
        raise FieldProblem(NOT_ATTEMPTED, f"{path_name} has no key {key!r}")
    return data[key]


def true_value(part: Part, answers: dict) -> Any:
    truth = part.settings.truth
    if truth not in answers:
        raise InvalidArgument(
            f"the answer key has no {truth!r} (needed by part {part.id!r}); "
            "regenerate the keys with this exercise's truth.py"
        )
    return answers[truth]


def number(value: Any) -> float | None:
    """`value` as a finite float, or None: not a number for its key. A JSON integer can have
    hundreds of digits (valid JSON, and json.loads reads it): beyond a float's range it is not a
    number either, like text or true/false where a number belongs."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        return None
    return as_float if math.isfinite(as_float) else None


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number" if number(value) is not None else "a number beyond a float's range"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def plain(value: Any) -> Any:
    """JSON-like copy (the scorer sees what a candidate's JSON file would hold)."""
    import json

    return json.loads(json.dumps(value, default=str))


def loses_points(part: Part, world, output: OutputFile, answers: dict) -> bool:
    """Whether a submission whose output is `output` earns less than the part's points against
    `answers` (coverage: an answer that ignores the anomaly must cost points)."""
    import dataclasses

    from datalit.grading.results import Extracted, Validation
    from datalit.grading.score import score

    only = dataclasses.replace(world.exercise, parts=(part,))
    result = score(
        only, Extracted(outputs={part.output: output}), Validation(results=()), answers=answers
    )
    return result.parts[0].points < part.points - 1e-9
