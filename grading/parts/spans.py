"""``spans``: character spans (id, start, end) in a table output against the key's spans.

Scored by F-beta (beta 2 by default: missing personal data costs more than over-redacting). A
true span is found when a flagged span of the same id covers at least half of it; a flagged span
is right when at least half of it lies on a true span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import pandas as pd

from datalit.errors import InvalidArgument
from datalit.grading.parts.answers import FieldProblem, field_settings, loses_points, true_value
from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind, part_score
from datalit.grading.results import SCORED, UNREADABLE, OutputFile, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part

Span = tuple[str, int, int]


@dataclass(frozen=True)
class SpansSettings:
    field: str
    """The id column of the table output (its other columns are ``start`` and ``end``)."""
    truth: str
    beta: float = 2.0
    """The F-beta weight; 2 counts recall (redacting what must go) more."""


@part_kind("spans")
class Spans(PartKind):
    reads = "table"
    options = frozenset({"field", "truth", "beta"})
    summary = "character spans (id, start, end) in a table, scored by F-beta against the key"

    def settings(self, raw, where):
        names = field_settings(raw, self.name, where)
        beta = float(raw.get("beta", 2.0))
        if beta <= 0:
            raise InvalidArgument(f"{where}: beta must be > 0")
        return SpansSettings(names.field, names.truth, beta)

    def catchers(self, part, world):
        truth = part.settings.truth
        for given in world.ignoring:
            if truth not in given:
                continue
            value = given[truth]
            table = pd.DataFrame(
                {
                    part.settings.field: [str(s["id"]) for s in value],
                    "start": [str(s["start"]) for s in value],
                    "end": [str(s["end"]) for s in value],
                }
            )
            output = OutputFile(part.output, "ok", table=table)
            if loses_points(part, world, output, world.truth["answers"]):
                return [part.id]
        return []

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        where = inputs.where(part)
        beta = part.settings.beta
        try:
            flagged = _read_spans(part, inputs.output, where)
        except FieldProblem as problem:
            return part_score(part, 0.0, problem.status, str(problem))
        truth: set[Span] = set()
        for item in true_value(part, inputs.answers):
            truth.add((str(item["id"]).strip(), int(item["start"]), int(item["end"])))
        flagged_by_id, truth_by_id = _by_id(flagged), _by_id(truth)
        right = sum(_covered(s, truth_by_id) for s in flagged)
        found = sum(_covered(s, flagged_by_id) for s in truth)
        precision = right / len(flagged) if flagged else 1.0
        recall = found / len(truth) if truth else 1.0
        b2 = beta**2
        denominator = b2 * precision + recall
        f_beta = 0.0 if denominator == 0 else (1 + b2) * precision * recall / denominator
        n = len(flagged)
        text = f"You flagged {n} span{'s' if n != 1 else ''}." if n else "You flagged no spans."
        remarks = []
        if precision < 1:
            remarks.append("some flagged spans are not personal data")
        if recall < 1:
            remarks.append("some personal data was missed")
        if remarks:
            text += " " + "; ".join(remarks).capitalize() + "."
        elif n:
            text += " Every flagged span is personal data and none was missed."
        return part_score(
            part,
            round(part.points * f_beta, 2),
            SCORED,
            text,
            precision=round(precision, 4),
            recall=round(recall, 4),
            f_beta=round(f_beta, 4),
            beta=beta,
            flagged=n,
            true_count=len(truth),
            # The first 20 flagged spans that are wrong and true spans that were missed.
            false_positive_sample=[
                list(s)
                for s in islice((s for s in sorted(flagged) if not _covered(s, truth_by_id)), 20)
            ],
            missed_sample=[
                list(s)
                for s in islice((s for s in sorted(truth) if not _covered(s, flagged_by_id)), 20)
            ],
        )


def _span_bound(text: Any) -> int | None:
    """A start/end offset from a text cell ("12", "12.0"), or None when it is not one."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None


def _read_spans(part: Part, output: OutputFile, where: str) -> set[Span]:
    table = output.table
    id_column = part.settings.field
    needed = [id_column, "start", "end"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise FieldProblem(
            UNREADABLE, f"{where} has no column {', '.join(map(repr, missing))}; write {needed}"
        )
    spans: set[Span] = set()
    ids = table[id_column].astype(str).str.strip().to_numpy()
    for line, (ident, start_text, end_text) in enumerate(
        zip(ids, table["start"].to_numpy(), table["end"].to_numpy(), strict=True), start=2
    ):
        start, end = _span_bound(start_text), _span_bound(end_text)
        if start is None or end is None or end <= start:
            raise FieldProblem(
                UNREADABLE,
                f"{where} line {line}: start and end must be whole numbers with start < end",
            )
        spans.add((ident, start, end))
    return spans


def _covered(span: Span, others: dict[str, list[tuple[int, int]]]) -> bool:
    """Whether at least half of `span` overlaps one span of `others` with the same id."""
    ident, start, end = span
    for other_start, other_end in others.get(ident, ()):
        overlap = min(end, other_end) - max(start, other_start)
        if overlap * 2 >= end - start:
            return True
    return False


def _by_id(spans: set[Span]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = {}
    for ident, start, end in spans:
        grouped.setdefault(ident, []).append((start, end))
    return grouped
