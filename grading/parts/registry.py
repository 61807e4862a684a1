"""The part-kind registry: each way of scoring a part is one module registering a `PartKind`.

A kind declares, in one place, everything the engine needs to know about it:

- the fields it accepts in exercise.toml beside the common ones (`options`), validated into its
  own frozen settings (`settings`), with errors naming the file and the part;
- which declared output it reads (`reads`: a table, a JSON file, or the notebook itself);
- how it scores that output against the key (`score`: pure, returns a `PartScore`);
- what the release README and the self-check say about a JSON field it reads (`json_field`);
- which planted anomalies it catches, for check-exercise's coverage (`catchers`);
- what the reviewer view shows of it beyond the common facts (`reviewer_facts`).

The engine (exercise.py, score.py, coverage.py, check.py, course/, report) dispatches
through `get(name)`; no `if kind == ...` lives outside a kind's own module. Adding a kind is one
file in this folder plus its test (docs/authoring.md walks through one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from datalit.grading.results import NOT_ATTEMPTED, UNREADABLE, OutputFile, PartScore

if TYPE_CHECKING:
    from datalit.exercise import Exercise, Part
    from datalit.grading.results import Validation
    from datalit.grading.rows import ExpectedTable

COMMON_FIELDS = frozenset({"id", "kind", "title", "points", "output", "anomalies"})
"""Fields every part has; a kind's `options` come on top."""


@dataclass(frozen=True)
class ScoreInputs:
    """What a kind may read to score one part of one submission (all trusted, all in memory)."""

    exercise: Exercise
    output: OutputFile | None
    """The part's output, read back and usable (None for kinds that read no output)."""
    validation: Validation
    answers: dict
    """The candidate's true answers (keys/<c>/<ex>/answers.json "answers")."""
    expected: dict[str, ExpectedTable] | None = None
    """The true tables of rows parts, by output name."""

    def where(self, part: Part) -> str:
        """The output's file name as the candidate wrote it ("flags.json"), for reasons."""
        return PurePosixPath(self.exercise.output(part.output).path).name


@dataclass
class CoverageWorld:
    """One variant with a single anomaly type planted, and what ignoring it would deliver
    (`datalit.grading.coverage`)."""

    exercise: Exercise
    variant: Any
    """The generated variant (raw tables, clean tables, key)."""
    truth: dict
    """compute_truth of the variant."""
    ignoring: list[dict]
    """True answers of worlds where the anomaly is ignored (the variant without plants, and
    the planted values taken as real when truth.py can compute on them)."""
    suite_failures: dict[str, str] | None
    """Expectation id → label of the expectations that fail on the raw table because of the
    anomaly (None when the suite's table names no raw source table)."""


class PartKind:
    """One way of scoring a part. Subclass, set the class attributes, override what applies,
    and register with `@part_kind("name")`."""

    name: ClassVar[str] = ""
    reads: ClassVar[str | None] = None
    """The kind of declared output it reads: "table", "json", or None (it reads no output)."""
    options: ClassVar[frozenset[str]] = frozenset()
    """Its own exercise.toml fields, beside `COMMON_FIELDS`."""
    auto: ClassVar[bool] = True
    """False for parts a person grades (in formgrader)."""
    summary: ClassVar[str] = ""
    """One line for docs/authoring.md's table of kinds."""
    scored_by_checks: ClassVar[bool] = False
    """Its points are its suite checks' (reports then cite the checks as the evidence)."""
    true_table: ClassVar[bool] = False
    """Compared with a true table that release writes to keys/<c>/<ex>/expected/ (truth.py's
    `tables`); such parts are `Exercise.row_parts`."""

    def settings(self, raw: dict, where: str) -> Any:
        """Validate the kind's own fields of one `[[parts]]` table into frozen settings."""
        return None

    def points(self, raw: dict, exercise_folder, part_id: str) -> float:
        """The part's maximum (from exercise.toml by default)."""
        return float(raw.get("points", 0))

    def cell(self, raw: dict) -> str:
        """The notebook cell (nbgrader grade_id) the part's answer is in, if any."""
        return ""

    def score(self, part: Part, inputs: ScoreInputs) -> PartScore:
        raise NotImplementedError

    def json_field(self, part: Part) -> tuple[str, str, str] | None:
        """(key, shape, what it holds) of what the part reads in its JSON output: the shape the
        release's self-check (templates/check_outputs.py) tests, the words of the README."""
        return None

    def check_truth(self, part: Part, truth: dict, path) -> None:
        """Check what truth.py returned has what this part needs (InvalidArgument if not)."""

    def catchers(self, part: Part, world: CoverageWorld) -> list[str]:
        """What of this part catches the world's anomaly: expectation labels, or [part.id]."""
        return []

    # check-exercise's gaming proofs (`datalit.grading.gaming`): a constant answer and a
    # shifted table must not pay.
    constant_proof: ClassVar[bool] = False
    """Its answer is tried as a constant (the median of other variants' true answers)."""

    def constant_answer(self, part: Part, others: list[dict]) -> tuple[str, Any]:
        """(key in the JSON output, value) of the constant attempt; `others` are the other
        variants' answers.json contents. Only called when `constant_proof`."""
        raise NotImplementedError

    def shifted_columns(self, part: Part) -> tuple[str, ...]:
        """The columns of its table the shift attempt moves down one row (none by default)."""
        return ()

    def reviewer_facts(self, part: Part, facts: Any) -> dict[str, Any]:
        """Extra facts of this part for the reviewer view (`facts` is report/facts.py's _Facts)."""
        return {}


REGISTRY: dict[str, PartKind] = {}


def part_kind(name: str) -> Callable[[type[PartKind]], type[PartKind]]:
    """Register a PartKind subclass under `name` (the `kind` of exercise.toml)."""

    def register(cls: type[PartKind]) -> type[PartKind]:
        if name in REGISTRY:
            raise ValueError(f"part kind {name!r} is registered twice")
        cls.name = name
        REGISTRY[name] = cls()
        return cls

    return register


def get(name: str) -> PartKind:
    return REGISTRY[name]


def kind_of(part: Part) -> PartKind:
    return REGISTRY[part.kind]


# --- shared by the kinds ---------------------------------------------------------------------


def part_score(part: Part, points: float, status: str, feedback: str, **details) -> PartScore:
    return PartScore(
        id=part.id,
        kind=part.kind,
        title=part.title,
        points=points,
        max_points=part.points,
        status=status,
        feedback=feedback,
        details=details,
    )


def not_usable(part: Part, output: OutputFile | None) -> PartScore:
    """The score of a part whose output is missing (not attempted) or unreadable."""
    if output is None or output.status == "missing":
        reason = output.reason if output is not None else f"output {part.output!r} was not read"
        return part_score(part, 0.0, NOT_ATTEMPTED, reason)
    return part_score(part, 0.0, UNREADABLE, output.reason)
