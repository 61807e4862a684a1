"""Locks shared by every grader process on the machine: job slots (one sandbox uid each, held by
a worker for its lifetime, with the work dir of the submission it grades) and claims (one grader
process per candidate at a time)."""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from datalit.errors import DatalitError
from datalit.grading.grader.workdirs import _reset_slot_folder, _slot_folder, work_root

SLOT_LOCK_DIR = Path(os.environ.get("DATALIT_SLOT_LOCKS", "/tmp/datalit-slots"))
MAX_SLOTS = 64

_slot: int | None = None
_slot_lock: int | None = None


def _lock_slot(slot: int) -> int | None:
    """An open, exclusively locked descriptor of the slot's lock file, or None if it is held."""
    SLOT_LOCK_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(SLOT_LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim_slot(max_slots: int = MAX_SLOTS) -> int:
    """Claim the first free sandbox slot on this machine (held until the process exits) and
    empty its work folder."""
    for slot in range(max_slots):
        fd = _lock_slot(slot)
        if fd is None:
            continue
        global _slot_lock
        _slot_lock = fd  # kept open: the lock lives as long as this process
        _reset_slot_folder(slot)
        return slot
    raise DatalitError(f"all {max_slots} sandbox slots are busy; wait for other grader runs")


def _own_slot() -> int:
    """This process's slot, claimed on first use (a worker claims it in its initializer)."""
    global _slot
    if _slot is None:
        _slot = claim_slot()
    return _slot


def sweep_work_folders(max_slots: int = MAX_SLOTS) -> int:
    """Empty the work folders of every slot nobody holds (left by a grader that was killed).
    Returns how many folders held leftovers."""
    root = work_root()
    swept = 0
    for slot in range(max_slots):
        folder = root / f"slot-{slot}"
        if not folder.is_symlink() and not (folder.is_dir() and any(folder.iterdir())):
            continue
        fd = _lock_slot(slot)
        if fd is None:
            continue  # in use by a live grader
        try:
            _reset_slot_folder(slot)
            swept += 1
        finally:
            os.close(fd)
    return swept


def _new_workdir(candidate: str) -> Path:
    folder = _slot_folder(_own_slot())
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{candidate}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o700)
    return path


# --- claims: one grader process per candidate at a time ---------------------------------------


def claims_folder(course: Path, slug: str) -> Path:
    """COURSE/.datalit/claims/<exercise>/: one lock file per candidate."""
    return Path(course) / ".datalit" / "claims" / slug


def try_claim(course: Path, slug: str, candidate: str) -> int | None:
    """Claim a candidate for this process: an open, exclusively locked descriptor (close it to
    release; the kernel releases it when the process dies), or None if another process holds it.
    The descriptor is not inherited by child processes (O_CLOEXEC, and workers are spawned)."""
    folder = claims_folder(course, slug)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{candidate}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
