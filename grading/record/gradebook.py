"""gradebook.db itself: created by nbgrader in a temporary file and moved into place (never left
half-created), its state, its URL, and the engines whose transactions begin IMMEDIATE."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from datalit.errors import DatalitError
from datalit.grading.record.files import GRADEBOOK, SQLITE_TIMEOUT_S, _default_mode, _fsync_dir

_CREATING = ".gradebook.db.creating-"


def gradebook_url(course: Path) -> str:
    """The SQLAlchemy URL of COURSE/gradebook.db, with SQLite's busy timeout."""
    return f"sqlite:///{Path(course).resolve() / GRADEBOOK}?timeout={SQLITE_TIMEOUT_S}"


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
