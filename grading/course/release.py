"""`release`: an exercise to every candidate of a roster, each their own variant, every
variant built in staging and compared with what the candidate already has before anything is
written (`ReleaseSummary` says what it did); and the hand-out, one zip per candidate and the
mail-merge list.

A re-run with the same roster, secret and mode leaves released candidates as they are (the
same bytes) and releases only new ones; one that would change released data or keys is refused
unless forced, and then the previous folders go to COURSE/backups/ first."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from datalit.exercise import Exercise
from datalit.grading.course import handout
from datalit.grading.course.handout import DUE_KEY, format_time
from datalit.grading.course.layout import Course
from datalit.grading.course.placing import _staging
from datalit.grading.course.planning import (
    ReleaseChanged,
    _backup_release,
    _names,
    _plan_one,
    _refusal,
)
from datalit.grading.course.roster import load_roster
from datalit.grading.course.secret import cohort_secret
from datalit.grading.course.variant import (
    ReleasedCandidate,
    _build_one,
    _install_one,
    _read_answers,
    _release_files,
)


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
    COURSE/handout/<ex>/<ex>-<c>.zip, listed in its mail-merge.csv
    (`datalit.grading.course.handout`).

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
