"""Course operations: the course folder, the roster, the cohort secret, `release` and `collect`.

A course is one folder (nbgrader's layout where nbgrader has one, so `nbgrader export` and
formgrader work in it unchanged)::

    COURSE/nbgrader_config.py             nbgrader settings (written by the record stage)
    COURSE/gradebook.db                   nbgrader's gradebook: the record of grades
    COURSE/keys/<c>/<ex>/                 instructor-only: answers.json + key/ (answer key, clean tables)
    COURSE/release/<c>/<ex>/              what candidate <c> gets: notebook, data/, README.md, …
    COURSE/submitted/<c>/<ex>/            what they handed in (collect)
    COURSE/autograded/<c>/<ex>/           the executed notebook (grade), read by formgrader
    COURSE/feedback/<c>/<ex>/             the candidate's report
    COURSE/reports/                       reviewer reports
    COURSE/.datalit/                      datalit's own state: cohort secret, ledger, work space

`release` gives every candidate of a roster their own variant of an exercise: a seed derived
from (exercise, candidate id, cohort secret), the raw data generated from it into `release/`, and
its answer key and true answers into `keys/`, never both in one folder. `collect` takes the
submissions handed back (a folder of `<candidate>.zip`, `<candidate>.ipynb` or `<candidate>/`)
into `submitted/`, unpacking archives as the hostile input they may be.

Every candidate folder is built in a staging folder and swapped into place, so a re-run or a
crash never leaves a half-written release or submission. A re-run with the same roster, secret
and mode leaves released candidates as they are (the same bytes) and releases only new ones; one
that would change released data or keys is refused unless forced, and then the previous folders
go to COURSE/backups/ first. A submission replaced by a new collect is kept beside it, and the
reviewer's grades of the old notebook are cleared (they are kept in the backup).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import errno
import functools
import json
import os
import platform
import pprint
import re
import secrets
import shutil
import stat
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading import handout
from datalit.grading.handout import DUE_KEY, format_time, stamp_notebook, stamp_readme

CANDIDATE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
MAX_ROSTER_BYTES = 10 * 1024**2
SECRET_BYTES = 32
PRIVATE = ".datalit"
TEMPLATES = Path(__file__).with_name("templates")
CHECK_SCRIPT = "check_outputs.py"
GRADER_LIBRARIES = ("pandas", "numpy", "pyarrow")
# Files archivers and Jupyter add that are never part of a submission.
JUNK_NAMES = frozenset({"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini"})


# --- layout -----------------------------------------------------------------------------------


def _check_component(value: str, what: str) -> str:
    # Candidate ids and slugs become folder names: refuse anything that could climb out.
    if not isinstance(value, str) or not CANDIDATE_ID.match(value):
        raise InvalidArgument(
            f"{what} {value!r} is not usable as a folder name (letters, digits, -, _ and . "
            "only, not starting with '.', at most 64 characters)"
        )
    return value


@dataclass(frozen=True)
class Course:
    """The paths of a course folder. Creating one touches nothing on disk; `ensure` does."""

    root: Path
    """The course folder (COURSE)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def nbgrader_config(self) -> Path:
        return self.root / "nbgrader_config.py"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def private_dir(self) -> Path:
        """COURSE/.datalit: the cohort secret, the grading ledger, staging space."""
        return self.root / PRIVATE

    @property
    def secret_file(self) -> Path:
        """The default cohort secret (created by the first `release` without --secret-file)."""
        return self.private_dir / "secret"

    @property
    def staging_dir(self) -> Path:
        """Where folders are built before they are swapped into place (same file system)."""
        return self.private_dir / "staging"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def _dir(self, step: str, candidate: str, exercise: str) -> Path:
        return (
            self.root
            / step
            / _check_component(candidate, "candidate id")
            / _check_component(exercise, "exercise")
        )

    def keys_dir(self, candidate: str, exercise: str) -> Path:
        """Instructor-only: answers.json and key/ of one candidate's variant."""
        return self._dir("keys", candidate, exercise)

    def release_dir(self, candidate: str, exercise: str) -> Path:
        return self._dir("release", candidate, exercise)

    def submitted_dir(self, candidate: str, exercise: str) -> Path:
        return self._dir("submitted", candidate, exercise)

    def autograded_dir(self, candidate: str, exercise: str) -> Path:
        return self._dir("autograded", candidate, exercise)

    def feedback_dir(self, candidate: str, exercise: str) -> Path:
        return self._dir("feedback", candidate, exercise)

    def released_candidates(self, exercise: str) -> list[str]:
        """Ids of the candidates with a release of `exercise` in this course."""
        base = self.root / "release"
        if not base.is_dir():
            return []
        return sorted(
            p.name
            for p in base.iterdir()
            if CANDIDATE_ID.match(p.name) and not p.is_symlink() and (p / exercise).is_dir()
        )

    def ensure(self) -> None:
        """Create the course folders; keys/ and .datalit/ are readable by their owner only."""
        if self.root.exists() and not self.root.is_dir():
            raise InvalidArgument(f"--course {self.root} is a file; give a folder")
        for name in ("release", "submitted", "autograded", "feedback", "reports"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        for private in (self.root / "keys", self.private_dir, self.staging_dir):
            private.mkdir(parents=True, exist_ok=True)
            private.chmod(0o700)


# --- roster -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One row of the roster."""

    id: str
    """Letters, digits, -, _ and . (not first), at most 64 characters; becomes a folder name and
    the nbgrader student id."""
    name: str = ""
    email: str = ""


# Names the course layout uses for itself next to candidates' files.
RESERVED_IDS = {"cohort"}


def _id_problem(value: str) -> str | None:
    if not value:
        return "the id is empty"
    if len(value) > 64:
        return f"the id is {len(value)} characters long; at most 64 are allowed"
    if value.startswith("."):
        return f"the id {value!r} starts with '.'"
    bad = sorted({ch for ch in value if not re.match(r"[A-Za-z0-9_.-]", ch)})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        return f"the id {value!r} contains {shown}; use only letters, digits, -, _ and ."
    if value.lower() in RESERVED_IDS:
        return f"the id {value!r} is reserved (reports/<exercise>/{value}.html is the cohort view)"
    return None


def load_roster(csv_path: Path) -> list[Candidate]:
    """Read a roster CSV: an `id` column, optional `name` and `email` columns (others ignored).

    Raises:
        InvalidArgument: naming the row (as a spreadsheet numbers it, header = row 1) and what is
            wrong: a missing id column, an invalid or repeated id (ids differing only in case
            count as repeated: they would collide on case-insensitive file systems), an empty
            roster, a file that is not UTF-8 text.
    """
    path = Path(csv_path)
    try:
        info = path.stat()
    except OSError as exc:
        raise InvalidArgument(f"cannot read the roster {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidArgument(f"the roster {path} is not a file")
    if info.st_size > MAX_ROSTER_BYTES:
        raise InvalidArgument(f"the roster {path} is {info.st_size:,} bytes; is it the right file?")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"the roster {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise InvalidArgument(f"the roster {path} is empty; it needs a header row with `id`")
    columns = [h.strip().lower() for h in header]
    if "id" not in columns:
        raise InvalidArgument(
            f"the roster {path} has no `id` column (header: {', '.join(header)}); "
            "the first row must name the columns: id, and optionally name and email"
        )
    position = {name: columns.index(name) for name in ("id", "name", "email") if name in columns}
    candidates: list[Candidate] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in position.items()}
        problem = _id_problem(cells["id"])
        if problem:
            raise InvalidArgument(f"roster {path}, row {number}: {problem}")
        folded = cells["id"].lower()
        if folded in first_row:
            raise InvalidArgument(
                f"roster {path}, row {number}: the id {cells['id']!r} repeats row "
                f"{first_row[folded]} (ids must be unique, ignoring case)"
            )
        first_row[folded] = number
        candidates.append(Candidate(cells["id"], cells.get("name", ""), cells.get("email", "")))
    if not candidates:
        raise InvalidArgument(f"the roster {path} lists no candidates")
    return candidates


# --- cohort secret ----------------------------------------------------------------------------


def cohort_secret(course: Course, secret_file: Path | None = None) -> tuple[str, Path, bool]:
    """The cohort secret, where it is kept, and whether this call created it.

    With `secret_file`, that file (stripped of surrounding whitespace) is the secret. Without it,
    COURSE/.datalit/secret is used, created on first use with 32 random bytes (hex), mode 0600.
    """
    if secret_file is not None:
        path = Path(secret_file)
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise InvalidArgument(f"cannot read --secret-file {path}: {reason}") from None
        if len(secret) < 16:
            raise InvalidArgument(
                f"--secret-file {path} holds {len(secret)} characters; use at least 16 random "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return secret, path, False
    path = course.secret_file
    path.parent.mkdir(parents=True, exist_ok=True)
    created = False
    if not path.exists():
        # Written to a private temporary file, then linked into place: the link fails if another
        # release created the secret meanwhile, and nobody ever reads a half-written secret.
        tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        secret = ""
    if not secret:
        raise InvalidArgument(
            f"the cohort secret {path} is empty or unreadable; restore it from a backup (the "
            "released variants depend on it) or pass --secret-file"
        )
    return secret, path, created


# --- moving folders into place ----------------------------------------------------------------

_RENAME_EXCHANGE = 2


@functools.cache
def _libc():
    # The symbols already loaded into this process (glibc on Linux); no ldconfig subprocess.
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc = _libc()
    renameat2 = getattr(libc, "renameat2", None) if libc else None
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _replace_dir(staged: Path, target: Path, keep: Path | None = None) -> None:
    """Put the finished folder `staged` at `target`, replacing what was there (moved to `keep`
    when given, else deleted).

    Readers see the old folder or the new one, never a mix: the swap is one renameat2 exchange
    where the kernel has it, else two renames in the same folder (a moment with no folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    incoming = target.parent / f".{target.name}.incoming-{os.getpid()}-{token}"
    try:
        staged.rename(incoming)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copytree(staged, incoming, symlinks=True)
        shutil.rmtree(staged)
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise InvalidArgument(f"{target} exists and is not a folder; move it away first")
        if target.is_dir() and _exchange(incoming, target):
            # `incoming` now holds the old folder.
            incoming.rename(keep) if keep is not None else shutil.rmtree(incoming)
            return
        if target.is_dir():
            old = keep or target.parent / f".{target.name}.old-{os.getpid()}-{token}"
            target.rename(old)
            incoming.rename(target)
            if keep is None:
                shutil.rmtree(old)
        else:
            incoming.rename(target)
    finally:
        if incoming.exists():
            shutil.rmtree(incoming, ignore_errors=True)


_STAGED = re.compile(r"^.+-(\d+)-[0-9a-f]{8}$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_staging(course: Course) -> None:
    """Remove staging folders of processes that no longer run (a release or collect that was
    killed): their names end in -<pid>-<token>. A live process's folder is never touched."""
    with contextlib.suppress(OSError), os.scandir(course.staging_dir) as entries:
        for entry in entries:
            m = _STAGED.match(entry.name)
            if m and not _pid_alive(int(m.group(1))) and not entry.is_symlink():
                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def _staging(course: Course, label: str):
    course.staging_dir.mkdir(parents=True, exist_ok=True)
    _sweep_staging(course)
    folder = course.staging_dir / f"{label}-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- release ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleasedCandidate:
    """One candidate's released variant."""

    id: str
    seed: int
    """Derived from (exercise, id, cohort secret): instructor-only, never shown to candidates."""
    release_dir: Path
    keys_dir: Path


@dataclass(frozen=True)
class ReleaseSummary:
    """What `release` did."""

    exercise: str
    course: Path
    released: tuple[ReleasedCandidate, ...]
    """Every candidate of the roster, written now or left as they were."""
    secret_file: Path
    """Where the cohort secret is kept (keep it: the variants cannot be rebuilt without it)."""
    secret_created: bool
    """True when this release created COURSE/.datalit/secret."""
    new: tuple[str, ...] = ()
    """Candidates released for the first time."""
    unchanged: tuple[str, ...] = ()
    """Candidates whose release was already this one (same secret, mode and version)."""
    roster_updated: tuple[str, ...] = ()
    """Of `unchanged`: those whose roster name or email changed (answers.json only)."""
    replaced: tuple[str, ...] = ()
    """Candidates released anew with --force (another mode, secret or version)."""
    backup: Path | None = None
    """Where --force kept the previous release, keys and submissions of `replaced`."""
    moved_submissions: tuple[str, ...] = ()
    """Of `replaced`: those whose submission was moved into `backup`."""
    due: dt.datetime | None = None
    """The due time given to this release (aware UTC), if any."""
    due_changed: tuple[str, ...] = ()
    """Of `unchanged`: those whose recorded due time this release set or changed."""
    handout: Path | None = None
    """COURSE/handout/<exercise>/: one zip per candidate and mail-merge.csv."""
    zips_written: int = 0
    """Zips written now (the others already held these bytes)."""

    @property
    def count(self) -> int:
        return len(self.released)

    def describe(self) -> str:
        lines = []
        if self.new or not self.released:
            lines.append(
                f"released {self.exercise} to {len(self.new)} candidate(s) in {self.course}/release "
                f"(answer keys in {self.course}/keys)"
            )
        if self.unchanged:
            n = len(self.unchanged)
            lines.append(f"{self.exercise}: release unchanged for {n} candidate{'s' * (n != 1)}")
        if self.roster_updated:
            lines.append(
                f"updated the roster's name or email in keys/ for {_names(list(self.roster_updated))}"
            )
        if self.due_changed:
            lines.append(
                f"set the due time {format_time(self.due)} for {_names(list(self.due_changed))} "
                "(their data and keys are unchanged)"
            )
        if self.replaced:
            lines.append(
                f"released {self.exercise} anew (--force) to {len(self.replaced)} candidate(s): "
                f"{_names(list(self.replaced))}; their previous release and keys are kept in "
                f"{self.backup}"
            )
            if self.moved_submissions:
                lines.append(
                    f"the submissions of {_names(list(self.moved_submissions))} were made on the "
                    f"old data and were moved to {self.backup}/submitted: collect their work on "
                    "the new release (their earlier grades stay in the gradebook until then)"
                )
        if self.handout is not None and self.released:
            lines.append(
                f"hand-out: one zip per candidate in {self.handout} ({self.zips_written} written "
                f"now) and {self.handout / handout.MAIL_MERGE} (id, name, email, due, zip) to "
                "send them"
            )
        if self.secret_created:
            lines.append(
                f"created the cohort secret {self.secret_file}: back it up; without it the "
                "variants cannot be regenerated"
            )
        return "\n".join(lines)


def _plain(value):
    # numpy scalars from truth.py: JSON has no int64.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_text(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_plain, allow_nan=False) + "\n"


def _library_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in GRADER_LIBRARIES}


def _json_fields(exercise: Exercise) -> dict[str, dict[str, tuple[str, str]]]:
    """For each JSON output, the keys the exercise's parts read from it: (the shape the
    self-check tests, what the README says it holds), from the part's kind."""
    from datalit.grading.parts import kind_of

    fields: dict[str, dict[str, tuple[str, str]]] = {
        o.name: {} for o in exercise.outputs if o.kind == "json"
    }
    for part in exercise.parts:
        described = kind_of(part).json_field(part)
        if described and part.output in fields and described[0]:
            key, shape, text = described
            fields[part.output][key] = (shape, text)
    return fields


def _declared_outputs(exercise: Exercise) -> list[dict]:
    fields = _json_fields(exercise)
    return [
        {
            "path": o.path,
            "kind": o.kind,
            "columns": list(o.columns),
            "fields": {k: shape for k, (shape, _) in fields.get(o.name, {}).items()},
            "max_bytes": o.max_bytes,
            "max_rows": o.max_rows,
        }
        for o in exercise.outputs
    ]


def check_outputs_script(exercise: Exercise) -> str:
    """The candidate's self-check script: the template with the declared outputs filled in.

    Only the output paths, columns, JSON keys and size limits go in: nothing from the suite or
    the answer key."""
    template = (TEMPLATES / CHECK_SCRIPT).read_text(encoding="utf-8")
    marker = "DECLARED_OUTPUTS: list[dict] = []\n"
    if template.count(marker) != 1:
        raise RuntimeError(f"{TEMPLATES / CHECK_SCRIPT} lost its DECLARED_OUTPUTS line")
    literal = pprint.pformat(_declared_outputs(exercise), width=96, sort_dicts=True)
    return template.replace(marker, f"DECLARED_OUTPUTS: list[dict] = {literal}\n")


def requirements_text(mode: str = "assessment") -> str:
    """requirements.txt: the versions of the libraries the grader runs notebooks with (and, in
    practice mode, the great-expectations that runs the public checks)."""
    pins = "".join(f"{name}=={v}\n" for name, v in _library_versions().items())
    text = f"# The versions the grader runs (Python {platform.python_version()}).\n{pins}"
    if mode == "practice":
        gx = metadata.version("great-expectations")
        text += f"# For practice/checks.py (the public checks).\ngreat-expectations=={gx}\n"
    return text


LAB_REQUIREMENTS = "requirements-jupyterlab.txt"


def lab_requirements_text() -> str:
    """requirements-jupyterlab.txt: what a candidate installs to open and run the notebook:
    the grader's pins plus the JupyterLab (and its Python kernel) this datalit was tested with."""
    lab = metadata.version("jupyterlab")
    kernel = metadata.version("ipykernel")
    return (
        '# What you need to open and run the notebook (see README.md, "Opening the notebook").\n'
        "-r requirements.txt\n"
        f"jupyterlab=={lab}\n"
        f"ipykernel=={kernel}\n"
    )


def readme_text(exercise: Exercise, mode: str = "assessment") -> str:
    """The candidate's README: the exercise brief plus a generated "Grading environment"."""
    brief_path = exercise.folder / "README.md"
    brief = brief_path.read_text(encoding="utf-8").rstrip() if brief_path.is_file() else ""
    if not brief:
        brief = f"# {exercise.title}"
    limits = exercise.limits
    versions = _library_versions()
    fields = _json_fields(exercise)
    rows = []
    for o in exercise.outputs:
        if o.kind == "table":
            what = f"table ({Path(o.path).suffix[1:].upper()}), columns: {', '.join(o.columns)}"
        else:
            keys = fields.get(o.name, {})
            listed = "; ".join(f"`{k}`: {text}" for k, (_, text) in keys.items())
            what = "JSON object" + (f" with {listed}" if listed else "")
        rows.append(f"| `{o.path}` | {what} | {o.max_bytes // 1024**2} MB |")
    parts = [
        f"| {p.title} | {p.points:g}{'' if p.auto else ' (read by a person)'} |"
        for p in exercise.parts
    ]
    library_list = ", ".join(f"{name} {v}" for name, v in versions.items())
    section = f"""

## Grading environment

This section is generated for the release; it describes the machine that runs your notebook.

- Python {platform.python_version()} with {library_list} (pinned in
  `requirements.txt`) and the standard library; nothing else is installed.
- No network. Only `data/` is next to your notebook; write your outputs with relative paths.
- Memory: {limits.memory_mb:,} MB.
- Time: {limits.cell_timeout_s:g} s per cell, {limits.total_timeout_s:g} s for the whole notebook.
- Files must be UTF-8 (pandas' `to_csv` writes UTF-8; open JSON files with `encoding="utf-8"`).

The files your notebook must write (paths relative to the notebook):

| file | what | size limit |
|---|---|---|
{chr(10).join(rows)}

`python {CHECK_SCRIPT}` checks that these files exist and have this shape. It does not score them.
{_mode_text(mode)}
## Opening the notebook

In this folder, with Python {platform.python_version().rsplit(".", 1)[0]} or newer:

```
python -m venv .venv
.venv/bin/pip install -r {LAB_REQUIREMENTS}
.venv/bin/jupyter lab {exercise.notebook}
```

(On Windows: `.venv\\Scripts\\pip` and `.venv\\Scripts\\jupyter`.)

JupyterLab is not needed for grading: the grader runs the notebook with the libraries of
`requirements.txt` only.

## Parts and points

| part | points |
|---|---|
{chr(10).join(parts)}
| **total** | **{exercise.max_points:g}** |
"""
    return brief + section


def _mode_text(mode: str) -> str:
    if mode == "practice":
        return """
This is a practice release: the last cell of the notebook (or `python practice/checks.py`) runs
the public checks of the grader on your table, with hints that get more specific when a check
keeps failing. Hidden checks, flagged ids and numbers are graded too. You see your feedback as
soon as your submission is graded.
"""
    return """
Your feedback is released when the reviewers have finished grading.
"""


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


def student_fields(candidate: Candidate) -> dict[str, str]:
    """The roster's name and email as nbgrader's student fields (formgrader shows them): the
    name's first word is the first name, the rest the last name; empty fields are left out."""
    first, _, last = candidate.name.strip().partition(" ")
    fields = {"first_name": first, "last_name": last.strip(), "email": candidate.email}
    return {k: v[:128] for k, v in fields.items() if v}


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


class ReleaseChanged(InvalidArgument):
    """A release would replace candidates' variants (another mode, secret or exercise version)."""


BACKUPS = "backups"


@dataclass(frozen=True)
class _Planned:
    candidate: Candidate
    seed: int
    keys: Path
    release: Path
    state: str
    """new, same (nothing to write), tidy (same files, strays to drop), roster (name, email or
    due time changed: answers.json only), or changed (`reasons` say how)."""
    reasons: tuple[str, ...] = ()


def _file_hashes(root: Path) -> dict[str, str]:
    import hashlib

    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _read_answers(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _plan_one(
    layout: Course, slug: str, candidate: Candidate, seed: int, keys: Path, release: Path
) -> _Planned:
    """How the staged folders compare with what this candidate was released before."""
    keys_dir, release_dir = (
        layout.keys_dir(candidate.id, slug),
        layout.release_dir(candidate.id, slug),
    )
    if not release_dir.is_dir() and not keys_dir.is_dir():
        return _Planned(candidate, seed, keys, release, "new")
    old_answers = _read_answers(keys_dir / "answers.json")
    new_answers = _read_answers(keys / "answers.json")
    reasons = []
    old_mode = old_answers.get("mode", "assessment")
    if old_mode != new_answers["mode"]:
        reasons.append(f"mode {old_mode} → {new_answers['mode']}")
    if old_answers.get("seed") != seed:
        reasons.append("secret (another cohort secret: other data)")
    differing, extras = [], False
    for prefix, staged, existing in (("keys", keys, keys_dir), ("release", release, release_dir)):
        new_files, old_files = _file_hashes(staged), _file_hashes(existing)
        differing += [f"{prefix}/{rel}" for rel, h in new_files.items() if old_files.get(rel) != h]
        extras = extras or bool(set(old_files) - set(new_files))
    if reasons:
        return _Planned(candidate, seed, keys, release, "changed", tuple(reasons))
    details = ("student", DUE_KEY)  # what answers.json records beside the variant itself
    if differing == ["keys/answers.json"] and {
        k: v for k, v in old_answers.items() if k not in details
    } == {k: v for k, v in new_answers.items() if k not in details}:
        return _Planned(candidate, seed, keys, release, "roster")
    if differing:
        shown = ", ".join(differing[:3]) + (
            f" and {len(differing) - 3} more" if len(differing) > 3 else ""
        )
        reason = (
            f"exercise version (the exercise, its release notebook or datalit changed: {shown})"
        )
        return _Planned(candidate, seed, keys, release, "changed", (reason,))
    return _Planned(candidate, seed, keys, release, "tidy" if extras else "same")


def _names(ids: list[str], limit: int = 20) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _submitted(layout: Course, slug: str, ids: list[str]) -> list[str]:
    return [c for c in ids if layout.submitted_dir(c, slug).is_dir()]


def _refusal(layout: Course, slug: str, changed: list[_Planned], released: int) -> str:
    by_reason: dict[str, list[str]] = {}
    for p in changed:
        for reason in p.reasons:
            by_reason.setdefault(reason, []).append(p.candidate.id)
    what = "; ".join(f"{reason} for {_names(ids)}" for reason, ids in by_reason.items())
    ids = [p.candidate.id for p in changed]
    handed_in = _submitted(layout, slug, ids)
    who = (
        f"Already submitted: {_names(handed_in)}."
        if handed_in
        else "Nobody has submitted yet, but they may be working on the data they have."
    )
    return (
        f"{slug} is already released in {layout.root} to {released} candidate(s), and this "
        f"release would replace the data and keys of {len(ids)}: {what}. {who} Nothing was "
        "changed. Run it with the previous --mode and --secret-file to change nothing, or with "
        f"--force to keep the previous release, keys and submissions in {layout.root / BACKUPS}/ "
        "and release again"
    )


def _backup_release(layout: Course, slug: str, ids: list[str]) -> tuple[Path, tuple[str, ...]]:
    """Move the previous release, keys and submission of `ids` into a dated backup folder
    (owner-only: it holds keys). Returns the folder and who had a submission moved."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = layout.root / BACKUPS
    base.mkdir(exist_ok=True)
    folder = base / f"release-{slug}-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = base / f"release-{slug}-{stamp}-{n}"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    moved = []
    for c in ids:
        for step, source in (
            ("keys", layout.keys_dir(c, slug)),
            ("release", layout.release_dir(c, slug)),
            ("submitted", layout.submitted_dir(c, slug)),
        ):
            if source.is_dir() and not source.is_symlink():
                target = folder / step / c / slug
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
                if step == "submitted":
                    moved.append(c)
    return folder, tuple(moved)


def release(
    *,
    exercise: Exercise,
    course: Path,
    roster: Path,
    secret_file: Path | None = None,
    mode: str = "assessment",
    force: bool = False,
    due: dt.datetime | None = None,
) -> ReleaseSummary:
    """Release `exercise` to every candidate of `roster` in the course folder `course`.

    Per candidate: seed = candidate_seed(slug, id, secret); the raw tables go to
    release/<c>/<ex>/data/ with the release notebook, README.md (brief + grading environment),
    requirements.txt and check_outputs.py (in practice mode also practice/, see
    `datalit.grading.practice`); the answer key to keys/<c>/<ex>/key/ and the true
    answers to keys/<c>/<ex>/answers.json.

    Every variant is built in staging first and compared with what the candidate already has.
    A candidate released before with the same secret, mode and exercise version is left as is
    (their folders are rebuilt only to drop stray files, or to update the roster's name and
    email in answers.json): the same bytes. New candidates are released. If any candidate's
    data or keys would change, nothing is written and `ReleaseChanged` names how and who has
    already submitted, unless `force`: then their previous release, keys and submission are
    first moved into COURSE/backups/release-<ex>-<UTC time>/ and they are released anew.

    `due` (aware) is recorded in each candidate's answers.json; without it, a candidate keeps
    the due time recorded before. Every released candidate's folder is also zipped into
    COURSE/handout/<ex>/<ex>-<c>.zip, listed in its mail-merge.csv (`datalit.grading.handout`).

    Raises:
        InvalidArgument: a bad roster or secret file, or a course path that is a file.
        ReleaseChanged: the release would replace released variants, without `force`.
        ReleaseOutOfDate: the committed release notebook does not match its source.
    """
    from datalit.seeding import candidate_seed

    layout = Course(Path(course))
    candidates = load_roster(roster)
    files = _release_files(exercise, mode)
    layout.ensure()
    secret, secret_path, created = cohort_secret(layout, secret_file)
    slug = exercise.slug
    with contextlib.ExitStack() as stack:
        plans = []
        dues, before = {}, {}
        for c in candidates:
            seed = candidate_seed(slug, c.id, secret)
            work = stack.enter_context(_staging(layout, f"release-{c.id}"))
            before[c.id] = handout.recorded_due(layout.keys_dir(c.id, slug) / "answers.json")
            dues[c.id] = due or before[c.id]
            keys, rel = _build_one(exercise, layout, c, seed, files, work, dues[c.id])
            plans.append(_plan_one(layout, slug, c, seed, keys, rel))
        changed = [p for p in plans if p.state == "changed"]
        backup, moved = None, ()
        if changed:
            if not force:
                previous = sum(p.state != "new" for p in plans)
                raise ReleaseChanged(_refusal(layout, slug, changed, previous))
            backup, moved = _backup_release(layout, slug, [p.candidate.id for p in changed])
        student_changed = {
            p.candidate.id
            for p in plans
            if p.state == "roster"
            and _read_answers(p.keys / "answers.json").get("student")
            != _read_answers(layout.keys_dir(p.candidate.id, slug) / "answers.json").get("student")
        }
        released = []
        for p in plans:
            if p.state == "same":
                released.append(
                    ReleasedCandidate(
                        p.candidate.id,
                        p.seed,
                        layout.release_dir(p.candidate.id, slug),
                        layout.keys_dir(p.candidate.id, slug),
                    )
                )
            else:
                released.append(
                    _install_one(exercise, layout, p.candidate.id, p.seed, p.keys, p.release)
                )

    def ids(*states: str) -> tuple[str, ...]:
        return tuple(p.candidate.id for p in plans if p.state in states)

    zips = sum(
        handout.write_zip(r.release_dir, handout.zip_path(layout.root, slug, r.id), slug)
        for r in released
    )
    _write_mail_merge(layout, slug)
    roster_changed = [p.candidate.id for p in plans if p.state == "roster"]
    due_changed = tuple(c for c in roster_changed if dues[c] != before[c])
    return ReleaseSummary(
        exercise=slug,
        course=layout.root,
        released=tuple(released),
        secret_file=secret_path,
        secret_created=created,
        new=ids("new"),
        unchanged=ids("same", "tidy", "roster"),
        roster_updated=tuple(c for c in roster_changed if c in student_changed),
        replaced=ids("changed"),
        backup=backup,
        moved_submissions=moved,
        due=due,
        due_changed=due_changed,
        handout=handout.handout_dir(layout.root, slug),
        zips_written=zips,
    )


def _write_mail_merge(layout: Course, slug: str) -> Path:
    """The mail-merge list of everyone released `slug` in this course (not only this roster)."""
    rows = []
    for c in layout.released_candidates(slug):
        answers = _read_answers(layout.keys_dir(c, slug) / "answers.json")
        student = answers.get("student") if isinstance(answers.get("student"), dict) else {}
        name = " ".join(v for v in (student.get("first_name"), student.get("last_name")) if v)
        target = handout.zip_path(layout.root, slug, c)
        rows.append(
            {
                "id": c,
                "name": name,
                "email": student.get("email", ""),
                "due": answers.get(DUE_KEY, ""),
                "zip": str(target.resolve()) if target.is_file() else "",
            }
        )
    return handout.write_mail_merge(layout.root, slug, rows)


# --- releasing feedback (assessment mode) ------------------------------------------------------


def feedback_waiting(
    *, exercise: Exercise, course: Path, candidates: list[str] | None = None
) -> list[str]:
    """The candidates whose held feedback (assessment mode) `release_feedback` would release:
    all who have some, or the named ones.

    Raises:
        InvalidArgument: a named candidate has no held feedback (not graded yet, or graded in
            practice mode, where feedback is released at once).
    """
    from datalit.grading.report import held_feedback_dir

    held_root = held_feedback_dir(Path(course), exercise.slug, "x").parent
    held = sorted(p.name for p in held_root.iterdir() if p.is_dir()) if held_root.is_dir() else []
    if not candidates:
        return held
    for c in candidates:
        _check_component(c, "candidate id")
    unknown = sorted(set(candidates) - set(held))
    if unknown:
        raise InvalidArgument(
            f"no held feedback for {', '.join(unknown)} in {held_root}: grade them first "
            "(`datalit grade`); practice releases write feedback at once"
        )
    return sorted(set(candidates))


def release_feedback(
    *, exercise: Exercise, course: Path, candidates: list[str] | None = None
) -> list[str]:
    """Move held candidate views (assessment mode) to COURSE/feedback/<c>/<exercise>/.

    Each candidate's feedback folder is replaced whole (atomically), so a candidate sees the
    previous release or this one, never a mix. Returns the candidates released.

    Raises:
        InvalidArgument: as `feedback_waiting`.
    """
    from datalit.grading.report import held_feedback_dir

    layout = Course(Path(course))
    held_root = held_feedback_dir(layout.root, exercise.slug, "x").parent
    held = feedback_waiting(exercise=exercise, course=course, candidates=candidates)
    for c in held:
        with _staging(layout, f"feedback-{c}") as work:
            staged = work / "feedback"
            shutil.copytree(held_root / c, staged)
            _replace_dir(staged, layout.feedback_dir(c, exercise.slug))
        # Released: nothing waits for this candidate until a regrade holds new feedback.
        shutil.rmtree(held_root / c)
    return held


# --- collect ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionLimits:
    """Caps on what one submission may unpack to (archives are hostile until proven otherwise)."""

    max_archive_bytes: int = 100 * 1024**2
    max_entries: int = 2000
    """Files and folders in one archive or submitted folder."""
    max_file_bytes: int = 50 * 1024**2
    """One unpacked file."""
    max_total_bytes: int = 200 * 1024**2
    """All unpacked files of one submission."""
    max_ratio: float = 100.0
    """Uncompressed/compressed size of one archive entry above `ratio_floor_bytes`: more is
    treated as a zip bomb."""
    ratio_floor_bytes: int = 1024**2
    max_notebook_bytes: int = 20 * 1024**2
    max_depth: int = 20
    """Folder levels inside a submission."""


@dataclass(frozen=True)
class CollectedSubmission:
    """One submission taken into submitted/<candidate>/<exercise>/."""

    candidate: str
    source: Path
    """The file or folder it came from."""
    folder: Path
    notebook: Path
    files: int
    bytes: int
    notes: tuple[str, ...] = ()
    """What collect changed, e.g. a notebook renamed to the exercise's notebook name."""
    replaced: Path | None = None
    """Where the submission this one replaced is kept (beside it, dated), if there was one."""
    stale: tuple = ()
    """The reviewer's grades of the replaced submission, cleared from the gradebook
    (`datalit.grading.record.StaleGrade`); they are also in `replaced`/manual-grades.json."""
    submitted_at: dt.datetime | None = None
    """The submission's own time (its newest file time), as written to timestamp.txt."""
    due: dt.datetime | None = None
    """The candidate's due time recorded at release, if any."""

    @property
    def late_by(self) -> dt.timedelta | None:
        return handout.lateness(self.submitted_at, self.due)


@dataclass(frozen=True)
class CollectProblem:
    """A source item that was not collected, and why."""

    item: str
    """The file or folder name in the source folder (shown with repr: it may be hostile)."""
    reason: str
    candidate: str = ""


@dataclass(frozen=True)
class CollectSummary:
    """What `collect` did."""

    exercise: str
    course: Path
    collected: tuple[CollectedSubmission, ...]
    problems: tuple[CollectProblem, ...] = field(default=())

    @property
    def count(self) -> int:
        return len(self.collected)

    def describe(self) -> str:
        lines = [
            f"collected {self.count} submission(s) of {self.exercise} into {self.course}/submitted"
        ]
        for c in self.collected:
            for note in c.notes:
                lines.append(f"  {c.candidate}: {note}")
        late = [c for c in self.collected if c.late_by is not None]
        if late:
            lines.append(f"{len(late)} late submission(s):")
            lines += [
                f"  {c.candidate}: submitted {format_time(c.submitted_at)}, "
                f"{handout.late_text(c.late_by)} after the due time {format_time(c.due)}"
                for c in late
            ]
        if self.problems:
            lines.append(f"{len(self.problems)} item(s) not collected:")
            lines += [f"  {p.item!r}: {p.reason}" for p in self.problems]
        return "\n".join(lines)


class _Rejected(Exception):
    """A submission refused, with the reason shown to the instructor."""


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB"


class _Budget:
    """Counts entries and bytes of one submission against the limits."""

    def __init__(self, limits: SubmissionLimits):
        self.limits = limits
        self.entries = 0
        self.bytes = 0

    def entry(self, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise _Rejected(f"has more than {self.limits.max_entries:,} files and folders")

    def add(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise _Rejected(
                f"{name!r} is {_mb(size)}; one file may be at most {_mb(self.limits.max_file_bytes)}"
            )
        self.bytes += size
        if self.bytes > self.limits.max_total_bytes:
            raise _Rejected(f"unpacks to more than {_mb(self.limits.max_total_bytes)}")


def _safe_relative(name: str, limits: SubmissionLimits) -> PurePosixPath | None:
    """An archive member name as a path inside the submission; None for the root itself."""
    if "\x00" in name or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise _Rejected(f"the entry {name!r} has control characters in its name")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise _Rejected(f"the entry {name!r} has an absolute path")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _Rejected(f"the entry {name!r} points outside the submission (..)")
    if len(parts) > limits.max_depth:
        raise _Rejected(f"the entry {name!r} is nested more than {limits.max_depth} folders deep")
    if any(len(p.encode("utf-8", "surrogatepass")) > 255 for p in parts):
        raise _Rejected(f"the entry {name[:80]!r}… has a name longer than 255 bytes")
    return PurePosixPath(*parts) if parts else None


def _is_junk(rel: PurePosixPath) -> bool:
    return any(p in JUNK_NAMES for p in rel.parts)


def _open_regular(path: Path, cap: int, what: str):
    """Open `path` for reading without following a symlink; it must be a regular file <= cap."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Rejected(f"{what} is a symbolic link") from None
        raise _Rejected(f"{what} cannot be read ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _Rejected(f"{what} is not a regular file")
    if info.st_size > cap:
        os.close(fd)
        raise _Rejected(f"{what} is {_mb(info.st_size)}; at most {_mb(cap)} is accepted")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _write_new(dest: Path, chunks, cap: int, name: str, mtime: float | None = None) -> int:
    """Write `chunks` to the new file `dest`, stopping past `cap` bytes; returns bytes written.
    `mtime` is the file's time in the submission (kept: the newest is the submission's time)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > cap:
                raise _Rejected(f"{name!r} unpacks to more than it declares or is allowed")
            out.write(chunk)
        if mtime is not None:
            out.flush()  # a later flush would set the time to now
            with contextlib.suppress(OSError, ValueError, OverflowError):
                os.utime(out.fileno(), (mtime, mtime))
    return written


def _zip_mtime(info: zipfile.ZipInfo) -> float | None:
    """An archive member's time: the UTC time of the extended-timestamp field (0x5455) that
    Info-ZIP and most archivers write, else the DOS time, which is local time on the machine
    that made the zip (read as this machine's local time). None when it does not parse."""
    extra = info.extra
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack_from("<I", body, 1)[0])
        at += 4 + size
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (ValueError, OverflowError, TypeError):
        return None


def _chunks(fh, size: int = 1024**2):
    while block := fh.read(size):
        yield block


def _member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The bytes of one archive member. A damaged directory can point reads at impossible
    offsets (the OS says EINVAL): that is a bad archive, not a failure of ours."""
    try:
        with zf.open(info) as member:
            yield from _chunks(member)
    except OSError as exc:
        raise _Rejected(f"is not a readable zip archive ({exc.strerror or exc})") from None


def _zip_entry_count(fh, size: int) -> int | None:
    """Entries declared by the end-of-central-directory record, read before zipfile parses the
    whole directory (a 100 MB archive can declare millions of empty entries)."""
    tail = min(size, 22 + 65535)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    count = int.from_bytes(data[at + 10 : at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: the real count is in a zip64 record


def _unpack_zip(archive: Path, dest: Path, limits: SubmissionLimits) -> tuple[int, int]:
    budget = _Budget(limits)
    with _open_regular(archive, limits.max_archive_bytes, "the archive") as fh:
        size = os.fstat(fh.fileno()).st_size
        declared = _zip_entry_count(fh, size)
        if declared is not None and declared > limits.max_entries:
            raise _Rejected(
                f"has {declared:,} entries; at most {limits.max_entries:,} are accepted"
            )
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                if len(infos) > limits.max_entries:
                    raise _Rejected(
                        f"has {len(infos):,} entries; at most {limits.max_entries:,} are accepted"
                    )
                plan = _plan_zip(infos, limits, budget)
                files = 0
                for info, rel in plan:
                    _write_new(
                        dest / rel,
                        _member_chunks(zf, info),
                        info.file_size,
                        str(rel),
                        _zip_mtime(info),
                    )
                    files += 1
        except _Rejected:
            raise
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            RuntimeError,
            EOFError,
            ValueError,
            OverflowError,
            struct.error,
            zlib.error,
        ) as exc:
            raise _Rejected(f"is not a readable zip archive ({exc})") from None
    return files, budget.bytes


def _plan_zip(infos, limits: SubmissionLimits, budget: _Budget):
    """Check every entry before anything is written; returns (info, relative path) of files."""
    plan, seen, folders = [], set(), set()
    for info in infos:
        budget.entry(info.filename)
        rel = _safe_relative(info.filename, limits)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _Rejected(f"the entry {info.filename!r} is a symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _Rejected(f"the entry {info.filename!r} is not a regular file or folder")
        if info.flag_bits & 0x1:
            raise _Rejected(f"the entry {info.filename!r} is encrypted; send it unencrypted")
        if rel is None or _is_junk(rel):
            continue
        if info.is_dir() or kind == stat.S_IFDIR:
            folders.add(rel)
            continue
        if rel in seen:
            raise _Rejected(f"the entry {info.filename!r} appears twice")
        seen.add(rel)
        folders.update(rel.parents)
        budget.add(info.filename, info.file_size)
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _Rejected(
                f"the entry {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f}"
                f" times ({_mb(info.file_size)}); this looks like a zip bomb"
            )
        plan.append((info, rel))
    clash = seen & folders
    if clash:
        raise _Rejected(f"{sorted(map(str, clash))[0]!r} is both a file and a folder")
    return plan


def _copy_folder(source: Path, dest: Path, limits: SubmissionLimits) -> tuple[int, int]:
    """Copy a submitted folder: regular files and folders only, nothing followed."""
    budget = _Budget(limits)
    files = 0
    stack = [(source, PurePosixPath())]
    while stack:
        folder, rel_folder = stack.pop()
        if len(rel_folder.parts) > limits.max_depth:
            raise _Rejected(f"{str(rel_folder)!r} is nested more than {limits.max_depth} deep")
        with os.scandir(folder) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            rel = rel_folder / entry.name
            if entry.name in JUNK_NAMES:
                continue
            budget.entry(str(rel))
            _safe_relative(str(rel), limits)
            if entry.is_symlink():
                raise _Rejected(f"{str(rel)!r} is a symbolic link")
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel))
                continue
            with _open_regular(Path(entry.path), limits.max_file_bytes, repr(str(rel))) as fh:
                info = os.fstat(fh.fileno())
                budget.add(str(rel), info.st_size)
                _write_new(dest / rel, _chunks(fh), info.st_size, str(rel), info.st_mtime)
            files += 1
    return files, budget.bytes


def _hoist_single_folder(stage: Path) -> None:
    """`orders-cleanup/…` zipped as a folder: use the folder's contents as the submission."""
    for _ in range(5):
        children = list(stage.iterdir())
        if len(children) != 1 or not children[0].is_dir() or children[0].is_symlink():
            return
        inner = children[0]
        parked = stage / f".hoist-{secrets.token_hex(4)}"
        inner.rename(parked)
        for child in parked.iterdir():
            child.rename(stage / child.name)
        parked.rmdir()


def _narrow_to_exercise(stage: Path, exercise: Exercise) -> str | None:
    """A candidate's folder holding several exercises: when one child folder is named for this
    exercise (its slug or its notebook's name, ignoring case), it alone is the submission."""
    names = {exercise.slug.casefold(), Path(exercise.notebook).stem.casefold()}
    children = [p for p in stage.iterdir() if p.name != "timestamp.txt"]
    match = [p for p in children if p.is_dir() and p.name.casefold() in names]
    if len(match) != 1 or len(children) == 1:
        return None
    inner = match[0]
    parked = stage.parent / f".narrow-{secrets.token_hex(4)}"
    inner.rename(parked)
    for child in stage.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in parked.iterdir():
        child.rename(stage / child.name)
    parked.rmdir()
    return f"took the folder {inner.name}/ (the others are other exercises' work)"


def _place_notebook(stage: Path, exercise: Exercise, limits: SubmissionLimits) -> list[str]:
    """Make sure the submission's notebook is at `<stage>/<exercise.notebook>`; returns notes."""
    _hoist_single_folder(stage)
    notes = [n for n in [_narrow_to_exercise(stage, exercise)] if n]
    _hoist_single_folder(stage)
    target = stage / exercise.notebook
    if not target.is_file():
        found = sorted(
            p
            for p in stage.rglob("*.ipynb")
            if p.is_file()
            and not p.is_symlink()
            and not _is_junk(PurePosixPath(*p.relative_to(stage).parts))
        )
        if not found:
            raise _Rejected("contains no notebook (.ipynb)")
        if len(found) > 1:
            found = _this_exercise(found, exercise, limits) or found
        if len(found) > 1:
            names = ", ".join(str(p.relative_to(stage)) for p in found[:5])
            raise _Rejected(
                f"contains {len(found)} notebooks ({names}) and none is {exercise.notebook} at "
                "the top: keep only the one to grade"
            )
        if target.exists():
            raise _Rejected(f"{exercise.notebook} is a folder, not a notebook")
        notes.append(f"used {found[0].relative_to(stage)} as {exercise.notebook}")
        found[0].rename(target)
    size = target.stat().st_size
    if size > limits.max_notebook_bytes:
        raise _Rejected(
            f"the notebook is {_mb(size)}; at most {_mb(limits.max_notebook_bytes)} is accepted "
            "(clear large outputs and save again)"
        )
    return notes


def _this_exercise(found: list[Path], exercise: Exercise, limits: SubmissionLimits) -> list[Path]:
    """Of several notebooks, the one named like this exercise's (ignoring case) or, failing
    that, the one stamped for this exercise at release; [] when neither picks exactly one."""
    named = [p for p in found if p.name.casefold() == exercise.notebook.casefold()]
    if len(named) == 1:
        return named
    stamped = [
        p
        for p in found
        if (handout.stamped_id(p, limits.max_notebook_bytes) or ("", ""))[1] == exercise.slug
    ]
    return stamped if len(stamped) == 1 else []


def _timestamp(mtime: float) -> str:
    # nbgrader's timestamp.txt format; the submission's own timestamp.txt (if any) is replaced:
    # a candidate must not set their own submission time.
    stamp = dt.datetime.fromtimestamp(mtime, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") + "\n"


ITEM_SUFFIXES = (".zip", ".ipynb")


def _source_items(source: Path) -> tuple[list[os.DirEntry], list[CollectProblem]]:
    """The source folder's folders, zips and notebooks (any names: whose each is comes later)."""
    items, problems = [], []
    with os.scandir(source) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        if entry.name.startswith(".") or entry.name in JUNK_NAMES:
            continue
        if entry.is_symlink():
            problems.append(CollectProblem(entry.name, "is a symbolic link; not followed"))
        elif entry.is_dir(follow_symlinks=False) or (
            entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(ITEM_SUFFIXES)
        ):
            items.append(entry)
        else:
            problems.append(CollectProblem(entry.name, "is not a .zip, an .ipynb or a folder"))
    return items, problems


def _named_candidate(entry: os.DirEntry, known: set[str]) -> str | None:
    """The candidate an item is named for (<c>/, <c>.zip, <c>.ipynb), matched ignoring case
    (roster ids are unique ignoring case), or None."""
    stem = entry.name
    if not entry.is_dir(follow_symlinks=False):
        stem = stem.rsplit(".", 1)[0]
    if stem in known:
        return stem
    return next((k for k in sorted(known) if k.casefold() == stem.casefold()), None)


@dataclass
class _Staged:
    """One source item unpacked into staging, before it is known to be whose."""

    entry: os.DirEntry
    stage: Path
    files: int
    size: int
    notes: list[str]
    stamp: tuple[str, str] | None
    """(candidate, exercise) stamped in its notebook at release, if it still carries it."""
    submitted_at: dt.datetime


def _newest_time(stage: Path, bound: float) -> tuple[float, str | None]:
    """The submission's own time: its newest file time, kept by unpacking (a zip's member
    times, a folder's file times). A time past `bound` (when the zip or notebook arrived, or
    now) cannot be right (a wrong clock): then `bound`, with a note."""
    times = [
        p.stat().st_mtime
        for p in stage.rglob("*")
        if p.is_file() and not p.is_symlink() and p.name != "timestamp.txt"
    ]
    newest = max(times, default=bound)
    if newest > bound:
        return (
            bound,
            "its files carry times later than it arrived (a wrong clock?): used its arrival time",
        )
    return newest, None


def _stage_one(
    exercise: Exercise, entry: os.DirEntry, stage: Path, limits: SubmissionLimits
) -> _Staged:
    path = Path(entry.path)
    arrived = entry.stat(follow_symlinks=False).st_mtime
    if entry.is_dir(follow_symlinks=False):
        files, size = _copy_folder(path, stage, limits)
        arrived = time.time()  # a folder's own time does not move when a file in it changes
    elif entry.name.lower().endswith(".zip"):
        files, size = _unpack_zip(path, stage, limits)
    else:
        with _open_regular(path, limits.max_notebook_bytes, "the notebook") as fh:
            mtime = os.fstat(fh.fileno()).st_mtime
            size = _write_new(
                stage / exercise.notebook,
                _chunks(fh),
                limits.max_notebook_bytes,
                entry.name,
                mtime,
            )
        files = 1
    notes = _place_notebook(stage, exercise, limits)
    (stage / "timestamp.txt").unlink(missing_ok=True)
    own, note = _newest_time(stage, max(arrived, 0.0))
    if note:
        notes.append(note)
    (stage / "timestamp.txt").write_text(_timestamp(own), encoding="utf-8")
    stamp = handout.stamped_id(stage / exercise.notebook, limits.max_notebook_bytes)
    return _Staged(
        entry, stage, files, size, notes, stamp, dt.datetime.fromtimestamp(own, tz=dt.UTC)
    )


def _whose(staged: _Staged, exercise: Exercise, known: set[str]) -> str:
    """The candidate a staged submission belongs to: the one its name names, checked against
    the id stamped in its notebook; or, for an item named anything else, that id.

    Raises:
        _Rejected: no candidate, or name and stamp disagree (a notebook handed on?).
    """
    named = _named_candidate(staged.entry, known)
    stamped, slug = staged.stamp or (None, None)
    if slug is not None and slug != exercise.slug:
        raise _Rejected(
            f"its notebook was released for the exercise {slug!r}, not {exercise.slug}: collect "
            f"it with `datalit collect {slug}`"
        )
    if named and stamped and stamped.casefold() != named.casefold():
        raise _Rejected(
            f"it is named for {named!r} but its notebook was released to {stamped!r}: check who "
            "sent it, and rename it to the candidate it belongs to"
        )
    if named:
        if staged.entry.name.rsplit(".", 1)[0] != named and staged.entry.name != named:
            staged.notes.append(f"matched {staged.entry.name!r} to {named!r} (ignoring case)")
        return named
    if stamped is None:
        stem = staged.entry.name
        if not staged.entry.is_dir(follow_symlinks=False):
            stem = stem.rsplit(".", 1)[0]
        raise _Rejected(
            f"unknown candidate {stem!r}: no release of {exercise.slug} for them, and its "
            "notebook carries no candidate id (datalit stamps one at release; a notebook made "
            "elsewhere has none): name it <candidate>.zip, <candidate>.ipynb or <candidate>/"
        )
    match = next((k for k in known if k.casefold() == stamped.casefold()), None)
    if match is None:
        raise _Rejected(
            f"its notebook was released to {stamped!r}, who has no release of "
            f"{exercise.slug} in this course"
        )
    staged.notes.append(f"matched {staged.entry.name!r} to {match!r} by the id in its notebook")
    return match


def _backup_name(folder: Path) -> Path:
    """A dated, hidden name beside `folder` for the submission it held (hidden: no exercise
    slug starts with '.', so nothing takes it for a submission)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    keep = folder.parent / f".{folder.name}.replaced-{stamp}"
    n = 1
    while keep.exists():
        n += 1
        keep = folder.parent / f".{folder.name}.replaced-{stamp}-{n}"
    return keep


def _notebook_sha256(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _mark_stale(
    layout: Course, exercise: Exercise, candidate: str, notebook: Path, keep: Path | None
) -> tuple[tuple, Path | None]:
    """Clear the reviewer's grades recorded for `candidate` unless they were given to this very
    notebook (the ledger holds the sha256 of the notebook graded). The cleared grades are written
    to manual-grades.json in the backup of the replaced submission (made if there is none, e.g.
    after `release --force` moved the submission away). Returns (grades, that file)."""
    from datalit.grading.record import clear_manual_grades, load_ledger

    if not layout.gradebook.is_file():
        return (), None
    recorded = load_ledger(layout.root, exercise.slug, candidate)
    if recorded and recorded.get("submission_sha256") == _notebook_sha256(notebook):
        return (), None
    stale = clear_manual_grades(layout.root, exercise, candidate)
    if not stale:
        return (), None
    folder = keep or _backup_name(layout.submitted_dir(candidate, exercise.slug))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "manual-grades.json"
    rows = [
        {
            "cell": g.cell,
            "max_score": g.max_score,
            "manual_score": g.manual_score,
            "extra_credit": g.extra_credit,
            "comment": g.comment,
        }
        for g in stale
    ]
    target.write_text(_json_text({"candidate": candidate, "cleared": rows}), encoding="utf-8")
    return stale, target


def _install_submission(
    exercise: Exercise, layout: Course, candidate: str, staged: _Staged
) -> CollectedSubmission:
    """Swap a staged submission into submitted/<c>/<ex>/, keeping the one it replaces."""
    path, stage, notes = Path(staged.entry.path), staged.stage, staged.notes
    folder = layout.submitted_dir(candidate, exercise.slug)
    due = handout.recorded_due(layout.keys_dir(candidate, exercise.slug) / "answers.json")
    keep = None
    if folder.is_dir() and not folder.is_symlink():
        # The same files sent again (only their time differs): keep the first time.
        old, new = _file_hashes(folder), _file_hashes(stage)
        old.pop("timestamp.txt", None)
        new.pop("timestamp.txt", None)
        if old == new:
            notes.append("the same submission as the one already collected; left as it was")
            return CollectedSubmission(
                candidate,
                path,
                folder,
                folder / exercise.notebook,
                staged.files,
                staged.size,
                tuple(notes),
                submitted_at=handout.submission_time(layout.root, exercise.slug, candidate),
                due=due,
            )
        keep = _backup_name(folder)
    _replace_dir(stage, folder, keep)
    if keep is not None:
        notes.append(f"replaced the previous submission (kept in {keep})")
    stale, kept_in = _mark_stale(layout, exercise, candidate, folder / exercise.notebook, keep)
    if stale:
        graded = ", ".join(
            f"{g.cell} {g.manual_score:g}/{g.max_score:g}"
            for g in stale
            if g.manual_score is not None and g.max_score is not None
        )
        notes.append(
            "the reviewer's grades of the previous submission no longer apply and were cleared"
            + (f" ({graded})" if graded else " (comments)")
            + f", kept in {kept_in}: grade the new one in formgrader after `datalit grade`"
        )
    return CollectedSubmission(
        candidate=candidate,
        source=path,
        folder=folder,
        notebook=folder / exercise.notebook,
        files=staged.files,
        bytes=staged.size,
        notes=tuple(notes),
        replaced=keep,
        stale=stale,
        submitted_at=staged.submitted_at.replace(microsecond=0),
        due=due,
    )


def _refusal_of(exc: Exception) -> str:
    if isinstance(exc, _Rejected):
        return f"refused: {exc}"
    if isinstance(exc, OSError):
        return f"could not be copied: {exc.strerror or exc}"
    return f"could not be collected ({type(exc).__name__}: {exc})"


def collect(
    *,
    exercise: Exercise,
    course: Path,
    source: Path,
    limits: SubmissionLimits = SubmissionLimits(),  # frozen, so a shared default is safe
) -> CollectSummary:
    """Take the submissions in `source` into COURSE/submitted/<candidate>/<exercise>/.

    `source` holds one item per candidate: `<candidate>.ipynb`, `<candidate>.zip` or a folder
    `<candidate>/`. Archives and folders are unpacked with caps on entries and sizes, only
    regular files are taken (symlinks, absolute paths, `..`, zip bombs refuse the whole
    submission), and the notebook ends up as `<exercise.notebook>` at the top. A replaced
    submission is moved to `submitted/<c>/.<ex>.replaced-<UTC time>/`, and the reviewer's grades
    of a notebook that is no longer the one collected are cleared (`_mark_stale`). Items that are not
    collected (unknown candidate, several items for one candidate, refused archive) are reported
    in the summary and leave any earlier submission of that candidate untouched.

    Raises:
        InvalidArgument: `source` is not a folder.
    """
    source = Path(source)
    if not source.is_dir():
        raise InvalidArgument(
            f"SOURCE {source} is not a folder; give a folder of <candidate>.zip, "
            "<candidate>.ipynb or <candidate>/ submissions"
        )
    layout = Course(Path(course))
    known = set(layout.released_candidates(exercise.slug))
    items, problems = _source_items(source)
    collected = []
    if not known:
        problems += [
            CollectProblem(
                e.name, f"no candidate has a release of {exercise.slug} in {layout.root}"
            )
            for e in items
        ]
        items = []
    else:
        layout.ensure()
    with contextlib.ExitStack() as stack:
        claims: dict[str, list[_Staged]] = {}
        for n, entry in enumerate(items):
            try:
                work = stack.enter_context(_staging(layout, f"collect-{n}"))
                stage = work / "submission"
                stage.mkdir()
                staged = _stage_one(exercise, entry, stage, limits)
                claims.setdefault(_whose(staged, exercise, known), []).append(staged)
            except Exception as exc:  # hostile input must not stop the others' collection
                named = _named_candidate(entry, known) or ""
                problems.append(CollectProblem(entry.name, _refusal_of(exc), named))
        for candidate in sorted(claims):
            claimed = claims[candidate]
            if len(claimed) > 1:
                names = ", ".join(s.entry.name for s in claimed)
                for s in claimed:
                    problems.append(
                        CollectProblem(
                            s.entry.name,
                            f"several submissions for {candidate!r} ({names}); keep one",
                            candidate,
                        )
                    )
                continue
            try:
                collected.append(_install_submission(exercise, layout, candidate, claimed[0]))
            except Exception as exc:
                problems.append(CollectProblem(claimed[0].entry.name, _refusal_of(exc), candidate))
    return CollectSummary(
        exercise=exercise.slug,
        course=layout.root,
        collected=tuple(collected),
        problems=tuple(problems),
    )
