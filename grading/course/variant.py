"""One candidate's variant: the files every release folder shares, the keys and release
folders built in staging (data generated from the seed, true answers, the stamped notebook)
and swapped into place, keys first; and answers.json, written here and read back
(`released_student`, `release_mode`)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.course.handout import DUE_KEY, format_time, stamp_notebook, stamp_readme
from datalit.grading.course.layout import Course
from datalit.grading.course.placing import _replace_dir, _staging
from datalit.grading.course.readme import (
    CHECK_SCRIPT,
    LAB_REQUIREMENTS,
    check_outputs_script,
    lab_requirements_text,
    readme_text,
    requirements_text,
)
from datalit.grading.course.roster import Candidate, student_fields


@dataclass(frozen=True)
class ReleasedCandidate:
    """One candidate's released variant."""

    id: str
    seed: int
    """Derived from (exercise, id, cohort secret): instructor-only, never shown to candidates."""
    release_dir: Path
    keys_dir: Path


def _plain(value):
    # numpy scalars from truth.py: JSON has no int64.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_text(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_plain, allow_nan=False) + "\n"


def _read_answers(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class _ReleaseFiles:
    """The files every candidate's release folder shares."""

    notebook: bytes
    readme: str
    requirements: str
    lab_requirements: str
    check_script: str
    mode: str
    suite: dict | None
    """The exercise's suite (practice mode: its public part goes into the release)."""


def _release_files(exercise: Exercise, mode: str = "assessment") -> _ReleaseFiles:
    from datalit.grading.authoring import check_release_current, release_notebook_path
    from datalit.grading.practice import MODES, practice_notebook
    from datalit.grading.validate import load_suite

    if mode not in MODES:
        raise InvalidArgument(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    # Never hand out a release notebook that no longer matches its source.
    check_release_current(exercise)
    notebook = release_notebook_path(exercise).read_bytes()
    practice = mode == "practice"
    return _ReleaseFiles(
        notebook=practice_notebook(notebook) if practice else notebook,
        readme=readme_text(exercise, mode),
        requirements=requirements_text(mode),
        lab_requirements=lab_requirements_text(),
        check_script=check_outputs_script(exercise),
        mode=mode,
        suite=load_suite(exercise) if practice else None,
    )


def _build_one(
    exercise: Exercise,
    course: Course,
    candidate: Candidate,
    seed: int,
    files: _ReleaseFiles,
    work: Path,
    due: dt.datetime | None = None,
) -> tuple[Path, Path]:
    """Build one candidate's keys and release folders in `work` (nothing visible yet)."""
    from datalit.exercise import compute_truth
    from datalit.generators.engine import generate
    from datalit.generators.output import write_generated
    from datalit.grading.rows import EXPECTED_DIR, write_expected

    spec = exercise.generate
    generated = generate(spec.recipe, seed=seed, rows=spec.rows, plants=exercise.plants_for(seed))
    truth = compute_truth(exercise, generated.clean, generated.raw, generated.key)
    # write_generated puts data/ and key/ side by side; they part here, before either is
    # visible under release/ or keys/.
    out = write_generated(generated, work / "generated")
    keys, release = work / "keys", work / "release"
    keys.mkdir()
    release.mkdir()
    (out / "key").rename(keys / "key")
    (out / "data").rename(release / "data")
    answers = {
        "exercise": exercise.slug,
        "candidate": candidate.id,
        "seed": seed,
        "answers": truth["answers"],
        "suite_parameters": truth["suite_parameters"],
        "mode": files.mode,
        "student": student_fields(candidate),
    }
    if due is not None:
        answers[DUE_KEY] = format_time(due)
    (keys / "answers.json").write_text(_json_text(answers), encoding="utf-8")
    write_expected(keys / EXPECTED_DIR, exercise, truth["tables"], generated.raw)
    if files.suite is not None:
        from datalit.grading.practice import PRACTICE_DIR, practice_files

        folder = release / PRACTICE_DIR
        folder.mkdir()
        for name, text in practice_files(exercise, files.suite, truth["suite_parameters"]).items():
            (folder / name).write_text(text, encoding="utf-8")
    (release / exercise.notebook).write_bytes(
        stamp_notebook(files.notebook, candidate.id, exercise.slug)
    )
    (release / "README.md").write_text(stamp_readme(files.readme, candidate.id), encoding="utf-8")
    (release / "requirements.txt").write_text(files.requirements, encoding="utf-8")
    (release / LAB_REQUIREMENTS).write_text(files.lab_requirements, encoding="utf-8")
    (release / CHECK_SCRIPT).write_text(files.check_script, encoding="utf-8")
    return keys, release


def _install_one(
    exercise: Exercise, course: Course, candidate: str, seed: int, keys: Path, release: Path
) -> ReleasedCandidate:
    # Keys first: a release folder must never exist without its key.
    keys_dir = course.keys_dir(candidate, exercise.slug)
    release_dir = course.release_dir(candidate, exercise.slug)
    _replace_dir(keys, keys_dir)
    _replace_dir(release, release_dir)
    return ReleasedCandidate(candidate, seed, release_dir, keys_dir)


def _release_one(
    exercise: Exercise, course: Course, candidate: Candidate, seed: int, files: _ReleaseFiles
) -> ReleasedCandidate:
    with _staging(course, f"release-{candidate.id}") as work:
        keys, release = _build_one(exercise, course, candidate, seed, files, work)
        return _install_one(exercise, course, candidate.id, seed, keys, release)


def release_variant(
    exercise: Exercise, course: Course, candidate: Candidate, seed: int, mode: str = "assessment"
) -> ReleasedCandidate:
    """Release one variant with an explicit seed (check-exercise: three attempts per seed)."""
    return _release_one(exercise, course, candidate, seed, _release_files(exercise, mode))


def released_student(answers_file: Path) -> dict[str, str] | None:
    """The student fields recorded at release (keys/<c>/<ex>/answers.json), or None."""
    try:
        fields = json.loads(Path(answers_file).read_text(encoding="utf-8")).get("student")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(fields, dict) or not fields:
        return None
    return {k: v for k, v in fields.items() if isinstance(v, str)} or None


def release_mode(answers_file: Path) -> str:
    """The mode a candidate's variant was released in (keys/<c>/<ex>/answers.json)."""
    try:
        mode = json.loads(Path(answers_file).read_text(encoding="utf-8")).get("mode")
    except (OSError, ValueError, AttributeError):
        mode = None
    return mode if mode in ("assessment", "practice") else "assessment"
