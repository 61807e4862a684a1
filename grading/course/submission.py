"""One source item of `collect` in staging: unpacked or copied (`archive`), its notebook put
at `<exercise.notebook>` at the top, its own time written to timestamp.txt, and whose it is
(the candidate its name names, checked against the id stamped in its notebook at release)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from datalit.exercise import Exercise
from datalit.grading.course import handout
from datalit.grading.course.archive import (
    SubmissionLimits,
    _chunks,
    _copy_folder,
    _is_junk,
    _mb,
    _open_regular,
    _Rejected,
    _unpack_zip,
    _write_new,
)


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


def _named_candidate(entry: os.DirEntry, known: set[str]) -> str | None:
    """The candidate an item is named for (<c>/, <c>.zip, <c>.ipynb), matched ignoring case
    (roster ids are unique ignoring case), or None."""
    stem = entry.name
    if not entry.is_dir(follow_symlinks=False):
        stem = stem.rsplit(".", 1)[0]
    if stem in known:
        return stem
    return next((k for k in sorted(known) if k.casefold() == stem.casefold()), None)


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
