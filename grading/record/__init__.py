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

This package is the stage's face: the names the rest of datalit uses. The modules, each
importing only those before it:

- `files`: the course files' names (gradebook.db, nbgrader_config.py, .datalit/), `write_atomic`;
- `lock`: `course_lock`, the course's gradebook lock;
- `inputs`: `check_candidate`, the roster's student fields, a part's grade cell, the submission
  time;
- `ledger`: `ledger_path`, `load_ledger`, `ledger_is_current`, `exercise_fingerprint`, the
  ledger's entries;
- `config`: nbgrader_config.py (course id, nbgrader's own folders) and `source/<exercise>/`;
- `gradebook`: gradebook.db created atomically by nbgrader, `gradebook_url`, the BEGIN IMMEDIATE
  engine;
- `transaction`: one submission's rows synced in one transaction, counting real changes;
- `manual_grades`: `StaleGrade`, `clear_manual_grades`;
- `recording`: `record`, `Recorded`, `ensure_course`.

Other stages (the grader, report) are never imported here.
"""

from __future__ import annotations

from datalit.grading.record.config import DEFAULT_COURSE_ID
from datalit.grading.record.files import CONFIG, GRADEBOOK, PRIVATE, SQLITE_TIMEOUT_S, write_atomic
from datalit.grading.record.gradebook import gradebook_url
from datalit.grading.record.inputs import STUDENT_FIELDS, check_candidate
from datalit.grading.record.ledger import (
    GRADER_ERROR,
    LEDGER_FORMAT,
    SCORE_DIGITS,
    exercise_fingerprint,
    ledger_is_current,
    ledger_path,
    load_ledger,
)
from datalit.grading.record.lock import LOCK_FILE, LOCK_TIMEOUT_S, course_lock
from datalit.grading.record.manual_grades import StaleGrade, clear_manual_grades
from datalit.grading.record.recording import Recorded, ensure_course, record

__all__ = [
    "CONFIG",
    "DEFAULT_COURSE_ID",
    "GRADEBOOK",
    "GRADER_ERROR",
    "LEDGER_FORMAT",
    "LOCK_FILE",
    "LOCK_TIMEOUT_S",
    "PRIVATE",
    "SCORE_DIGITS",
    "SQLITE_TIMEOUT_S",
    "STUDENT_FIELDS",
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
