"""``suite``: the Great Expectations checks of one part of suite.json, on a table output.

The part earns the points of its passed expectations (suite.json meta). On a table without rows,
checks of each row's values pass vacuously and earn nothing, and so they do on a table with less
than half the rows of the raw table it is cleaned from (a few hand-picked clean rows prove
nothing about cleaning the table). The raw row count comes with the true table
(`ExpectedTable.raw_rows`, recorded at release); a suite table that no rows part reads has none,
and only the no-rows rule applies to it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind, part_score
from datalit.grading.results import SCORED, UNREADABLE, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part

ROW_CHECKS = (
    "expect_column_values_",
    "expect_column_pair_values_",
    "expect_multicolumn_",
    "expect_compound_columns_",
    "expect_select_column_values_",
)
"""GX expectations that test each row (map expectations): they pass on a table without rows."""


@part_kind("suite")
class Suite(PartKind):
    reads = "table"
    scored_by_checks = True
    summary = "the expectations of suite.json tagged with this part, on a table output"

    def points(self, raw, exercise_folder, part_id):
        suite = json.loads((exercise_folder / "suite.json").read_text(encoding="utf-8"))
        return float(
            sum(
                e.get("meta", {}).get("points", 0)
                for e in suite.get("expectations", [])
                if e.get("meta", {}).get("part") == part_id
            )
        )

    def catchers(self, part, world):
        # The suite's own evidence: its expectations that fail on the raw table because of the
        # anomaly (they pass on the variant without plants).
        return sorted((world.suite_failures or {}).get(part.id, ()))

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        output = inputs.output
        rows = len(output.table) if output.table is not None else None
        known = (inputs.expected or {}).get(part.output)
        raw_rows = known.raw_rows if known is not None else None
        source = inputs.exercise.output(part.output).source_table
        validation = inputs.validation
        if validation.skipped_reason:
            return part_score(part, 0.0, UNREADABLE, validation.skipped_reason)
        mine = [r for r in validation.results if r.part == part.id]
        passed = [r for r in mine if r.success]
        # A check of a column's values passes on a table without rows (no value breaks it), but
        # it proved nothing: it earns no points, or a header line alone would earn most of a
        # part. The same holds for a table cut down to a few rows that happen to be clean. "A
        # few" is measured against the raw table the candidate was given, never against the
        # hidden clean row count: a step there would let immediate feedback binary-search it.
        sparse = bool(rows and raw_rows and rows * 2 < raw_rows)
        vacuous = [r for r in passed if (rows == 0 or sparse) and r.type.startswith(ROW_CHECKS)]
        earning = [r for r in passed if r not in vacuous]
        points = min(round(sum(r.points for r in earning), 2), part.points)
        public = [r for r in mine if r.public]
        public_failed = [r for r in public if not r.success]
        lines = [f"{len(public) - len(public_failed)} of {len(public)} public checks passed."]
        if vacuous and rows == 0:
            lines.append(
                "The table has no rows: the checks of its values found nothing wrong because "
                "they found nothing at all, and earn no points."
            )
        elif vacuous:
            raw = f"the raw {source} table" if source else "the raw table"
            lines.append(
                f"The table has less than half the rows of {raw} it is cleaned from "
                f"({raw_rows:,} rows): checks of the values of so few rows prove little about "
                "the cleaning, and earn no points."
            )
        for r in public_failed:
            lines.append(f"- {r.feedback}" + (f" ({r.error})" if r.error else ""))
        return part_score(
            part,
            points,
            SCORED,
            "\n".join(lines),
            passed=[r.id for r in passed],
            vacuous=[r.id for r in vacuous],
            rows=rows,
            raw_rows=raw_rows,
            failed=[
                {
                    "id": r.id,
                    "type": r.type,
                    "public": r.public,
                    "points": r.points,
                    "error": r.error,
                }
                for r in mine
                if not r.success
            ],
        )
