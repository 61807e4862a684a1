"""The dataclasses the grading stages return. Each stage is a function in its own module:

execute (sandbox/) -> Execution · extract (extract/) -> Extracted · validate (validate.py) ->
Validation · score (score.py) -> Score · record (record/) -> Recorded · report (report/) ->
Reports. The grader (grader/) chains them into one GradeResult per submission.

Everything here is plain data computed by trusted code; nothing in it was unpickled from the
sandbox. Text that came from the candidate (messages, values) is marked as such and must be
escaped wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Part statuses
SCORED, NOT_ATTEMPTED, UNREADABLE, NEEDS_MANUAL = (
    "scored",
    "not_attempted",
    "unreadable",
    "needs_manual",
)


@dataclass(frozen=True)
class OutputFile:
    """One declared output as read back from the work dir."""

    name: str
    status: str
    """``ok``, ``missing`` (not written: its parts are not attempted) or ``unreadable`` (written
    but not usable: its parts score 0 with `reason`)."""
    reason: str = ""
    """Why it is missing or unreadable, in words a candidate can act on."""
    table: pd.DataFrame | None = field(default=None, repr=False)
    """For table outputs: the data, every column read as text (str dtype, "" never turned into
    NaN by guessing), so checks see what the candidate wrote."""
    data: Any = field(default=None, repr=False)
    """For JSON outputs: the parsed value (plain dicts/lists/numbers/strings only)."""
    sha256: str = ""


@dataclass(frozen=True)
class Extracted:
    """The extract stage's result: every declared output, by name."""

    outputs: dict[str, OutputFile]


@dataclass(frozen=True)
class ExpectationResult:
    """One GX expectation's outcome, matched to the suite by expectation id."""

    id: str
    part: str
    type: str
    kwargs: dict[str, Any]
    """As in the suite (parameters not substituted: hidden values never reach a report)."""
    points: float
    public: bool
    feedback: str
    success: bool
    observed: Any = None
    """GX's observed value (reviewer view only)."""
    unexpected_count: int | None = None
    unexpected_sample: tuple = ()
    """Up to 20 failing values (candidate data: escape when shown; reviewer view only)."""
    error: str = ""
    """Set when the expectation could not run (e.g. the column is missing)."""


@dataclass(frozen=True)
class Validation:
    """The validate stage's result: the suite run on the table outputs."""

    results: tuple[ExpectationResult, ...]
    skipped_reason: str = ""
    """Set when the suite could not run at all (its table output missing or unreadable)."""
    expected_rows: int | None = None
    """The row count the suite expects (its expect_table_row_count_to_equal), when it has one.
    A hidden value (the clean row count): nothing a candidate sees may be measured against it,
    or resubmitting would find it; the score stage measures against the raw table instead."""


@dataclass(frozen=True)
class PartScore:
    """Points for one part of the exercise."""

    id: str
    kind: str
    title: str
    points: float
    max_points: float
    """From the exercise, never from the submission."""
    status: str
    """scored, not_attempted, unreadable or needs_manual."""
    feedback: str = ""
    """Shown to the candidate: never a key value or hidden-check text."""
    details: dict[str, Any] = field(default_factory=dict)
    """Reviewer-only facts (precision/recall, the values compared, which checks failed)."""


@dataclass(frozen=True)
class Score:
    """The score stage's result."""

    parts: tuple[PartScore, ...]

    @property
    def auto_points(self) -> float:
        return sum(p.points for p in self.parts if p.status != NEEDS_MANUAL)

    @property
    def max_auto_points(self) -> float:
        from datalit.grading.parts import get

        return sum(p.max_points for p in self.parts if get(p.kind).auto)

    @property
    def max_points(self) -> float:
        return sum(p.max_points for p in self.parts)


@dataclass(frozen=True)
class GradeResult:
    """Everything the grader learned about one submission."""

    exercise: str
    candidate: str
    submission_sha256: str
    grader_version: str
    status: str
    """``graded`` or an error status with a reason code: invalid_notebook, missing_submission,
    sandbox_error…; an error still records a result (all parts 0)."""
    reason: str
    execution: Any
    """datalit.grading.sandbox.Execution (None when the notebook never ran)."""
    score: Score
    validation: Validation | None = None
    unsafe_no_sandbox: bool = False
    duration_s: float = 0.0
    executed_notebook: str | None = field(default=None, repr=False)
    """The executed notebook's JSON (rebuilt by the trusted monitor from the submitted sources
    and the captured text/PNG outputs), written to autograded/ for formgrader."""
