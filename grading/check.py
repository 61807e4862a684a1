"""`datalit check-exercise`: prove an exercise valid and fair over many seeds, through the real
grader.

For each seed, four notebooks are released, collected and graded in one throw-away course, like
candidates' work: the reference solution, the untouched release notebook, the naive attempt
(`solutions/<slug>/naive.ipynb`) and the careless one (`careless.ipynb`: what a hurried candidate
does in ten minutes). Three gaming attempts follow, made of output files rather than code, so they
go through the grader's own extract, validate and score stages directly (the files are what a
sandboxed run of a notebook writing them would hand over):

- copy: the reference's outputs for the previous seed, submitted for this one (another candidate's
  answers, copied byte for byte);
- constant: every numeric answer set to the median of its true values on the *other* seeds (what
  a candidate guessing from other variants could write);
- shift: the reference's own table with every column a `rows` part compares moved down one row.

Each planted anomaly type is then shown to be caught by a graded check, on variants where only
that anomaly is planted. The verdict fails when:

- the reference solution misses an auto-graded point on any seed;
- the untouched release earns any point on any seed;
- a planted anomaly type is caught by no graded check (see `anomaly_coverage`);
- the naive attempt's mean is outside 10–90 % of the auto-graded points, or its standard
  deviation across seeds exceeds 3 percentage points (candidates must get equally hard variants);
- the careless attempt's mean reaches 40 %;
- a copy earns more than the untouched release + 10 % of the auto-graded points, on average
  over the seeds (what copying is worth; a single seed can match by chance where an answer has
  few possible values, such as one labeler of six);
- the constants earn more than 10 % of the numeric points on average, or any one numeric part's
  constant earns more than 10 % of that part's points on average (the tolerance rule: a
  tolerance must be narrow enough that a constant cannot meet it on more than a tenth of the
  variants);
- the shifted table keeps more than half of that table's points (the parts reading it) on a seed.

Seeds are derived from the exercise and the seed number with a fixed secret, so a check is
reproducible: seed 1 of `orders-cleanup` is the same variant in every run and on every machine.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from datalit.exercise import Exercise
from datalit.grading.coverage import Coverage, anomaly_coverage
from datalit.grading.gaming import answers_of, gaming_attempts, percent_of_auto
from datalit.seeding import candidate_seed

__all__ = ["ATTEMPTS", "PROOFS", "CheckReport", "Coverage", "SeedResult", "check_exercise"]

ATTEMPTS = ("reference", "untouched", "naive", "careless")
PROOFS = ("copy", "constant", "shift")
"""Gaming attempts made of output files (no code), graded by the grader's own stages."""
CARELESS_MAX = 40.0
COPY_MARGIN = 10.0
CONSTANT_MAX = 10.0
SHIFT_MAX_KEPT = 50.0
CHECK_SECRET = "datalit check-exercise: reproducible seeds, not a cohort secret"
NAIVE_RANGE = (10.0, 90.0)
NAIVE_MAX_STD = 3.0
COVERAGE_SEEDS = 3
"""Coverage is shown on the first seeds only: a GX run per anomaly and seed is the costly part."""


@dataclass(frozen=True)
class SeedResult:
    """The attempts' shares of the auto-graded points on one seed, in percent."""

    seed_number: int
    seed: int
    percent: dict[str, float]
    problems: tuple[str, ...] = ()
    """Grader errors (a submission that could not be graded at all)."""
    constant_numeric: float | None = None
    """The constant attempt's share of the numeric parts' points, in percent (None: no numeric
    part)."""
    constant_by_part: dict[str, float] = field(default_factory=dict)
    """The constant attempt's share of each numeric part's points, in percent."""
    shift_kept: dict[str, float] = field(default_factory=dict)
    """Per table output compared by a rows part: the share of that table's points the shifted
    table keeps, in percent."""


@dataclass(frozen=True)
class CheckReport:
    exercise: str
    seeds: tuple[SeedResult, ...]
    coverage: tuple[Coverage, ...]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def mean(self, attempt: str) -> float:
        values = [s.percent[attempt] for s in self.seeds if attempt in s.percent]
        return statistics.fmean(values) if values else float("nan")

    def proof_lines(self) -> list[str]:
        """The gaming proofs in words: constants per numeric part, shifted tables."""
        lines = [
            f"constant answer to {part}: {statistics.fmean(shares):.1f} % of its points "
            f"(mean over seeds; at most {CONSTANT_MAX:g})"
            for part, shares in _per_key(self.seeds, "constant_by_part").items()
        ]
        for table, kept in _per_key(self.seeds, "shift_kept").items():
            lines.append(
                f"{table} shifted by one row keeps {max(kept):.1f} % of its points "
                f"(worst seed; at most {SHIFT_MAX_KEPT:g})"
            )
        return lines

    def std(self, attempt: str) -> float:
        values = [s.percent[attempt] for s in self.seeds if attempt in s.percent]
        return statistics.stdev(values) if len(values) > 1 else 0.0


def _per_key(seeds, field_name: str) -> dict[str, list[float]]:
    """A per-seed mapping (constant_by_part, shift_kept) gathered by key over the seeds."""
    gathered: dict[str, list[float]] = {}
    for s in seeds:
        for key, value in getattr(s, field_name).items():
            gathered.setdefault(key, []).append(value)
    return dict(sorted(gathered.items()))


def check_seeds(exercise: Exercise, count: int) -> list[int]:
    return [candidate_seed(exercise.slug, f"seed-{n}", CHECK_SECRET) for n in range(1, count + 1)]


def check_exercise(
    exercise: Exercise,
    *,
    seeds: int,
    jobs: int = 2,
    sandbox: bool = True,
    keep: Path | None = None,
    on_step=None,
) -> CheckReport:
    """Grade the three attempts on `seeds` seeds and check anomaly coverage.

    Args:
        keep: grade in this course folder and keep it (default: a temporary folder, removed).
        on_step: called with a short text as work progresses (progress display).
    """
    from datalit.errors import InvalidArgument
    from datalit.grading.course import Candidate, Course, collect, release_variant
    from datalit.grading.grader import grade_batch

    step = on_step or (lambda _text: None)
    if keep is not None and Path(keep).exists() and any(Path(keep).iterdir()):
        raise InvalidArgument(
            f"--keep {keep} is not empty: give a new folder (check-exercise grades every "
            "submission in it, so it must never be a real course)"
        )
    for attempt in ("naive", "careless"):
        if not (exercise.solution_folder / f"{attempt}.ipynb").is_file():
            raise InvalidArgument(
                f"{exercise.solution_folder}/{attempt}.ipynb is missing: check-exercise grades "
                f"a {attempt} attempt on every seed (see docs/authoring.md)"
            )
    seed_values = check_seeds(exercise, seeds)
    course = (
        Path(keep) if keep else Path(tempfile.mkdtemp(prefix=f"datalit-check-{exercise.slug}-"))
    )
    try:
        layout = Course(course)
        layout.ensure()
        incoming = course / "incoming"
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir()
        for n, seed in enumerate(seed_values, start=1):
            step(f"releasing seed {n}")
            for attempt in ATTEMPTS:
                cid = f"{attempt}-s{n:02d}"
                released = release_variant(exercise, layout, Candidate(cid), seed)
                source = (
                    released.release_dir / exercise.notebook
                    if attempt == "untouched"
                    else exercise.solution_folder
                    / (exercise.notebook if attempt == "reference" else f"{attempt}.ipynb")
                )
                shutil.copyfile(source, incoming / f"{cid}.ipynb")
        collect(exercise=exercise, course=course, source=incoming)
        step("grading")
        kept = course / "kept-outputs"
        summary = grade_batch(
            exercise=exercise,
            course=course,
            jobs=jobs,
            regrade=True,
            sandbox=sandbox,
            on_result=lambda name, _result: step(f"graded {name}"),
            keep_outputs=kept,
        )
        by_candidate = {r.candidate: r for r in summary.graded}
        results = []
        keys = [layout.keys_dir(f"reference-s{n:02d}", exercise.slug) for n in range(1, seeds + 1)]
        true_answers = [answers_of(k) for k in keys]
        for n, seed in enumerate(seed_values, start=1):
            percent, problems = {}, []
            for attempt in ATTEMPTS:
                result = by_candidate.get(f"{attempt}-s{n:02d}")
                if result is None:
                    percent[attempt] = 0.0
                    problems.append(f"{attempt}: no result (the grader failed on it)")
                    continue
                if result.status != "graded":
                    problems.append(f"{attempt}: {result.status}: {result.reason}")
                percent[attempt] = percent_of_auto(exercise, result.score)
            step(f"gaming attempts on seed {n}")
            gaming = gaming_attempts(
                exercise,
                keys_dir=keys[n - 1],
                own=kept / f"reference-s{n:02d}",
                copied_from=kept / f"reference-s{(n - 2) % seeds + 1:02d}" if seeds > 1 else None,
                others=[a for i, a in enumerate(true_answers) if i != n - 1],
            )
            results.append(
                SeedResult(
                    n,
                    seed,
                    {**percent, **gaming.percent},
                    tuple(problems),
                    gaming.constant_numeric,
                    gaming.constant_by_part,
                    gaming.shift_kept,
                )
            )
        coverage = anomaly_coverage(exercise, seed_values[:COVERAGE_SEEDS], on_step=step)
    finally:
        if keep is None:
            shutil.rmtree(course, ignore_errors=True)
    return CheckReport(
        exercise=exercise.slug,
        seeds=tuple(results),
        coverage=coverage,
        failures=tuple(_verdict(results, coverage)),
    )


def _verdict(results: list[SeedResult], coverage: tuple[Coverage, ...]) -> list[str]:
    failures = []
    for s in results:
        failures.extend(f"seed {s.seed_number}: {p}" for p in s.problems)
        if s.percent["reference"] < 100.0 - 1e-6:
            failures.append(
                f"seed {s.seed_number}: the reference solution earns "
                f"{s.percent['reference']:.1f} % of the auto-graded points, not 100 %"
            )
        if s.percent["untouched"] > 1e-6:
            failures.append(
                f"seed {s.seed_number}: the untouched release earns "
                f"{s.percent['untouched']:.1f} % of the auto-graded points, not 0 %"
            )
    for c in coverage:
        if not c.caught:
            missed = [n for n, found in enumerate(c.caught_by, start=1) if not found]
            failures.append(
                f"anomaly {c.anomaly} is caught by no graded check (seeds {missed}): add a GX "
                "expectation that fails on it, or list it in a part whose true answer it changes"
            )
    naive = [s.percent["naive"] for s in results]
    mean = statistics.fmean(naive)
    low, high = NAIVE_RANGE
    if not low <= mean <= high:
        failures.append(f"the naive attempt's mean is {mean:.1f} %, outside {low:g}–{high:g} %")
    std = statistics.stdev(naive) if len(naive) > 1 else 0.0
    if std > NAIVE_MAX_STD:
        failures.append(
            f"the naive attempt's scores vary by {std:.1f} percentage points across seeds "
            f"(standard deviation; at most {NAIVE_MAX_STD:g}): variants are not equally hard"
        )
    careless = [s.percent["careless"] for s in results if "careless" in s.percent]
    if careless and statistics.fmean(careless) >= CARELESS_MAX:
        failures.append(
            f"the careless attempt's mean is {statistics.fmean(careless):.1f} %, not below "
            f"{CARELESS_MAX:g} %: a hurried ten-minute attempt must not pass for work"
        )
    copied = [s for s in results if "copy" in s.percent]
    if copied:
        copy = statistics.fmean(s.percent["copy"] for s in copied)
        untouched = statistics.fmean(s.percent["untouched"] for s in copied)
        if copy > untouched + COPY_MARGIN:
            failures.append(
                f"another seed's reference outputs, copied, earn {copy:.1f} % on average (at "
                f"most the untouched release + {COPY_MARGIN:g} %): a check does not depend on "
                "the candidate's own variant"
            )
    for s in results:
        for table, kept in s.shift_kept.items():
            if kept > SHIFT_MAX_KEPT:
                failures.append(
                    f"seed {s.seed_number}: {table} with its compared columns shifted by one row "
                    f"keeps {kept:.1f} % of that table's points (at most {SHIFT_MAX_KEPT:g} %)"
                )
    constants = [s.constant_numeric for s in results if s.constant_numeric is not None]
    if constants and statistics.fmean(constants) > CONSTANT_MAX:
        failures.append(
            f"constants (the other seeds' median answers) earn {statistics.fmean(constants):.1f} % "
            f"of the numeric points on average (at most {CONSTANT_MAX:g} %)"
        )
    for part, shares in _per_key(results, "constant_by_part").items():
        if statistics.fmean(shares) > CONSTANT_MAX:
            failures.append(
                f"numeric part {part}: a constant earns {statistics.fmean(shares):.1f} % of its "
                f"points on average (at most {CONSTANT_MAX:g} %): its tolerance is not narrower "
                "than the spread of the true value across variants"
            )
    return failures
