"""The export: one table of every released candidate's result, for a spreadsheet or a script.

`export` reads a course folder and never changes it, apart from the file it writes (by default
COURSE/exports/scores.csv, or scores.json): one row per released candidate and exercise (every
COURSE/release/<c>/<ex>/ folder), whether or not they submitted. Each row joins

- the roster fields recorded at release (keys/<c>/<ex>/answers.json "student": name, email) and
  the due time recorded there;
- the submission's time (collect's submitted/<c>/<ex>/timestamp.txt, `handout.submission_time`)
  and from both, whether it was late (`handout.lateness`, `handout.late_text`);
- the reviewer JSON of the grading (reports/<ex>/<c>.json, `report.reviewer_record`): the
  status, the points per part, and "grader_version", the datalit that graded it. A report of
  another notebook than the one submitted now (collect replaced it after grading) counts as no
  report: the row says "not graded";
- the manual grades reviewers gave in formgrader (`manual.manual_grades`, which opens the
  gradebook read-only): the points of the manual parts, their comments, the total.

A row's status is one of `STATUSES` or the grader's own failure status as the reviewer JSON
gives it (missing_notebook, invalid_notebook, sandbox_error, grader_error, ...).

CSV cells go through `report.csv_cell`, so a roster name such as "=cmd" cannot run as a formula
when the file is opened in a spreadsheet. Over several exercises the CSV has one `part:<id>`
column per part id: exercises whose parts share an id share its column when the parts are of
the same kind and maximum; otherwise each exercise gets its own `part:<exercise>:<id>` column
for that id. Manual parts have a `comment:<id>` column beside their points.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datalit.errors import InvalidArgument, UnknownName
from datalit.exercise import Exercise, load_exercise

EXPORTS = "exports"
"""COURSE/exports/: where exports are written unless --out says otherwise."""
FORMATS = ("csv", "json")
EXPORT_FORMAT = 1
"""The "format" of the JSON export."""

GRADED, MANUAL_PENDING, NOT_SUBMITTED, NOT_GRADED = (
    "graded",
    "manual pending",
    "not submitted",
    "not graded",
)
STATUSES = (GRADED, MANUAL_PENDING, NOT_SUBMITTED, NOT_GRADED)
"""graded: every part scored (the manual ones in formgrader); manual pending: the automatic
parts scored, a manual part not graded yet; not submitted: released, nothing collected; not
graded: collected but not graded (or graded before collect replaced the submission)."""

COLUMNS = (
    "candidate",
    "name",
    "email",
    "exercise",
    "status",
    "submitted_at",
    "due",
    "late",
    "late_by",
    "auto_points",
    "max_auto_points",
    "manual_points",
    "total_points",
    "max_points",
)
"""The CSV's first columns; the part columns, grader_version and unsafe_no_sandbox follow."""


@dataclass(frozen=True)
class Exported:
    """What `export` wrote."""

    path: Path
    """The file written, as an absolute path."""
    format: str
    exercises: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    """One per released candidate and exercise, as the JSON export holds them."""
    columns: tuple[str, ...]
    """The CSV's columns (also for a JSON export: what a CSV of the same rows would hold)."""

    def describe(self) -> str:
        """Per exercise, the candidates by status and how many were late; the last line is
        `exported N row(s) to PATH` (the absolute path)."""
        lines = []
        for slug in self.exercises:
            mine = [r for r in self.rows if r["exercise"] == slug]
            counts = Counter(r["status"] for r in mine)
            order = [s for s in STATUSES if s in counts] + sorted(set(counts) - set(STATUSES))
            shown = ", ".join(f"{counts[s]} {s}" for s in order)
            late = sum(bool(r["late"]) for r in mine)
            lines.append(
                f"{slug}: {len(mine)} released: {shown}" + (f"; {late} late" if late else "")
            )
        lines.append(f"exported {len(self.rows)} row(s) to {self.path}")
        return "\n".join(lines)


def released_exercises(course: Path) -> list[str]:
    """The exercises released in COURSE: every COURSE/release/<c>/<ex>/ folder's name."""
    from datalit.grading.course import CANDIDATE_ID

    base = Path(course) / "release"
    if not base.is_dir():
        return []
    found = set()
    for candidate in base.iterdir():
        if not CANDIDATE_ID.match(candidate.name) or candidate.is_symlink():
            continue
        if not candidate.is_dir():
            continue
        for folder in candidate.iterdir():
            if CANDIDATE_ID.match(folder.name) and folder.is_dir() and not folder.is_symlink():
                found.add(folder.name)
    return sorted(found)


def export(
    *,
    course: Path,
    exercises: Sequence[str] = (),
    fmt: str = "csv",
    out: Path | None = None,
) -> Exported:
    """Write the scores of every released candidate of COURSE as CSV or JSON.

    Args:
        course: The course folder.
        exercises: Only these exercises (default: every exercise released in the course).
        fmt: "csv" or "json".
        out: The file to write (default COURSE/exports/scores.csv or scores.json). Written
            atomically (a temporary file renamed into place).

    Returns:
        What was written.

    Raises:
        InvalidArgument: no such course folder, nothing released in it, an exercise not
            released there, an unknown format, `out` is a folder or cannot be written. Nothing
            is written then.
    """
    from datalit.grading.record import write_atomic

    if fmt not in FORMATS:
        raise InvalidArgument(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}")
    course = Path(course)
    if not course.exists():
        raise InvalidArgument(f"the course folder {course} does not exist")
    if not course.is_dir():
        raise InvalidArgument(f"--course {course} is a file; give the course folder")
    released = released_exercises(course)
    if not released:
        raise InvalidArgument(
            f"nothing was released in {course}: there is nothing to export (release first: "
            f"`datalit release EXERCISE --course {course} --roster ROSTER.csv`)"
        )
    chosen = list(dict.fromkeys(exercises)) or released
    missing = [slug for slug in chosen if slug not in released]
    if missing:
        raise InvalidArgument(
            f"{', '.join(missing)} {'was' if len(missing) == 1 else 'were'} never released in "
            f"{course}; released there: {', '.join(released)}"
        )
    loaded = [_load(slug, course) for slug in chosen]
    target = Path(out) if out is not None else course / EXPORTS / f"scores.{fmt}"
    if target.is_dir():
        raise InvalidArgument(f"--out {target} is a folder; give the file to write")
    rows = [row for exercise in loaded for row in _rows(course, exercise)]
    columns = _columns(loaded)
    text = _json_text(chosen, rows) if fmt == "json" else _csv_text(columns, loaded, rows)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise InvalidArgument(f"cannot write {target}: {exc.strerror or exc}") from None
    return Exported(target.absolute(), fmt, tuple(chosen), tuple(rows), tuple(columns))


def _load(slug: str, course: Path) -> Exercise:
    try:
        return load_exercise(slug)
    except UnknownName:
        raise InvalidArgument(
            f"{course} has releases of {slug!r}, which is not an exercise here (exercises/"
            f"{slug}/exercise.toml); export the others with --exercise"
        ) from None


# --- rows -------------------------------------------------------------------------------------


def _rows(course: Path, exercise: Exercise) -> list[dict[str, Any]]:
    from datalit.grading.course import Course
    from datalit.grading.manual import manual_grades

    layout = Course(course)
    grades = manual_grades(course, exercise)  # read-only
    return [
        _row(layout, exercise, candidate, grades.get(candidate, []))
        for candidate in layout.released_candidates(exercise.slug)
    ]


def _row(layout, exercise: Exercise, candidate: str, grades: list) -> dict[str, Any]:
    from datalit.grading.grader import submission_sha256
    from datalit.grading.report import _with_manual, reviewer_record, submission_timing

    slug = exercise.slug
    student = _student(layout.keys_dir(candidate, slug) / "answers.json")
    timing = submission_timing(layout.root, slug, candidate)
    submitted = layout.submitted_dir(candidate, slug)
    row: dict[str, Any] = {
        "candidate": candidate,
        "name": " ".join(v for v in (student.get("first_name"), student.get("last_name")) if v),
        "email": student.get("email", ""),
        "exercise": slug,
        "status": NOT_SUBMITTED,
        "submitted_at": timing["submitted_at"] or None,
        "due": timing["due"] or None,
        "late": timing["late"],
        "late_by": timing["late_by"] or None,
        "auto_points": None,
        "max_auto_points": float(exercise.max_auto_points),
        "manual_points": None,
        "total_points": None,
        "max_points": float(exercise.max_points),
        "parts": {p.id: None for p in exercise.parts},
        "comments": {p.id: None for p in exercise.parts if not p.auto},
        "grader_version": None,
        "unsafe_no_sandbox": None,
    }
    if not submitted.is_dir() or submitted.is_symlink():
        return row
    record = reviewer_record(layout.reports_dir / slug / f"{candidate}.json", exercise)
    if record is None or record.get("submission_sha256") != submission_sha256(
        submitted / exercise.notebook
    ):
        return {**row, "status": NOT_GRADED}
    summary = json.loads(json.dumps(record["summary"]))  # a copy _with_manual may change
    _with_manual(exercise, summary, grades)
    parts = {p.id: summary["parts"].get(p.id) for p in exercise.parts}
    manual = [p for p in exercise.parts if not p.auto]
    pending = any(parts[p.id] is None for p in exercise.parts)
    status = str(summary.get("status") or "")
    if status == "graded":
        status = MANUAL_PENDING if pending else GRADED
    comments = {g.part: g.comment or None for g in grades}
    total = record.get("total") if isinstance(record.get("total"), dict) else {}
    return {
        **row,
        "status": status or NOT_GRADED,
        "auto_points": summary.get("auto_points"),
        "max_auto_points": summary.get("max_auto_points", row["max_auto_points"]),
        "manual_points": None if pending else sum((parts[p.id] or 0.0 for p in manual), 0.0),
        "total_points": summary.get("total_points"),
        "max_points": total.get("max_points", row["max_points"]),
        "parts": parts,
        "comments": {p.id: comments.get(p.id) for p in manual},
        "grader_version": record.get("grader_version") or None,
        # Graded with --unsafe-no-sandbox: the candidate's code ran unconfined (practice only).
        "unsafe_no_sandbox": bool(record.get("unsafe_no_sandbox")),
    }


def _student(answers_file: Path) -> dict[str, str]:
    try:
        fields = json.loads(answers_file.read_text(encoding="utf-8")).get("student")
    except (OSError, ValueError, RecursionError, AttributeError):
        return {}
    if not isinstance(fields, dict):
        return {}
    return {k: v for k, v in fields.items() if isinstance(v, str)}


# --- files ------------------------------------------------------------------------------------


def part_columns(exercises: Iterable[Exercise]) -> dict[tuple[str, str], str]:
    """(exercise, part id) -> its CSV column: `part:<id>`, shared by the exercises whose parts of
    that id are of one kind and maximum, else `part:<exercise>:<id>` for each of them."""
    exercises = list(exercises)
    meanings: dict[str, set] = {}
    for exercise in exercises:
        for part in exercise.parts:
            meanings.setdefault(part.id, set()).add((part.kind, float(part.points)))
    return {
        (exercise.slug, part.id): (
            f"part:{part.id}" if len(meanings[part.id]) == 1 else f"part:{exercise.slug}:{part.id}"
        )
        for exercise in exercises
        for part in exercise.parts
    }


def _comment_column(column: str) -> str:
    return "comment:" + column.removeprefix("part:")


def _columns(exercises: list[Exercise]) -> list[str]:
    names = part_columns(exercises)
    columns = list(COLUMNS)
    for exercise in exercises:
        for part in exercise.parts:
            column = names[(exercise.slug, part.id)]
            if column in columns:
                continue
            columns.append(column)
            if not part.auto:
                columns.append(_comment_column(column))
    return [*columns, "grader_version", "unsafe_no_sandbox"]


def _csv_text(columns: list[str], exercises: list[Exercise], rows: list[dict]) -> str:
    from datalit.grading.report import _csv

    names = part_columns(exercises)
    flat = []
    for row in rows:
        cells = {k: v for k, v in row.items() if k not in ("parts", "comments")}
        cells["late"] = "yes" if row["late"] else ""
        for part, points in row["parts"].items():
            cells[names[(row["exercise"], part)]] = points
        for part, comment in row["comments"].items():
            cells[_comment_column(names[(row["exercise"], part)])] = comment
        flat.append(cells)
    return _csv(columns, flat)  # every cell through report.csv_cell


def _json_text(exercises: list[str], rows: list[dict]) -> str:
    view = {"format": EXPORT_FORMAT, "exercises": exercises, "rows": rows}
    return json.dumps(view, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


__all__ = [
    "COLUMNS",
    "FORMATS",
    "STATUSES",
    "Exported",
    "export",
    "part_columns",
    "released_exercises",
]
