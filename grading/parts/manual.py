"""``manual``: a written answer (the finding) a reviewer grades in nbgrader's formgrader.

It scores 0 points and `needs_manual` until graded; the reviewer's score is read back from the
gradebook (`datalit.grading.manual`) wherever a total is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind
from datalit.grading.results import NEEDS_MANUAL, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part


@part_kind("manual")
class Manual(PartKind):
    reads = None
    auto = False
    options = frozenset({"cell"})
    summary = "a written answer in a notebook cell, graded by a reviewer in formgrader"

    def cell(self, raw):
        return raw.get("cell", "")

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        return PartScore(
            id=part.id,
            kind=part.kind,
            title=part.title,
            points=0.0,
            max_points=part.points,
            status=NEEDS_MANUAL,
            feedback="A reviewer grades this part.",
            details={"cell": part.cell},
        )

    def reviewer_facts(self, part, facts):
        return {"finding": facts.finding(part)}
