"""The slots' work folders: `work_root()/slot-<n>/` (a folder of this user only), emptied by
whoever claims the slot, and `remove_tree` for the trees candidates leave in them."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from datalit.errors import DatalitError

WORK_ROOT_ENV = "DATALIT_WORK_ROOT"
"""Where the slots' work folders live (default: `<tmp>/datalit-work-<uid>`)."""


def work_root() -> Path:
    """The folder holding the slots' work folders (created 0700, refused if it is a symlink
    or belongs to another user: it lives in a shared temporary folder)."""
    configured = os.environ.get(WORK_ROOT_ENV)
    root = (
        Path(configured)
        if configured
        else Path(tempfile.gettempdir()) / (f"datalit-work-{os.geteuid()}")
    )
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700, parents=True)
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise DatalitError(
            f"the grader's work folder {root} is not a folder of this user; remove it (or set "
            f"{WORK_ROOT_ENV} to another folder) and grade again"
        )
    return root


def _slot_folder(slot: int) -> Path:
    return work_root() / f"slot-{slot}"


def _reset_slot_folder(slot: int) -> None:
    """Empty the slot's work folder (its holder is gone: whatever is there is a leftover)."""
    folder = _slot_folder(slot)
    if folder.exists() or folder.is_symlink():
        remove_tree(folder)
    folder.mkdir(mode=0o700)


def remove_tree(path: Path) -> None:
    """Delete `path` and everything below it without following symlinks. A candidate controls
    the tree (depth, names, modes): shutil.rmtree recurses once per level and fails on a tree
    thousands of levels deep, so GNU rm (which does not recurse on the stack) finishes the job."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        pass
    subprocess.run(
        ["rm", "-rf", "--one-file-system", "--", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=600,
    )
