"""The record stage: a submission's scores into nbgrader's gradebook, all or nothing.

nbgrader's gradebook (`COURSE/gradebook.db`, SQLite) is the record: `nbgrader export` and
formgrader read our scores from it unchanged. The mapping: assignment = notebook = the exercise
slug, one grade cell per part (named by the part id; a manual part by the nbgrader grade_id of
its markdown cell, so formgrader grades it in place), `max_score` from the exercise. Auto parts
get `auto_score` and `needs_manual_grade = False`; a part graded by hand keeps no auto score and
stays `needs_manual_grade` until a reviewer grades it. A manual part's cell is a solution cell
too, as nbgrader makes it, so formgrader's comment box has a Comment row to keep what the
reviewer types; `grading/manual.py` reads scores and comments back. Recording also writes what
formgrader needs to work from its home page (`source/<exercise>/`, which it lists assignments
from) and, in nbgrader_config.py, separate folders for nbgrader's own release and feedback
tools, so that none of them writes into datalit's `release/` or `feedback/`.

Crash safety. nbgrader's `Gradebook` methods commit one call at a time, so a kill between two
calls leaves a submission with null scores (exported as 0). We therefore write a submission's
rows with nbgrader's ORM classes in ONE transaction of our own (`BEGIN IMMEDIATE`: the write
lock is taken up front, so two writers never deadlock on a read-to-write upgrade) and commit
once: SQLite's journal makes that all or nothing. Afterwards our own ledger,
`COURSE/.datalit/results/<exercise>/<candidate>.json`, is written atomically (tmp, fsync,
rename). It holds what nbgrader's schema has no column for: the submission's sha256, the
grader version, the exercise fingerprint, the per-part scores. Order matters: gradebook first,
ledger second, so "the ledger is current" implies "the gradebook has it", and the grader may
skip such a submission safely. A kill between the two leaves the gradebook complete and the
ledger stale: the next run re-records, which changes nothing in the gradebook.

`record` is idempotent: it syncs the gradebook to the result and writes only what differs.
Recording an unchanged result writes nothing (`changed` is False, gradebook.db keeps its bytes).

Manual grades a reviewer entered (formgrader or the Gradebook API) are never overwritten:
`manual_score` and `extra_credit` are never written here, and a graded manual part keeps its
`needs_manual_grade`.

Writers are serialized by an fcntl lock (`COURSE/.datalit/gradebook.lock`), so two grader
processes on one course lose no write; other SQLite writers (formgrader) are waited for through
SQLite's busy timeout. The journal mode stays nbgrader's default (rollback journal): with our
lock there is one writer at a time anyway, and the course keeps a single self-contained
gradebook file that can be copied or backed up as is.

A new gradebook is created by nbgrader itself (it shells out to `alembic heads`, so the venv's
bin folder goes on PATH first) in a temporary file next to gradebook.db, then moved into place:
a kill never leaves a half-created gradebook behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datalit.errors import DatalitError, InvalidArgument
from datalit.exercise import SLUG, Exercise, Part
from datalit.grading import seams
from datalit.grading.parts import get as get_kind
from datalit.grading.results import NEEDS_MANUAL, GradeResult

log = logging.getLogger(__name__)

GRADEBOOK = "gradebook.db"
CONFIG = "nbgrader_config.py"
PRIVATE = ".datalit"
LOCK_FILE = "gradebook.lock"
LEDGER_FORMAT = 1
DEFAULT_COURSE_ID = "default_course"
"""nbgrader's own default for `Gradebook(course_id=...)`."""
SQLITE_TIMEOUT_S = 30
"""How long a write waits for another SQLite writer (formgrader) before failing."""
LOCK_TIMEOUT_S = 300.0
"""How long `record` waits for another grader process holding the course's gradebook lock."""
SCORE_DIGITS = 6
"""Scores are stored rounded, so float noise never counts as a change."""
STUDENT_FIELDS = ("first_name", "last_name", "email", "lms_user_id")
GRADER_ERROR = "grader_error"
"""The status of a result the grader itself failed on (see grader.py)."""

# Candidate ids become file names and nbgrader student ids (String(128)).
_UNSAFE_ID = re.compile(r"[/\\\x00-\x1f\x7f]")
_CREATING = ".gradebook.db.creating-"


@dataclass(frozen=True)
class Recorded:
    """What `record` did for one submission."""

    course_id: str
    """The nbgrader course id the grades were recorded under."""
    gradebook: Path
    """COURSE/gradebook.db."""
    ledger: Path
    """COURSE/.datalit/results/<exercise>/<candidate>.json."""
    written: tuple[Path, ...]
    """The files whose content this call changed (empty when the result was already recorded):
    any of gradebook.db, the ledger, nbgrader_config.py."""

    @property
    def changed(self) -> bool:
        """True if anything was written."""
        return bool(self.written)


# --- public entry points --------------------------------------------------------------------


def record(
    *,
    course: Path,
    exercise: Exercise,
    result: GradeResult,
    student: dict | None = None,
    course_id: str | None = None,
) -> Recorded:
    """Record one graded submission in the course's gradebook and ledger, all or nothing.

    Args:
        course: The course folder (nbgrader layout); created files live inside it.
        exercise: The exercise graded; points and maxima come from it.
        result: The grader's result for one candidate's submission.
        student: Optional roster facts for nbgrader's student row: first_name, last_name,
            email, lms_user_id (None values leave what the gradebook has).
        course_id: nbgrader course id; by default the one in COURSE/nbgrader_config.py, or
            "default_course" (written to a new nbgrader_config.py when there is none).

    Returns:
        What was written; `changed` is False when the result was already recorded.

    Raises:
        InvalidArgument: the result does not belong to `exercise`, a candidate id or student
            field is unusable, or nbgrader_config.py points nbgrader at another gradebook.
        DatalitError: the gradebook is broken (half-created by an earlier tool) or another
            grader held the course's lock for longer than LOCK_TIMEOUT_S.
    """
    course = Path(course).resolve()
    candidate = check_candidate(result.candidate)
    if result.exercise != exercise.slug:
        raise InvalidArgument(
            f"the result is for exercise {result.exercise!r}, not {exercise.slug!r}"
        )
    fields = _student_fields(student)
    entry = _ledger_entry(exercise, result)
    ledger = ledger_path(course, exercise.slug, candidate)
    written: list[Path] = []
    with course_lock(course):
        cid, config_written = _ensure_config(course, course_id)
        if config_written:
            written.append(course / CONFIG)
        db, db_created = _ensure_gradebook(course, cid)
        source = _ensure_source(course, exercise)
        if source is not None:
            written.append(source)
        timestamp = _submission_timestamp(course, exercise.slug, candidate)
        if _sync_gradebook(db, cid, exercise, candidate, entry, fields, timestamp) or db_created:
            written.append(db)
        old = load_ledger(course, exercise.slug, candidate)
        if old is None or _without_time(old) != entry:
            write_atomic(ledger, _ledger_text(entry))
            written.append(ledger)
    return Recorded(course_id=cid, gradebook=db, ledger=ledger, written=tuple(written))


def _ensure_source(course: Path, exercise: Exercise) -> Path | None:
    """COURSE/source/<exercise>/<notebook>, the release notebook, if missing. formgrader lists
    the assignments of its Manage Assignments and Manual Grading pages from nbgrader's `source/`
    folder, not from the gradebook: without it both pages are empty and a reviewer has to type
    a submission's URL. (Its Generate and Release buttons are not datalit's way to hand out an
    exercise: `datalit release` is; docs/grading.md says so.) Returns the file if written."""
    target = course / "source" / exercise.slug / exercise.notebook
    if target.is_file():
        return None
    write_atomic(target, (exercise.folder / exercise.notebook).read_text(encoding="utf-8"))
    return target


def ledger_path(course: Path, exercise: Exercise | str, candidate: str) -> Path:
    """COURSE/.datalit/results/<exercise>/<candidate>.json."""
    slug = exercise.slug if isinstance(exercise, Exercise) else exercise
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise InvalidArgument(f"exercise name {slug!r} is not a valid slug (lowercase, digits, -)")
    return Path(course) / PRIVATE / "results" / slug / f"{check_candidate(candidate)}.json"


def load_ledger(course: Path, exercise: Exercise | str, candidate: str) -> dict | None:
    """The ledger entry of a recorded submission, or None if there is none (or it is unreadable:
    then the submission is simply recorded again)."""
    try:
        data = json.loads(ledger_path(course, exercise, candidate).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT:
        return None
    return data


def ledger_is_current(
    course: Path,
    exercise: Exercise | str,
    candidate: str,
    sha256: str,
    grader_version: str,
) -> bool:
    """True if this exact submission was recorded by this grader version (so the grader may skip
    it), and the grader did not fail on it (status grader_error is recorded, so the submission
    has a result, but never current). Given an `Exercise` rather than a slug, an edited exercise
    (exercise.toml, suite.json, points) also makes the entry stale."""
    entry = load_ledger(course, exercise, candidate)
    if entry is None or not sha256:
        return False
    if entry.get("status") == GRADER_ERROR:
        return False  # the grader failed on it: try again (a fixed grader may succeed)
    if entry.get("submission_sha256") != sha256 or entry.get("grader_version") != grader_version:
        return False
    return not (
        isinstance(exercise, Exercise)
        and entry.get("exercise_fingerprint") != exercise_fingerprint(exercise)
    )


def exercise_fingerprint(exercise: Exercise) -> str:
    """sha256 of what scoring depends on in the exercise: its parts and maxima, and the bytes of
    exercise.toml and suite.json when they exist."""
    h = hashlib.sha256()
    parts = [[p.id, p.kind, p.points, _cell_name(p)] for p in exercise.parts]
    h.update(json.dumps([exercise.slug, parts]).encode())
    for path in (exercise.folder / "exercise.toml", exercise.suite_path):
        with contextlib.suppress(OSError):
            h.update(b"\x00" + path.read_bytes())
    return h.hexdigest()


def ensure_course(course: Path, course_id: str | None = None) -> str:
    """Make COURSE ready for nbgrader: nbgrader_config.py and an empty gradebook, both created
    atomically if missing. Returns the course id. Safe to call from several processes."""
    course = Path(course).resolve()
    with course_lock(course):
        cid, _ = _ensure_config(course, course_id)
        _ensure_gradebook(course, cid)
    return cid


def gradebook_url(course: Path) -> str:
    """The SQLAlchemy URL of COURSE/gradebook.db, with SQLite's busy timeout."""
    return f"sqlite:///{Path(course).resolve() / GRADEBOOK}?timeout={SQLITE_TIMEOUT_S}"


# --- the ledger -----------------------------------------------------------------------------


def _ledger_entry(exercise: Exercise, result: GradeResult) -> dict[str, Any]:
    """The ledger's facts for one result (without `recorded_at`). Points and maxima are checked
    against the exercise: a part the exercise does not have is a grader bug, not a score."""
    scores = {p.id: p for p in result.score.parts}
    expected = [p.id for p in exercise.parts]
    if set(scores) != set(expected) or len(scores) != len(result.score.parts):
        raise InvalidArgument(
            f"the result's parts {sorted(scores)} do not match the parts of {exercise.slug} "
            f"{sorted(expected)}"
        )
    parts = []
    for part in exercise.parts:
        ps = scores[part.id]
        manual = not part.auto and ps.status == NEEDS_MANUAL
        parts.append(
            {
                "id": part.id,
                "kind": part.kind,
                "cell": _cell_name(part),
                "status": ps.status,
                "points": None if manual else _clamp(ps.points, part.points),
                "max_points": float(part.points),
            }
        )
    return {
        "format": LEDGER_FORMAT,
        "exercise": exercise.slug,
        "candidate": result.candidate,
        "submission_sha256": result.submission_sha256,
        "grader_version": result.grader_version,
        "exercise_fingerprint": exercise_fingerprint(exercise),
        "status": _bounded_text(result.status),
        "reason": _bounded_text(result.reason),
        "unsafe_no_sandbox": bool(result.unsafe_no_sandbox),
        "auto_points": round(sum(p["points"] or 0.0 for p in parts), SCORE_DIGITS),
        "max_auto_points": float(exercise.max_auto_points),
        "max_points": float(exercise.max_points),
        "parts": parts,
    }


def _bounded_text(text: str) -> str:
    """A result's text as the ledger keeps it: at most `Bounds.ledger_text_bytes` JSON-encoded
    (the reason may quote what the candidate's code raised). The gradebook itself holds no text
    from the candidate: scores, ids from the roster and empty comments."""
    from datalit.grading.bounded import bounds, clean, cut

    return cut(clean(str(text)), bounds().ledger_text_bytes, _ledger_json_size)


def _ledger_json_size(text: str) -> int:
    return len(json.dumps(text)) - 2  # as _ledger_text writes it: ASCII, \uXXXX escapes


def _without_time(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "recorded_at"}


def _ledger_text(entry: dict) -> str:
    stamped = {**entry, "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return json.dumps(stamped, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _clamp(points: float, maximum: float) -> float:
    """Points as stored: finite, within [0, max], rounded (NaN from a scorer bug counts 0)."""
    value = float(points)
    if not math.isfinite(value):
        value = 0.0
    return round(min(max(value, 0.0), float(maximum)), SCORE_DIGITS)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader or a crash sees the old or the new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _default_mode())  # mkstemp's 0600 would hide the file from formgrader
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _default_mode() -> int:
    """The mode a plainly created file gets under the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- inputs ---------------------------------------------------------------------------------


def check_candidate(candidate: str) -> str:
    """`candidate` if it is usable as an nbgrader student id and a file name, else
    InvalidArgument saying what is allowed."""
    if (
        not isinstance(candidate, str)
        or not candidate
        or len(candidate) > 128
        or candidate.startswith(".")
        or _UNSAFE_ID.search(candidate)
    ):
        raise InvalidArgument(
            f"candidate id {candidate!r} cannot be recorded: use 1-128 characters without "
            "'/', '\\' or control characters, not starting with '.'"
        )
    return candidate


def _student_fields(student: dict | None) -> dict[str, str]:
    if student is None:
        return {}
    unknown = sorted(set(student) - set(STUDENT_FIELDS))
    if unknown:
        raise InvalidArgument(
            f"unknown student field {unknown[0]!r}; valid fields: {', '.join(STUDENT_FIELDS)}"
        )
    fields = {}
    for name, value in student.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 128:
            raise InvalidArgument(f"student field {name!r} must be text of at most 128 characters")
        fields[name] = value
    return fields


def _cell_name(part: Part) -> str:
    """The grade cell of a part: its id; for a manual part the notebook's grade_id (`cell`) when
    set, so formgrader shows the grade next to the written answer."""
    return part.cell or part.id


def _submission_timestamp(course: Path, slug: str, candidate: str) -> dt.datetime | None:
    """nbgrader's submitted/<candidate>/<exercise>/timestamp.txt as naive UTC (nbgrader's own
    convention), if readable (`datalit.grading.course.handout.submission_time`)."""
    from datalit.grading.course.handout import submission_time

    stamp = submission_time(course, slug, candidate)
    return None if stamp is None else stamp.replace(tzinfo=None)


@dataclass(frozen=True)
class StaleGrade:
    """A reviewer's grade of a submission that was replaced (cleared by `clear_manual_grades`)."""

    cell: str
    """The grade (or solution) cell's name: a part id, or a manual part's grade_id."""
    max_score: float | None
    manual_score: float | None
    extra_credit: float | None
    comment: str


def clear_manual_grades(course: Path, exercise: Exercise, candidate: str) -> tuple[StaleGrade, ...]:
    """Clear what reviewers gave `candidate`'s recorded submission of `exercise` by hand: every
    `manual_score` and `extra_credit` (a manual part's, or an override of an auto part) and every
    comment, in one transaction. A manual part then needs a manual grade again; an auto part
    falls back to its auto score. Called when collect replaces the submission: those grades were
    given to the old notebook. Returns what was cleared (empty when there was nothing)."""
    from nbgrader.api import Assignment, SubmittedAssignment
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    course = Path(course).resolve()
    candidate = check_candidate(candidate)
    db = course / GRADEBOOK
    if not db.is_file():
        return ()
    with course_lock(course):
        engine = _engine(db)
        try:
            with _quiet_sqlalchemy(), Session(engine) as session:
                submission = session.scalars(
                    select(SubmittedAssignment)
                    .join(Assignment)
                    .where(
                        Assignment.name == exercise.slug,
                        SubmittedAssignment.student_id == candidate,
                    )
                ).one_or_none()
                stale = []
                for notebook in submission.notebooks if submission is not None else ():
                    comments = {c.name: c for c in notebook.comments}
                    for grade in notebook.grades:
                        comment = comments.pop(grade.name, None)
                        text = (comment.manual_comment or "") if comment is not None else ""
                        if grade.manual_score is None and grade.extra_credit is None and not text:
                            continue
                        stale.append(
                            StaleGrade(
                                grade.name,
                                grade.max_score,
                                grade.manual_score,
                                grade.extra_credit,
                                text,
                            )
                        )
                        grade.manual_score = None
                        grade.extra_credit = None
                        if grade.auto_score is None:
                            grade.needs_manual_grade = True
                        if comment is not None:
                            comment.manual_comment = None
                    for comment in comments.values():
                        if comment.manual_comment:
                            stale.append(
                                StaleGrade(comment.name, None, None, None, comment.manual_comment)
                            )
                            comment.manual_comment = None
                if stale:
                    session.commit()
                else:
                    session.rollback()
                return tuple(stale)
        finally:
            engine.dispose()


# --- course files ---------------------------------------------------------------------------


@contextlib.contextmanager
def course_lock(course: Path) -> Iterator[None]:
    """Exclusive lock of the course's gradebook and ledger for one grader process (released on
    exit, also when the process dies). Every gradebook and ledger write holds it; the grader also
    holds it to sweep leftovers of killed runs and to write the cohort views."""
    folder = course / PRIVATE
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatalitError(
                        f"another grader process has held {folder / LOCK_FILE} for over "
                        f"{LOCK_TIMEOUT_S:.0f} s; wait for it to finish (or end it) and retry"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


_CONFIG_TEXT = """\
# nbgrader settings of this course folder (written by datalit; edit freely).
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
# The folder holding this file, so the course folder can be moved.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Wait up to {timeout} s for another writer (the grader) instead of failing with "locked".
c.CourseDirectory.db_url = (
    "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db") + "?timeout={timeout}"
)
{separate}"""

_SEPARATE_FOLDERS = """\
# release/ and feedback/ hold datalit's per-candidate releases and candidate views: nbgrader's own
# release and feedback tools (formgrader's buttons, `nbgrader generate_feedback --force`) write
# into folders of their own, so that no nbgrader command replaces or deletes datalit's files.
c.CourseDirectory.release_directory = "nbgrader-release"
c.CourseDirectory.feedback_directory = "nbgrader-feedback"
"""


def _ensure_config(course: Path, course_id: str | None) -> tuple[str, bool]:
    """The course id to record under, writing nbgrader_config.py if the course has none.
    Returns (course_id, whether the config file was written)."""
    if course_id is not None and (not course_id.strip() or len(course_id) > 128):
        raise InvalidArgument("course_id must be 1-128 characters")
    path = course / CONFIG
    if not path.exists():
        cid = course_id or DEFAULT_COURSE_ID
        course.mkdir(parents=True, exist_ok=True)
        text = _CONFIG_TEXT.format(
            course_id=cid, timeout=SQLITE_TIMEOUT_S, separate=_SEPARATE_FOLDERS
        )
        write_atomic(path, text)
        return cid, True
    configured = _read_config(course)
    if not {"release_directory", "feedback_directory"} & set(configured):
        # A course configured before datalit kept nbgrader out of its folders: add the two
        # settings (an instructor who set either one has chosen already).
        text = path.read_text(encoding="utf-8")
        write_atomic(path, text.rstrip("\n") + "\n" + _SEPARATE_FOLDERS)
        log.info("%s: nbgrader's release and feedback folders set apart from datalit's", path)
        upgraded = True
    else:
        upgraded = False
    cid = course_id or configured.get("course_id") or DEFAULT_COURSE_ID
    if course_id and configured.get("course_id") and configured["course_id"] != course_id:
        raise InvalidArgument(
            f"{path} sets course_id {configured['course_id']!r}, not {course_id!r}: "
            "nbgrader would not find these grades under the other id"
        )
    return cid, upgraded


def _read_config(course: Path) -> dict[str, str]:
    """course_id, root and db_url from the course's nbgrader_config.py (run the way nbgrader
    runs it: an instructor's file). A root or db_url pointing elsewhere would make nbgrader
    read another gradebook than the one we write, so that is refused."""
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    try:
        config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    except ConfigFileNotFound:
        return {}
    except Exception as exc:  # the instructor's file raised: say where
        raise InvalidArgument(f"{course / CONFIG} could not be loaded: {exc}") from None
    section = config.get("CourseDirectory", {})
    keys = ("course_id", "root", "db_url", "release_directory", "feedback_directory")
    found = {k: section[k] for k in keys if k in section}
    found = {k: v.strip() for k, v in found.items() if isinstance(v, str)}
    # Relative settings are relative to where nbgrader runs: the course folder.
    if found.get("root") and (course / found["root"]).resolve() != course:
        raise InvalidArgument(
            f"{course / CONFIG} sets CourseDirectory.root to {found['root']!r}; datalit records "
            f"into {course / GRADEBOOK}: point root at {course} or remove the setting"
        )
    url = found.get("db_url")
    if url:
        target = url.removeprefix("sqlite:///").split("?", 1)[0]
        if not url.startswith("sqlite:///") or (course / target).resolve() != course / GRADEBOOK:
            raise InvalidArgument(
                f"{course / CONFIG} sets CourseDirectory.db_url to {url!r}; datalit records "
                f"into {course / GRADEBOOK}: use that file or remove the setting"
            )
    return found


@contextlib.contextmanager
def _venv_bin_on_path() -> Iterator[None]:
    """nbgrader runs `alembic heads` when it creates a gradebook: put this interpreter's bin
    folder (where the venv's alembic lives) first on PATH for that call."""
    old = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(x for x in (os.path.dirname(sys.executable), old) if x)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = old


def _db_state(path: Path) -> str:
    """``missing``, ``empty`` (no tables: safe to replace), ``ready``, or ``half`` (nbgrader's
    tables without alembic_version: a gradebook whose creation failed part-way)."""
    if not path.exists():
        return "missing"
    try:
        # Read-write: a crashed writer's hot journal is rolled back on open (read-only fails).
        con = sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatalitError(
            f"{path} is not a usable SQLite gradebook ({exc}); move it away and grade again"
        ) from None
    if not names:
        return "empty"
    return "ready" if "alembic_version" in names else "half"


def _ensure_gradebook(course: Path, course_id: str) -> tuple[Path, bool]:
    """COURSE/gradebook.db, created by nbgrader in a temporary file and moved into place if it
    does not exist (the caller holds the course lock). Returns (path, whether it was created)."""
    db = course / GRADEBOOK
    for stale in course.glob(f"{_CREATING}*"):  # left by a killed creation
        with contextlib.suppress(OSError):
            stale.unlink()
    state = _db_state(db)
    if state == "ready":
        return db, False
    if state == "half":
        raise DatalitError(
            f"{db} was left half-created (it has nbgrader's tables but no alembic_version, as "
            "when `alembic` was not on PATH); move it away and grade again"
        )
    from nbgrader.api import Gradebook

    fd, tmp_name = tempfile.mkstemp(dir=course, prefix=_CREATING, suffix=".db")
    os.fchmod(fd, _default_mode())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            with _venv_bin_on_path(), _quiet_sqlalchemy():
                Gradebook(_sqlite_url(tmp), course_id=course_id).close()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise DatalitError(
                f"nbgrader could not create {db}: running `alembic heads` failed ({exc}); "
                "alembic is installed with nbgrader: reinstall the environment (`make test` rebuilds .venv)"
            ) from None
        if _db_state(tmp) != "ready":
            raise DatalitError(f"nbgrader did not finish creating a gradebook in {tmp}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    _fsync_dir(course)
    return db, True


@contextlib.contextmanager
def _quiet_sqlalchemy() -> Iterator[None]:
    """nbgrader's models make SQLAlchemy 2.1 warn (SAWarning about cascades and relationship
    overlaps) although they work; keep those out of the grader's output, and only those."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


# --- the gradebook transaction ---------------------------------------------------------------


def _sqlite_url(db: Path):
    """A SQLAlchemy URL object for a file path (a string URL would misread '?' or '#' in it)."""
    from sqlalchemy.engine import URL

    return URL.create("sqlite", database=str(db))


def _engine(db: Path):
    """An engine whose transactions start with BEGIN IMMEDIATE: the write lock is taken before
    the first read, so what we compare against cannot change before we write, and two writers
    wait for each other (busy timeout) instead of failing on a lock upgrade."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        _sqlite_url(db), connect_args={"timeout": SQLITE_TIMEOUT_S}, poolclass=NullPool
    )

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class _Changes:
    """Counts the rows created or updated in the transaction (only real differences count)."""

    def __init__(self) -> None:
        self.count = 0

    def set(self, obj: Any, **values: Any) -> None:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                self.count += 1

    def add(self, session, obj: Any) -> Any:
        session.add(obj)
        self.count += 1
        return obj


def _sync_gradebook(
    db: Path,
    course_id: str,
    exercise: Exercise,
    candidate: str,
    entry: dict,
    student: dict[str, str],
    timestamp: dt.datetime | None,
) -> bool:
    """Bring the gradebook rows of one submission in line with `entry`, in one transaction.
    Returns True if anything was written (and committed)."""
    from sqlalchemy.orm import Session

    engine = _engine(db)
    try:
        with _quiet_sqlalchemy(), Session(engine, autoflush=True) as session:
            try:
                changes = _apply(session, course_id, exercise, candidate, entry, student, timestamp)
                if not changes.count:
                    session.rollback()
                    return False
                session.flush()
                seams.reach(seams.IN_RECORD_TRANSACTION)  # the fault tests pause here
                session.commit()
                return True
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _apply(session, course_id, exercise, candidate, entry, student, timestamp) -> _Changes:
    """Create or update every row of the submission (structure, student, submission, grades)
    without committing. Mirrors `Gradebook.add_submission`: a submitted notebook for every
    notebook of the assignment, a Grade for every grade/task cell and a Comment for every
    solution/task cell, so formgrader finds what it expects even for cells nbgrader created."""
    from nbgrader.api import (
        Assignment,
        Comment,
        Course,
        Grade,
        GradeCell,
        Notebook,
        SolutionCell,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy import select

    ch = _Changes()
    slug = exercise.slug
    if session.get(Course, course_id) is None:
        ch.add(session, Course(id=course_id))
    assignment = session.scalars(select(Assignment).where(Assignment.name == slug)).one_or_none()
    if assignment is None:
        assignment = ch.add(session, Assignment(slug, course_id=course_id))
    notebook = session.scalars(
        select(Notebook).where(Notebook.assignment == assignment, Notebook.name == slug)
    ).one_or_none()
    if notebook is None:
        notebook = ch.add(session, Notebook(name=slug, assignment=assignment))
    cells = {}
    for part in entry["parts"]:
        # A part a person grades is a written answer (a markdown cell); the rest are scores of
        # the code's outputs.
        by_hand = not get_kind(part["kind"]).auto
        cell_type = "markdown" if by_hand else "code"
        cell = session.scalars(
            select(GradeCell).where(GradeCell.notebook == notebook, GradeCell.name == part["cell"])
        ).one_or_none()
        if cell is None:
            cell = ch.add(
                session,
                GradeCell(
                    name=part["cell"],
                    notebook=notebook,
                    max_score=part["max_points"],
                    cell_type=cell_type,
                ),
            )
        else:
            ch.set(cell, max_score=part["max_points"], cell_type=cell_type)
        cells[part["id"]] = cell
        if by_hand and not any(c.name == part["cell"] for c in notebook.solution_cells):
            # As nbgrader does for a manually graded answer: the cell is a solution cell too,
            # and its Comment row is where formgrader keeps what the reviewer types.
            ch.add(session, SolutionCell(name=part["cell"], notebook=notebook))

    person = session.get(Student, candidate)
    if person is None:
        person = ch.add(session, Student(id=candidate, **student))
    else:
        ch.set(person, **student)
    submission = session.scalars(
        select(SubmittedAssignment).where(
            SubmittedAssignment.assignment == assignment, SubmittedAssignment.student == person
        )
    ).one_or_none()
    if submission is None:
        submission = ch.add(
            session,
            SubmittedAssignment(assignment=assignment, student=person, timestamp=timestamp),
        )
    elif timestamp is not None:
        ch.set(submission, timestamp=timestamp)
    session.flush()  # ids for the lookups below

    ours = None
    for nb in assignment.notebooks:
        snb = session.scalars(
            select(SubmittedNotebook).where(
                SubmittedNotebook.assignment == submission, SubmittedNotebook.notebook == nb
            )
        ).one_or_none()
        if snb is None:
            snb = ch.add(session, SubmittedNotebook(notebook=nb, assignment=submission))
            session.flush()
        have_grades = set(session.scalars(select(Grade.cell_id).where(Grade.notebook == snb)))
        have_comments = set(session.scalars(select(Comment.cell_id).where(Comment.notebook == snb)))
        for cell in nb.grade_cells + nb.task_cells:
            if cell.id not in have_grades:
                ch.add(session, Grade(cell_id=cell.id, notebook=snb))
        for cell in nb.solution_cells + nb.task_cells:
            if cell.id not in have_comments:
                ch.add(session, Comment(cell_id=cell.id, notebook=snb))
        if nb is notebook:
            ours = snb
    session.flush()

    for part in entry["parts"]:
        grade = session.scalars(
            select(Grade).where(Grade.notebook == ours, Grade.cell_id == cells[part["id"]].id)
        ).one()
        if part["points"] is None:
            # Graded by hand: no auto score; waiting for a reviewer unless one has graded it.
            ch.set(grade, auto_score=None)
            if grade.manual_score is None:
                ch.set(grade, needs_manual_grade=True)
        else:
            ch.set(grade, auto_score=part["points"], needs_manual_grade=False)
    return ch


__all__ = [
    "Recorded",
    "StaleGrade",
    "check_candidate",
    "clear_manual_grades",
    "course_lock",
    "ensure_course",
    "exercise_fingerprint",
    "gradebook_url",
    "ledger_is_current",
    "ledger_path",
    "load_ledger",
    "record",
    "write_atomic",
]
