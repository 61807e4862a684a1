"""What the grader works on and gives back: a `Job` (one submission, paths only), the
`BatchSummary` of a batch, the grader's version and status, and the size cap of a notebook the
grader reads. Imports nothing of the grader's stages (autograded reads the cap from here)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from datalit.grading.results import GradeResult

MAX_SUBMISSION_BYTES = 20 * 1024**2
GRADER_ERROR = "grader_error"
"""Status of a submission the grader itself failed on (a bug); recorded with 0 points and
regraded by the next run."""


def grader_version() -> str:
    """Part of every result: a changed grader regrades on `--regrade` and says so in the ledger."""
    return f"datalit {metadata.version('datalit')}"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (paths only; no key is copied)."""

    exercise: str
    """The exercise slug."""
    candidate: str
    """The candidate id (already checked to be a safe folder name)."""
    notebook: Path
    """The submitted notebook (may be missing or hostile)."""
    data_dir: Path
    """The candidate's raw data from their release folder (not from the submission)."""
    answers_file: Path
    """keys/<candidate>/<exercise>/answers.json: read by the trusted worker, never sandboxed."""
    sandbox: bool
    """False for --unsafe-no-sandbox."""
    exercises_root: Path | None = None
    """The folder holding exercises/ (None: the default, see `datalit.exercise.repo_root`)."""
    keep_outputs: Path | None = None
    """Where to keep a copy of the declared output files read from the run (check-exercise's
    copy and shift proofs), as <keep_outputs>/<candidate>/<path>; None keeps nothing."""


@dataclass(frozen=True)
class BatchSummary:
    """What `grade_batch` did."""

    graded: tuple[GradeResult, ...]
    """Results recorded by this run (without the executed notebooks' text)."""
    skipped: tuple[str, ...]
    """Candidates whose unchanged submission already had a current result."""
    failed: tuple[str, ...]
    """Candidates the grader failed on (a bug: reported, never silent). Those with a result
    in `graded` were recorded with status grader_error; the others (a set-up problem) were
    not recorded."""
    elsewhere: tuple[str, ...] = ()
    """Candidates another grader process graded while this one ran (they were claimed by it)."""
    again_alone: tuple[str, ...] = ()
    """Candidates whose run hit a wall-clock limit while another slot was busy: graded again
    with nothing beside them, and that second result is the one recorded."""
