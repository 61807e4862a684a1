"""Planning a re-release: how a candidate's staged variant compares with what they were
released before (new, the same, only the roster or due time changed, or changed and why), the
refusal that names who would be affected (`ReleaseChanged`), and the backup that --force makes
of their previous release, keys and submission in COURSE/backups/."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.grading.course.handout import DUE_KEY
from datalit.grading.course.layout import Course
from datalit.grading.course.placing import _file_hashes
from datalit.grading.course.roster import Candidate
from datalit.grading.course.variant import _read_answers


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
