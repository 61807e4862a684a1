"""The course's nbgrader_config.py (its course id, the gradebook nbgrader must read, nbgrader's
release and feedback tools kept out of datalit's folders) and its `source/` folder, which
formgrader lists assignments from."""

from __future__ import annotations

import logging
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.record.files import CONFIG, GRADEBOOK, SQLITE_TIMEOUT_S, write_atomic

log = logging.getLogger(__package__)

DEFAULT_COURSE_ID = "default_course"
"""nbgrader's own default for `Gradebook(course_id=...)`."""


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
