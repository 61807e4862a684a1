"""The course folder: `Course` (the paths of every step's folders) and the rule for the names
that become folders in it (candidate ids and exercise slugs, `CANDIDATE_ID`).

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument

CANDIDATE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
PRIVATE = ".datalit"


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
