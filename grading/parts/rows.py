"""``rows``: a table output joined to the candidate's own true table on a key, row by row.

`key_share` of the points go to keeping exactly the right rows, the rest are shared by the
compared columns, each earning its chance-corrected share of matching rows
(`datalit.grading.rows`). The word shown per column describes the candidate's own rows that are
true rows (a cut-down table of right values reads "every row matches"; the missing rows are
reported once, above).

```toml
key = "order_id"
columns = { status = "text", quantity = { compare = "number", tolerance = 0.001 } }
```
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datalit.errors import InvalidArgument
from datalit.grading.parts.registry import PartKind, ScoreInputs, part_kind, part_score
from datalit.grading.results import SCORED, UNREADABLE, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Part

COMPARE_KINDS = ("text", "number", "instant")
"""How a column is compared: stripped text, a number within a tolerance, or a point in time
(any ISO 8601 form; without an offset it is read as UTC) within a number of seconds."""


@dataclass(frozen=True)
class RowColumn:
    """A column a `rows` part compares with the candidate's own true table, row by row."""

    name: str
    compare: str = "text"
    """One of COMPARE_KINDS."""
    tolerance: float = 0.0
    """``number``: relative tolerance."""
    abs_tolerance: float = 0.0
    """``number``: absolute tolerance; ``instant``: seconds."""


@dataclass(frozen=True)
class RowsSettings:
    key_columns: tuple[str, ...]
    """The column(s) that together identify a row."""
    columns: tuple[RowColumn, ...]
    """The columns compared with the true table, row by row."""
    key_share: float = 0.25
    """The share of the points for keeping exactly the right rows; the rest is shared equally
    by the compared columns."""

    @property
    def key(self) -> str:
        """The key's columns joined by ", " (order_id, or "run_id, item_id")."""
        return ", ".join(self.key_columns)


@part_kind("rows")
class Rows(PartKind):
    reads = "table"
    true_table = True
    options = frozenset({"key", "columns", "key_share"})
    summary = "a table joined on a key to the candidate's own true table, column by column"

    def settings(self, raw, where):
        key = raw.get("key")
        names = [key] if isinstance(key, str) else key
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(k, str) and k for k in names)
            or len(set(names)) != len(names)
        ):
            raise InvalidArgument(
                f"{where}: a rows part needs `key`, the column identifying a row (or a list of "
                "the columns that together identify one)"
            )
        spec_of = raw.get("columns")
        if not isinstance(spec_of, dict) or not spec_of:
            raise InvalidArgument(
                f'{where}: a rows part needs `columns`, e.g. columns = {{ status = "text" }}'
            )
        columns = [_column(name, setting, names, where) for name, setting in spec_of.items()]
        share = raw.get("key_share", 0.25)
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share < 1:
            raise InvalidArgument(f"{where}: key_share must be a number in [0, 1)")
        return RowsSettings(tuple(names), tuple(columns), float(share))

    def check_truth(self, part, truth, path):
        s = part.settings
        table = truth["tables"].get(part.output)
        needed = [*s.key_columns, *(c.name for c in s.columns)]
        if table is None or any(c not in table.columns for c in needed):
            raise InvalidArgument(
                f"{path}: truth() must return tables[{part.output!r}] with the columns {needed} "
                f"(rows part {part.id!r})"
            )
        if table[list(s.key_columns)].astype(str).duplicated().any():
            raise InvalidArgument(
                f"{path}: tables[{part.output!r}] repeats a {s.key!r}: the key of a rows part "
                "must identify one row"
            )

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        from datalit.grading.rows import agreement_word, compare_rows, has_key

        if inputs.expected is None or part.output not in inputs.expected:
            raise InvalidArgument(
                f"the answer key has no true table for {part.output!r} (needed by part "
                f"{part.id!r}); release the exercise again to write keys/…/expected/"
            )
        s = part.settings
        where = inputs.where(part)
        table = inputs.output.table
        if table is None or not has_key(table, part):
            columns = [] if table is None else list(table.columns)
            missing = ", ".join(repr(c) for c in s.key_columns if c not in columns)
            return part_score(part, 0.0, UNREADABLE, f"{where} has no column {missing}")
        result = compare_rows(part, table, inputs.expected[part.output])
        column_points = (1 - s.key_share) * part.points / len(s.columns)
        points = s.key_share * part.points * result.key_score
        points += sum(column_points * c.score for c in result.columns)
        lines = [_feedback(result)]
        for c in result.columns:
            if not c.present:
                said = "the column is missing"
            elif not result.present:
                said = "no row to compare it on"
            else:
                # Of the candidate's own rows: a share of the true rows would change word at a
                # fraction of their hidden count as the table is cut down.
                said = agreement_word(c.delivered_match)
            lines.append(f"- {c.name}: {said}.")
        return part_score(
            part,
            round(min(points, part.points), 2),
            SCORED,
            "\n".join(lines),
            delivered_rows=result.delivered_rows,
            true_rows=result.true_rows,
            present=result.present,
            repeated=result.repeated,
            invented=result.invented,
            kept_wrongly=result.kept_wrongly,
            dropped_wrongly=result.dropped_wrongly,
            must_drop=result.must_drop,
            key_score=round(result.key_score, 4),
            columns=[
                {
                    "column": c.name,
                    "present": c.present,
                    "match": round(c.match, 4),
                    "delivered_match": round(c.delivered_match, 4),
                    "chance": round(c.chance, 4),
                    "baseline": round(c.baseline, 4),
                    "score": round(c.score, 4),
                    "mismatch_sample": [list(m) for m in c.mismatches],
                }
                for c in result.columns
            ],
        )

    def shifted_columns(self, part):
        return tuple(c.name for c in part.settings.columns)

    def catchers(self, part, world):
        """A table left as in the raw data (the anomaly ignored) loses points."""
        from datalit.grading.results import Extracted, OutputFile, Validation
        from datalit.grading.rows import read_expected, text_frame, write_expected
        from datalit.grading.score import score

        exercise, variant = world.exercise, world.variant
        source = exercise.output(part.output).source_table
        if source not in variant.raw:
            return []
        with tempfile.TemporaryDirectory(prefix="datalit-coverage-") as work:
            write_expected(Path(work), exercise, world.truth["tables"], variant.raw)
            expected = read_expected(Path(work), exercise)
        table = OutputFile(part.output, "ok", table=text_frame(variant.raw[source]))
        result = score(
            dataclasses.replace(exercise, parts=(part,)),
            Extracted(outputs={part.output: table}),
            Validation(results=()),
            answers={},
            expected=expected,
        )
        return [part.id] if result.parts[0].points < part.points - 1e-9 else []


def _column(name: str, setting, key: list[str], where: str) -> RowColumn:
    spec = {"compare": setting} if isinstance(setting, str) else setting
    if not isinstance(spec, dict) or spec.get("compare", "text") not in COMPARE_KINDS:
        raise InvalidArgument(
            f"{where}: column {name!r} must be compared as one of {COMPARE_KINDS}"
        )
    unknown = set(spec) - {"compare", "tolerance", "abs_tolerance"}
    if unknown:
        raise InvalidArgument(f"{where}: column {name!r} has unknown setting {sorted(unknown)}")
    tolerances = [spec.get(k, 0.0) for k in ("tolerance", "abs_tolerance")]
    if any(not isinstance(t, int | float) or isinstance(t, bool) or t < 0 for t in tolerances):
        raise InvalidArgument(f"{where}: column {name!r}: tolerances must be numbers >= 0")
    if name in key:
        raise InvalidArgument(f"{where}: the key column {name!r} is not also a compared column")
    return RowColumn(name, spec.get("compare", "text"), *map(float, tolerances))


def _feedback(result) -> str:
    n = result.delivered_rows
    text = f"Your table has {n} row{'s' if n != 1 else ''}"
    notes = []
    if result.repeated:
        notes.append(f"{result.repeated} repeat an earlier row's key or have none")
    if result.invented:
        notes.append(f"{result.invented} keys are no row of the raw table")
    text += f" ({'; '.join(notes)})." if notes else "."
    remarks = []
    if result.kept_wrongly:
        remarks.append("some rows that should have gone are still there")
    if result.dropped_wrongly:
        remarks.append("some rows that should stay are missing")
    if remarks:
        return text + " " + "; ".join(remarks).capitalize() + "."
    return text + " It keeps exactly the rows it should."
