"""`collect`: the submissions handed back (a folder of `<candidate>.zip`, `<candidate>.ipynb`
or `<candidate>/`) taken into COURSE/submitted/, each staged, attributed to its candidate and
swapped into place (`CollectSummary` says what was collected and what was not, and why).

A submission replaced by a new collect is kept beside it, and the reviewer's grades of the old
notebook are cleared (they are kept in the backup)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.course import handout
from datalit.grading.course.archive import JUNK_NAMES, SubmissionLimits, _Rejected
from datalit.grading.course.handout import format_time
from datalit.grading.course.layout import Course
from datalit.grading.course.placing import _file_hashes, _replace_dir, _staging
from datalit.grading.course.submission import _named_candidate, _stage_one, _Staged, _whose
from datalit.grading.course.variant import _json_text


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
    limits: SubmissionLimits = SubmissionLimits(),  # frozen, so a shared default is safe  # noqa: B008
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
