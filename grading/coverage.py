"""Which graded check catches each planted anomaly type (`datalit check-exercise`).

On a variant where only that anomaly type is planted, a check catches it when an expectation
fails on the raw table (and passes on the variant without plants), or when a submission ignoring
the anomaly loses points on a rows, ids, numeric or spans part. See `anomaly_coverage`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from datalit.exercise import Exercise, compute_truth
from datalit.grading.parts import CoverageWorld, kind_of


@dataclass(frozen=True)
class Coverage:
    """How one planted anomaly type is caught on each checked seed."""

    anomaly: str
    caught_by: tuple[tuple[str, ...], ...]
    """Per checked seed: the expectations (type and column) and part ids that catch it."""

    @property
    def caught(self) -> bool:
        return bool(self.caught_by) and all(self.caught_by)


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
            failures = _suite_failures(exercise, variant.raw, truth)
            by_part: dict[str, list[str]] | None = None
            if failures is not None and base_failures is not None:
                by_part = {}
                for part_id, label in failures - base_failures:
                    by_part.setdefault(part_id, []).append(label)
            ignoring = [base_truth["answers"]]
            as_if_real = _truth_as_if_real(exercise, variant)
            if as_if_real is not None:
                ignoring.append(as_if_real)
            world = CoverageWorld(exercise, variant, truth, ignoring, by_part)
            catchers = [c for part in exercise.parts for c in kind_of(part).catchers(part, world)]
            found[kind].append(tuple(catchers))
    return tuple(Coverage(k, tuple(v)) for k, v in found.items())


def _truth_as_if_real(exercise: Exercise, variant) -> dict | None:
    """True answers of a world where the planted values are real, or None when truth.py cannot
    compute on them (e.g. numbers planted as text): then this evidence is not available."""
    try:
        return compute_truth(exercise, variant.raw, variant.raw, variant.key.iloc[0:0])["answers"]
    except Exception:  # truth.py is exercise code: any failure here means "no evidence"
        return None


def _suite_failures(
    exercise: Exercise, raw: dict[str, pd.DataFrame], truth: dict
) -> set[tuple[str, str]] | None:
    """The expectations (their part and `_label`) that fail without error on the raw source
    table, or None when the suite's table output names no source_table."""
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
    return {(r.part, labels[r.id]) for r in validation.results if not r.success and not r.error}


def _label(expectation: dict) -> str:
    """A readable name for an expectation: its type and column(s)."""
    kwargs = expectation.get("kwargs", {})
    what = kwargs.get("column") or kwargs.get("column_list") or ""
    if isinstance(what, list):
        what = ",".join(map(str, what))
    name = expectation["type"].removeprefix("expect_")
    return f"{name}({what})" if what else name
