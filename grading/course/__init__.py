"""Course operations: the course folder, the roster, the cohort secret, `release` and `collect`.

A course is one folder (nbgrader's layout where nbgrader has one, so `nbgrader export` and
formgrader work in it unchanged): its folders are listed in `layout`.

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

This module is the package's face: the names the rest of datalit uses. The modules, each
importing only those before it (and `handout`, which imports none of them):

- `layout`: `Course` (the course folder's paths), the folder-name rule `CANDIDATE_ID`;
- `roster`: `Candidate`, `load_roster`, the roster's name and email as nbgrader student fields;
- `secret`: `cohort_secret`;
- `placing`: swapping a finished folder into place (renameat2), staging folders, file hashes;
- `readme`: the README, requirements and check_outputs.py texts every release folder shares;
- `variant`: one candidate's variant built and installed (`release_variant`), answers.json;
- `planning`: a re-release compared with what was released, `ReleaseChanged`, --force backups;
- `release`: `release` and `ReleaseSummary`, the hand-out zips and mail-merge list;
- `feedback`: `feedback_waiting`, `release_feedback`;
- `archive`: `SubmissionLimits`, safe zip unpacking and folder copying;
- `submission`: one collected item staged, its notebook placed, its time, and whose it is;
- `collect`: `collect` and `CollectSummary`;
- `handout`: due and submission times, the candidate id stamped at release, zips, mail merge.

Stages of grading (grade, record, report, ...) are imported only inside the functions that
need them, never at import time.
"""

from __future__ import annotations

from datalit.grading.course import handout
from datalit.grading.course.archive import JUNK_NAMES, SubmissionLimits
from datalit.grading.course.collect import (
    ITEM_SUFFIXES,
    CollectedSubmission,
    CollectProblem,
    CollectSummary,
    collect,
)
from datalit.grading.course.feedback import feedback_waiting, release_feedback
from datalit.grading.course.layout import CANDIDATE_ID, PRIVATE, Course
from datalit.grading.course.planning import BACKUPS, ReleaseChanged
from datalit.grading.course.readme import (
    CHECK_SCRIPT,
    GRADER_LIBRARIES,
    LAB_REQUIREMENTS,
    TEMPLATES,
    check_outputs_script,
    lab_requirements_text,
    readme_text,
    requirements_text,
)
from datalit.grading.course.release import ReleaseSummary, release
from datalit.grading.course.roster import (
    MAX_ROSTER_BYTES,
    RESERVED_IDS,
    Candidate,
    load_roster,
    student_fields,
)
from datalit.grading.course.secret import SECRET_BYTES, cohort_secret
from datalit.grading.course.variant import (
    ReleasedCandidate,
    release_mode,
    release_variant,
    released_student,
)

__all__ = [
    "BACKUPS",
    "CANDIDATE_ID",
    "CHECK_SCRIPT",
    "GRADER_LIBRARIES",
    "ITEM_SUFFIXES",
    "JUNK_NAMES",
    "LAB_REQUIREMENTS",
    "MAX_ROSTER_BYTES",
    "PRIVATE",
    "RESERVED_IDS",
    "SECRET_BYTES",
    "TEMPLATES",
    "Candidate",
    "CollectProblem",
    "CollectSummary",
    "CollectedSubmission",
    "Course",
    "ReleaseChanged",
    "ReleaseSummary",
    "ReleasedCandidate",
    "SubmissionLimits",
    "check_outputs_script",
    "cohort_secret",
    "collect",
    "feedback_waiting",
    "handout",
    "lab_requirements_text",
    "load_roster",
    "readme_text",
    "release",
    "release_feedback",
    "release_mode",
    "release_variant",
    "released_student",
    "requirements_text",
    "student_fields",
]
