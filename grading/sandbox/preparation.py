"""Trusted preparation of a run: the submitted notebook reduced to code, the work dir filled.

Owns reading the submission (size-capped, never following a link), parsing it leniently into its
code cells' sources (nothing else of it is trusted: outputs must come from this run), writing a
fresh minimal notebook of those sources, and checking and copying the declared inputs into the
work dir as regular files. Everything here runs in the grader's process before any candidate
code, so every refusal is a reason a candidate can read (`_Invalid`) or a set-up error
(InvalidArgument), never a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import nbformat
from nbformat import v4 as nbv4

from datalit.errors import InvalidArgument
from datalit.grading.sandbox.limits import (
    MAX_CELLS,
    MAX_CODE_CELLS,
    MAX_NOTEBOOK_BYTES,
    PRIVATE_DIR,
    SUBMISSION,
)


class _Invalid(Exception):
    """The submitted notebook cannot be run; the message completes "the notebook ..."."""


def _read_regular(path: Path, cap: int, what: str) -> bytes:
    """Read a regular file without following a symlink in its last component, at most `cap`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _Invalid(f"{what} does not exist") from None
    except OSError as e:
        if os.path.islink(path):
            raise _Invalid(f"{what} is a symbolic link, not a file") from None
        raise _Invalid(f"{what} cannot be read ({e.strerror})") from None
    # fstat before fdopen: opening a folder succeeds with O_RDONLY, and fdopen would then raise
    # IsADirectoryError instead of our reason.
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        raise _Invalid(f"{what} is not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise _Invalid(f"{what} is larger than {cap // 1024**2} MB")
    return data


def _code_sources(notebook: Path) -> list[str]:
    """The code cells' sources of the submitted notebook; nothing else of it is trusted."""
    try:
        data = _read_regular(notebook, MAX_NOTEBOOK_BYTES, "file")
    except _Invalid as e:
        # _read_regular's reasons start with what was read ("file is a symbolic link"); here
        # they complete "the submitted notebook ...".
        raise _Invalid(str(e).removeprefix("file ")) from None
    try:
        text = data.decode("utf-8-sig")  # a BOM is harmless; UTF-16 and others are refused
    except UnicodeDecodeError:
        raise _Invalid("is not UTF-8 text (Jupyter saves notebooks as UTF-8 JSON)") from None
    if not text.strip():
        raise _Invalid("is empty")
    try:
        raw = json.loads(text)
    except RecursionError:
        raise _Invalid("is nested too deeply to be a notebook") from None
    except json.JSONDecodeError as e:
        raise _Invalid(f"is not valid JSON ({e.msg} at line {e.lineno})") from None
    except ValueError as e:  # e.g. an integer literal with thousands of digits
        raise _Invalid(f"is not a notebook Python can read ({str(e)[:120]})") from None
    if not isinstance(raw, dict):
        raise _Invalid("is JSON but not a Jupyter notebook (no list of cells)")
    major = raw.get("nbformat")
    if type(major) is int and major != 4:
        # Before the cells check: a version 3 notebook keeps its cells in "worksheets".
        raise _Invalid(
            f"uses notebook format version {major}; only version 4 (Jupyter 4 and later) is "
            "accepted: open it in JupyterLab and save it again"
        )
    if not isinstance(raw.get("cells"), list):
        raise _Invalid("is JSON but not a Jupyter notebook (no list of cells)")
    # Counted before nbformat converts every cell (slow for 10^5 of them).
    code_cells = sum(isinstance(c, dict) and c.get("cell_type") == "code" for c in raw["cells"])
    if code_cells > MAX_CODE_CELLS:
        raise _Invalid(f"has more than {MAX_CODE_CELLS} code cells")
    if len(raw["cells"]) > MAX_CELLS:
        raise _Invalid(f"has more than {MAX_CELLS} cells")
    if type(major) is not int:
        raise _Invalid(
            f"uses notebook format version {major!r}; only version 4 (Jupyter 4 and later) "
            "is accepted: open it in JupyterLab and save it again"
        )
    try:
        nb = nbformat.from_dict(raw)
    except (RecursionError, TypeError, ValueError):
        raise _Invalid("is not a readable Jupyter notebook") from None
    # Deliberately lenient: only what we use is checked (cell types and code sources). The
    # metadata and outputs are discarded anyway, and rejecting a notebook over a metadata glitch
    # of some editor would cost a candidate their grade for nothing.
    sources: list[str] = []
    for i, cell in enumerate(nb.cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise _Invalid(f"has a malformed cell (cell {i} has no cell type)")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise _Invalid(f"has a malformed code cell (cell {i}: source is not text)")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as e:
            # JSON can spell a lone surrogate (\ud800) that no UTF-8 file can hold.
            raise _Invalid(
                f"has a code cell (cell {i}) holding a character that is not valid Unicode "
                f"(U+{ord(source[e.start]):04X}, half of a surrogate pair); remove it and save "
                "again"
            ) from None
        sources.append(source.replace("\x00", ""))
    if len(sources) > MAX_CODE_CELLS:
        raise _Invalid(f"has more than {MAX_CODE_CELLS} code cells")
    return sources


def _fresh_notebook(sources: list[str], outputs: list[list] | None = None, counts=None):
    cells = []
    for k, source in enumerate(sources, start=1):
        cell = nbv4.new_code_cell(source=source, id=f"cell-{k}")
        if outputs is not None:
            cell.outputs = outputs[k - 1]
            cell.execution_count = counts[k - 1]
        cells.append(cell)
    return nbv4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )


def _destination(workdir: Path, relative: str) -> Path:
    rel = PurePosixPath(str(relative))
    if (
        rel.is_absolute()
        or not rel.parts
        or any(p in ("", ".", "..") for p in rel.parts)
        or rel.parts[0] in (PRIVATE_DIR, SUBMISSION)
        or "\x00" in str(rel)
    ):
        raise InvalidArgument(
            f"input destination {relative!r} must be a relative path inside the work dir "
            f"(no '..', not {PRIVATE_DIR}/ or {SUBMISSION})"
        )
    return workdir.joinpath(*rel.parts)


def _check_input(source: Path) -> None:
    try:
        st = os.lstat(source)
    except OSError as e:
        raise InvalidArgument(f"input file {source} cannot be read ({e.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InvalidArgument(
            f"input file {source} is a symbolic link; inputs must be regular files"
        )
    if not stat.S_ISREG(st.st_mode):
        raise InvalidArgument(f"input {source} is not a regular file")


def _copy_input(source: Path, dest: Path) -> None:
    # Checked again on the open descriptor: the lstat above only gave an early, clear error.
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise InvalidArgument(f"input file {source} cannot be opened ({e.strerror})") from None
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise InvalidArgument(f"input {source} is not a regular file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        out_fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(out_fd, "wb") as out:
            shutil.copyfileobj(src, out, 1024**2)


def _check_workdir(workdir: Path, inputs: Mapping[str, Path]) -> dict[Path, Path]:
    """Check the work dir and the inputs before anything is written; create the work dir if
    needed. Returns {destination: source} of the inputs."""
    copies: dict[Path, Path] = {}
    for relative, source in inputs.items():
        dest = _destination(workdir, relative)
        if dest in copies:
            raise InvalidArgument(f"input destination {relative!r} is given twice")
        _check_input(Path(source))
        copies[dest] = Path(source)
    dests = set(copies)
    for dest in dests:
        if any(parent in dests for parent in dest.parents):
            raise InvalidArgument(
                f"input destination {dest.relative_to(workdir)} is inside another input"
            )
    if workdir.is_symlink():
        raise InvalidArgument(f"work dir {workdir} is a symbolic link")
    if workdir.exists():
        if not workdir.is_dir() or any(workdir.iterdir()):
            raise InvalidArgument(f"work dir {workdir} must be a new or empty directory")
    else:
        workdir.mkdir(parents=True)
    os.chmod(workdir, 0o700)
    return copies


def _fill_workdir(workdir: Path, copies: dict[Path, Path], sources: list[str]) -> None:
    os.chmod(workdir, 0o700)
    (workdir / PRIVATE_DIR).mkdir(mode=0o700)
    nbformat.write(_fresh_notebook(sources), str(workdir / SUBMISSION))
    for dest, source in copies.items():
        _copy_input(source, dest)


def _chown_tree(root: Path, uid: int) -> None:
    os.lchown(root, uid, uid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, uid)
