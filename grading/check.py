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
from typing import Any

import pandas as pd

from datalit.exercise import Exercise, Part, compute_truth
from datalit.seeding import candidate_seed

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
class Coverage:
    """How one planted anomaly type is caught on each checked seed."""

    anomaly: str
    caught_by: tuple[tuple[str, ...], ...]
    """Per checked seed: the expectations (type and column) and part ids that catch it."""

    @property
    def caught(self) -> bool:
        return bool(self.caught_by) and all(self.caught_by)


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
        lines = []
        parts = sorted({p for s in self.seeds for p in s.constant_by_part})
        for part in parts:
            shares = [s.constant_by_part[part] for s in self.seeds if part in s.constant_by_part]
            lines.append(
                f"constant answer to {part}: {statistics.fmean(shares):.1f} % of its points "
                f"(mean over seeds; at most {CONSTANT_MAX:g})"
            )
        tables = sorted({t for s in self.seeds for t in s.shift_kept})
        for table in tables:
            kept = [s.shift_kept[table] for s in self.seeds if table in s.shift_kept]
            lines.append(
                f"{table} shifted by one row keeps {max(kept):.1f} % of its points "
                f"(worst seed; at most {SHIFT_MAX_KEPT:g})"
            )
        return lines

    def std(self, attempt: str) -> float:
        values = [s.percent[attempt] for s in self.seeds if attempt in s.percent]
        return statistics.stdev(values) if len(values) > 1 else 0.0


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
        true_answers = [_answers(k) for k in keys]
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
                percent[attempt] = 100.0 * result.score.auto_points / exercise.max_auto_points
            step(f"gaming attempts on seed {n}")
            own = kept / f"reference-s{n:02d}"
            if seeds > 1:
                previous = kept / f"reference-s{(n - 2) % seeds + 1:02d}"
                copied = _grade_files(exercise, previous, keys[n - 1])
                percent["copy"] = 100.0 * copied.auto_points / exercise.max_auto_points
            others = [a for i, a in enumerate(true_answers) if i != n - 1]
            constant = None
            constant_by_part: dict[str, float] = {}
            if others and _numeric_parts(exercise):
                with tempfile.TemporaryDirectory(prefix="datalit-constant-") as work:
                    _write_constants(exercise, others, Path(work))
                    scored = _grade_files(exercise, Path(work), keys[n - 1])
                constant, constant_by_part = _numeric_share(exercise, scored)
                percent["constant"] = 100.0 * scored.auto_points / exercise.max_auto_points
            shift_kept = {}
            for output_name in dict.fromkeys(p.output for p in exercise.row_parts):
                with tempfile.TemporaryDirectory(prefix="datalit-shift-") as work:
                    shutil.copytree(own, work, dirs_exist_ok=True)
                    _shift_columns(exercise, output_name, Path(work))
                    scored = _grade_files(exercise, Path(work), keys[n - 1])
                shift_kept[output_name] = _table_share(exercise, output_name, scored)
                percent["shift"] = 100.0 * scored.auto_points / exercise.max_auto_points
            results.append(
                SeedResult(
                    n, seed, percent, tuple(problems), constant, constant_by_part, shift_kept
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
    parts = sorted({p for s in results for p in s.constant_by_part})
    for part in parts:
        shares = [s.constant_by_part[part] for s in results if part in s.constant_by_part]
        if statistics.fmean(shares) > CONSTANT_MAX:
            failures.append(
                f"numeric part {part}: a constant earns {statistics.fmean(shares):.1f} % of its "
                f"points on average (at most {CONSTANT_MAX:g} %): its tolerance is not narrower "
                "than the spread of the true value across variants"
            )
    return failures


# --- gaming attempts made of output files -----------------------------------------------------


def _answers(keys_dir: Path) -> dict:
    import json

    return json.loads((keys_dir / "answers.json").read_text(encoding="utf-8"))


def _grade_files(exercise: Exercise, folder: Path, keys_dir: Path):
    """Score the output files in `folder` for the variant whose key is `keys_dir`, through the
    grader's extract, validate and score stages (what grade_one runs after the sandbox)."""
    from datalit.grading.extract import extract
    from datalit.grading.rows import EXPECTED_DIR, read_expected
    from datalit.grading.score import score
    from datalit.grading.validate import validate

    folder.mkdir(parents=True, exist_ok=True)
    truth = _answers(keys_dir)
    extracted = extract(exercise, folder)
    validation = validate(exercise, extracted, parameters=truth["suite_parameters"])
    expected = read_expected(keys_dir / EXPECTED_DIR, exercise)
    return score(exercise, extracted, validation, answers=truth["answers"], expected=expected)


def _numeric_parts(exercise: Exercise) -> list[Part]:
    return [p for p in exercise.parts if p.kind == "numeric"]


def _median_answer(values: list[Any]) -> Any:
    """The median of numbers, or per key of dicts of numbers (keys seen on any seed)."""
    if all(isinstance(v, dict) for v in values):
        keys = dict.fromkeys(k for v in values for k in v)
        return {k: _median_answer([v[k] for v in values if k in v]) for k in keys}
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return statistics.median(numbers) if numbers else 0.0


def _write_constants(exercise: Exercise, others: list[dict], folder: Path) -> None:
    """JSON outputs holding, for every numeric part, the median of the other seeds' truths."""
    import json

    by_output: dict[str, dict] = {}
    for part in _numeric_parts(exercise):
        values = [a["answers"][part.truth] for a in others if part.truth in a["answers"]]
        by_output.setdefault(part.output, {})[part.field] = _median_answer(values)
    for name, data in by_output.items():
        path = folder / exercise.output(name).path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")


def _numeric_share(exercise: Exercise, scored) -> tuple[float, dict[str, float]]:
    numeric = {p.id: p for p in _numeric_parts(exercise)}
    earned = {ps.id: ps.points for ps in scored.parts if ps.id in numeric}
    total = sum(p.points for p in numeric.values())
    by_part = {pid: 100.0 * earned.get(pid, 0.0) / p.points for pid, p in numeric.items()}
    return 100.0 * sum(earned.values()) / total, by_part


def _shift_columns(exercise: Exercise, output_name: str, folder: Path) -> None:
    """Move every column a rows part compares on this output down one row (the key stays)."""
    from datalit.generators.output import write_csv, write_parquet
    from datalit.grading.extract import extract_output

    output = exercise.output(output_name)
    read = extract_output(output, folder)
    if read.status != "ok":
        return
    table = read.table.copy()
    columns = {c.name for p in exercise.row_parts if p.output == output_name for c in p.columns}
    for name in sorted(columns & set(table.columns)):
        values = table[name].to_numpy()
        table[name] = list(values[-1:]) + list(values[:-1])
    path = folder / output.path
    (write_csv if path.suffix == ".csv" else write_parquet)(table, path)


def _table_share(exercise: Exercise, output_name: str, scored) -> float:
    """The share of the points of the parts reading `output_name` that `scored` earns, in %."""
    ids = {p.id: p.points for p in exercise.parts if p.output == output_name and p.auto}
    earned = sum(ps.points for ps in scored.parts if ps.id in ids)
    return 100.0 * earned / sum(ids.values())


# --- anomaly coverage -------------------------------------------------------------------------


def anomaly_coverage(exercise: Exercise, seeds: list[int], *, on_step=None) -> tuple[Coverage, ...]:
    """For each planted anomaly type, the graded checks that catch it, per seed.

    On a variant where only that anomaly type is planted (its plants, same seed), a check catches
    it when:

    - suite: an expectation fails on the raw `source_table` of the suite's table output and passes
      on the raw table of the variant without plants (so the anomaly, not the raw layout, is why);
    - ids / numeric / spans parts: a submission ignoring the anomaly loses points. Two such
      submissions are scored against the variant's true answers: the answers of the variant without
      plants (nothing of the anomaly flagged), and the answers computed as if the anomaly's values
      were real (truth on the raw tables taken as clean, with an empty key).
    """
    from datalit.generators.engine import generate

    step = on_step or (lambda _text: None)
    spec = exercise.generate
    kinds = list(dict.fromkeys(p.anomaly for p in spec.plants))
    found: dict[str, list[tuple[str, ...]]] = {k: [] for k in kinds}
    for seed in seeds:
        baseline = generate(spec.recipe, seed=seed, rows=spec.rows, plants=())
        base_truth = compute_truth(exercise, baseline.clean, baseline.raw, baseline.key)
        base_failures = _suite_failures(exercise, baseline.raw, base_truth)
        for kind in kinds:
            step(f"coverage of {kind}")
            plants = [p for p in exercise.plants_for(seed) if p.anomaly == kind]
            variant = generate(spec.recipe, seed=seed, rows=spec.rows, plants=plants)
            truth = compute_truth(exercise, variant.clean, variant.raw, variant.key)
            catchers = []
            failures = _suite_failures(exercise, variant.raw, truth)
            if failures is not None and base_failures is not None:
                catchers.extend(sorted(failures - base_failures))
            ignoring = [base_truth["answers"]]
            as_if_real = _truth_as_if_real(exercise, variant)
            if as_if_real is not None:
                ignoring.append(as_if_real)
            catchers.extend(_rows_parts_catching(exercise, variant, truth))
            for part in exercise.parts:
                if part.kind in ("ids", "numeric", "spans") and any(
                    _loses_points(exercise, part, answers, truth["answers"]) for answers in ignoring
                ):
                    catchers.append(part.id)
            found[kind].append(tuple(catchers))
    return tuple(Coverage(k, tuple(v)) for k, v in found.items())


def _rows_parts_catching(exercise: Exercise, variant, truth: dict) -> list[str]:
    """The rows parts that a table left as in the raw data (the anomaly ignored) loses points on."""
    from datalit.grading.results import Extracted, OutputFile, Validation
    from datalit.grading.rows import read_expected, text_frame, write_expected
    from datalit.grading.score import score

    caught = []
    with tempfile.TemporaryDirectory(prefix="datalit-coverage-") as work:
        write_expected(Path(work), exercise, truth["tables"], variant.raw)
        expected = read_expected(Path(work), exercise)
    for part in exercise.row_parts:
        source = exercise.output(part.output).source_table
        if source not in variant.raw:
            continue
        table = OutputFile(part.output, "ok", table=text_frame(variant.raw[source]))
        result = score(
            _only_part(exercise, part),
            Extracted(outputs={part.output: table}),
            Validation(results=()),
            answers={},
            expected=expected,
        )
        if result.parts[0].points < part.points - 1e-9:
            caught.append(part.id)
    return caught


def _truth_as_if_real(exercise: Exercise, variant) -> dict | None:
    """True answers of a world where the planted values are real, or None when truth.py cannot
    compute on them (e.g. numbers planted as text): then this evidence is not available."""
    try:
        return compute_truth(exercise, variant.raw, variant.raw, variant.key.iloc[0:0])["answers"]
    except Exception:  # truth.py is exercise code: any failure here means "no evidence"
        return None


def _suite_failures(
    exercise: Exercise, raw: dict[str, pd.DataFrame], truth: dict
) -> set[str] | None:
    """The expectations (by `_label`) that fail without error on the raw source table, or None
    when the suite's table output names no source_table."""
    from datalit.generators.output import write_csv, write_parquet
    from datalit.grading.extract import extract_output
    from datalit.grading.results import Extracted
    from datalit.grading.validate import load_suite, table_output_name, validate

    suite = load_suite(exercise)
    output = exercise.output(table_output_name(exercise, suite))
    if not output.source_table or output.source_table not in raw:
        return None
    with tempfile.TemporaryDirectory(prefix="datalit-coverage-") as work:
        path = Path(work) / output.path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Through the same text form and reader as a candidate's file.
        writer = write_csv if path.suffix == ".csv" else write_parquet
        writer(raw[output.source_table], path)
        table_file = extract_output(output, Path(work))
    validation = validate(
        exercise, Extracted(outputs={output.name: table_file}), parameters=truth["suite_parameters"]
    )
    labels = {e["id"]: _label(e) for e in suite["expectations"]}
    return {labels[r.id] for r in validation.results if not r.success and not r.error}


def _label(expectation: dict) -> str:
    """A readable name for an expectation: its type and column(s)."""
    kwargs = expectation.get("kwargs", {})
    what = kwargs.get("column") or kwargs.get("column_list") or ""
    if isinstance(what, list):
        what = ",".join(map(str, what))
    name = expectation["type"].removeprefix("expect_")
    return f"{name}({what})" if what else name


def _loses_points(exercise: Exercise, part: Part, given: dict, answers: dict) -> bool:
    """Whether a submission whose outputs hold `given` (true answers of another world) earns less
    than the part's points against `answers`."""
    from datalit.grading.results import Extracted, OutputFile, Validation
    from datalit.grading.score import score

    if part.truth not in given:
        return False
    value = given[part.truth]
    if part.kind == "spans":
        table = pd.DataFrame(
            {
                part.field: [str(s["id"]) for s in value],
                "start": [str(s["start"]) for s in value],
                "end": [str(s["end"]) for s in value],
            }
        )
        output = OutputFile(part.output, "ok", table=table)
    else:
        output = OutputFile(part.output, "ok", data={part.field: _plain(value)})
    only = _only_part(exercise, part)
    result = score(
        only, Extracted(outputs={part.output: output}), Validation(results=()), answers=answers
    )
    return result.parts[0].points < part.points - 1e-9


def _only_part(exercise: Exercise, part: Part) -> Exercise:
    import dataclasses

    return dataclasses.replace(exercise, parts=(part,))


def _plain(value: Any) -> Any:
    """JSON-like copy (the scorer sees what a candidate's JSON file would hold)."""
    import json

    return json.loads(json.dumps(value, default=str))
