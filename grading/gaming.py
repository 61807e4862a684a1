"""Gaming attempts made of output files, for `datalit check-exercise`.

They are not code, so they need no sandbox: the files go through the grader's own extract,
validate and score stages (`grade_files`), as a sandboxed notebook writing them would hand them
over.

- copy: another variant's reference outputs, byte for byte;
- constant: every numeric answer set to the median of the other variants' true values (the
  parts whose kind has `constant_proof`);
- shift: the reference's own table with every column a `rows` part compares moved down one row
  (the kind's `shifted_columns`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from datalit.exercise import Exercise, Part


@dataclass(frozen=True)
class Gaming:
    """What the gaming attempts earn on one seed."""

    percent: dict[str, float]
    """copy / constant / shift: their share of the auto-graded points, in percent."""
    constant_numeric: float | None = None
    """The constant attempt's share of the numeric parts' points, in percent (None: none)."""
    constant_by_part: dict[str, float] = field(default_factory=dict)
    """The constant attempt's share of each numeric part's points, in percent."""
    shift_kept: dict[str, float] = field(default_factory=dict)
    """Per table a rows part compares: the share of that table's points the shifted table keeps."""


def percent_of_auto(exercise: Exercise, scored) -> float:
    return 100.0 * scored.auto_points / exercise.max_auto_points


def gaming_attempts(
    exercise: Exercise,
    *,
    keys_dir: Path,
    own: Path,
    copied_from: Path | None,
    others: list[dict],
) -> Gaming:
    """Score the three attempts for the variant whose key is `keys_dir`.

    Args:
        own: the reference's output files on this variant (for the shift).
        copied_from: another variant's reference output files (None: no copy attempt).
        others: the other variants' answers.json contents (for the constants).
    """
    percent: dict[str, float] = {}
    if copied_from is not None:
        percent["copy"] = percent_of_auto(exercise, grade_files(exercise, copied_from, keys_dir))
    constant, by_part = None, {}
    if others and _numeric_parts(exercise):
        with tempfile.TemporaryDirectory(prefix="datalit-constant-") as work:
            _write_constants(exercise, others, Path(work))
            scored = grade_files(exercise, Path(work), keys_dir)
        constant, by_part = _numeric_share(exercise, scored)
        percent["constant"] = percent_of_auto(exercise, scored)
    shift_kept = {}
    for output_name in dict.fromkeys(p.output for p in _shifted_parts(exercise)):
        with tempfile.TemporaryDirectory(prefix="datalit-shift-") as work:
            shutil.copytree(own, work, dirs_exist_ok=True)
            _shift_columns(exercise, output_name, Path(work))
            scored = grade_files(exercise, Path(work), keys_dir)
        shift_kept[output_name] = _table_share(exercise, output_name, scored)
        percent["shift"] = percent_of_auto(exercise, scored)
    return Gaming(percent, constant, by_part, shift_kept)


def _shifted_parts(exercise: Exercise) -> list[Part]:
    from datalit.grading.parts import kind_of

    return [p for p in exercise.parts if kind_of(p).shifted_columns(p)]


def answers_of(keys_dir: Path) -> dict:
    import json

    return json.loads((keys_dir / "answers.json").read_text(encoding="utf-8"))


def grade_files(exercise: Exercise, folder: Path, keys_dir: Path):
    """Score the output files in `folder` for the variant whose key is `keys_dir`, through the
    grader's extract, validate and score stages (what grade_one runs after the sandbox)."""
    from datalit.grading.extract import extract
    from datalit.grading.rows import EXPECTED_DIR, read_expected
    from datalit.grading.score import score
    from datalit.grading.validate import validate

    folder.mkdir(parents=True, exist_ok=True)
    truth = answers_of(keys_dir)
    extracted = extract(exercise, folder)
    validation = validate(exercise, extracted, parameters=truth["suite_parameters"])
    expected = read_expected(keys_dir / EXPECTED_DIR, exercise)
    return score(exercise, extracted, validation, answers=truth["answers"], expected=expected)


def _numeric_parts(exercise: Exercise) -> list[Part]:
    from datalit.grading.parts import kind_of

    return [p for p in exercise.parts if kind_of(p).constant_proof]


def _write_constants(exercise: Exercise, others: list[dict], folder: Path) -> None:
    """JSON outputs holding, for every numeric part, the median of the other seeds' truths."""
    import json

    from datalit.grading.parts import kind_of

    by_output: dict[str, dict] = {}
    for part in _numeric_parts(exercise):
        key, value = kind_of(part).constant_answer(part, others)
        by_output.setdefault(part.output, {})[key] = value
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
    from datalit.grading.parts import kind_of

    columns = {
        c for p in exercise.parts if p.output == output_name for c in kind_of(p).shifted_columns(p)
    }
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
