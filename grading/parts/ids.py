"""``ids``: a list of flagged ids in a JSON output, scored by F1 against the key.

Ids are compared as stripped text (100123 and "100123" match; 100123.0 is the integer 100123),
each id counted once however often it is listed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from datalit.grading.parts.answers import (
    FieldProblem,
    field_settings,
    field_value,
    json_kind,
    loses_points,
    plain,
    true_value,
)
from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind, part_score
from datalit.grading.results import SCORED, UNREADABLE, OutputFile, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part


@part_kind("ids")
class Ids(PartKind):
    reads = "json"
    options = frozenset({"field", "truth"})
    summary = "a list of ids in a JSON output, scored by F1 against the key's ids"

    def settings(self, raw, where):
        return field_settings(raw, self.name, where)

    def json_field(self, part):
        # "ids" is the shape check_outputs.py (the release's self-check) tests for.
        return part.settings.field, "ids", "a list of ids"

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        where = inputs.where(part)
        try:
            given = field_value(part, inputs.output, where)
        except FieldProblem as problem:
            return part_score(part, 0.0, problem.status, str(problem))
        field = part.settings.field
        if not isinstance(given, list):
            return part_score(
                part,
                0.0,
                UNREADABLE,
                f"{where}: {field!r} holds {json_kind(given)}; write a list of ids",
            )
        flagged: set[str] = set()
        for position, value in enumerate(given, start=1):
            text = id_text(value)
            if text is None:
                return part_score(
                    part,
                    0.0,
                    UNREADABLE,
                    f"{where}: entry {position} of {field!r} is {json_kind(value)}; "
                    "every id must be text or a whole number",
                )
            if text:
                flagged.add(text)
        true_ids = {t for t in (id_text(v) for v in true_value(part, inputs.answers)) if t}
        hits = flagged & true_ids
        # Vacuous cases count as perfect: flagging nothing flags nothing wrong, and with nothing
        # to find nothing is missed. F1 is still 0 when one side is empty and the other is not.
        precision = len(hits) / len(flagged) if flagged else 1.0
        recall = len(hits) / len(true_ids) if true_ids else 1.0
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        return part_score(
            part,
            round(part.points * f1, 2),
            SCORED,
            _feedback(len(given), flagged, precision, recall),
            precision=round(precision, 4),
            recall=round(recall, 4),
            f1=round(f1, 4),
            true_positives=len(hits),
            false_positives=len(flagged - true_ids),
            false_negatives=len(true_ids - flagged),
            flagged=len(flagged),
            true_count=len(true_ids),
            false_positive_sample=sorted(flagged - true_ids)[:20],
            missed_sample=sorted(true_ids - flagged)[:20],
        )

    def catchers(self, part, world):
        return [part.id] if json_answer_ignored(part, world) else []


def json_answer_ignored(part: Part, world) -> bool:
    """Coverage of a JSON-answer part: a submission answering as in a world where the anomaly
    is ignored loses points."""
    truth = part.settings.truth
    for given in world.ignoring:
        if truth not in given:
            continue
        output = OutputFile(part.output, "ok", data={part.settings.field: plain(given[truth])})
        if loses_points(part, world, output, world.truth["answers"]):
            return True
    return False


def id_text(value: Any) -> str | None:
    """An id as comparable text, or None when `value` is not a usable id."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        # An int of more digits than Python turns into text (4300) cannot come from json.loads,
        # but no id has that many either.
        try:
            return str(value)
        except ValueError:
            return None
    if isinstance(value, float):
        # JSON writers (and pandas) turn integer ids into 100123.0; that is still 100123.
        return str(int(value)) if math.isfinite(value) and value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _feedback(listed: int, flagged: set[str], precision: float, recall: float) -> str:
    n = len(flagged)
    text = f"You flagged {n} id{'s' if n != 1 else ''}" if n else "You flagged no ids"
    repeats = listed - n
    if repeats > 0:
        text += f" ({repeats} repeated or empty entries ignored)"
    text += "."
    if precision == 1 and recall == 1:
        if n == 0:
            return text

        return text + " Every flagged id is a real problem and none were missed."
    remarks = []
    if precision < 1:
        remarks.append("some flagged ids are not problems")
    if recall < 1:
        remarks.append("some problems were missed")
    return text + " " + "; ".join(remarks).capitalize() + "."
