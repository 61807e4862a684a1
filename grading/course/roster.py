"""The roster: `Candidate`, reading a roster CSV (`load_roster`, every id checked against the
folder-name rule) and a candidate's name and email as nbgrader's student fields."""

from __future__ import annotations

import csv
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument

MAX_ROSTER_BYTES = 10 * 1024**2


@dataclass(frozen=True)
class Candidate:
    """One row of the roster."""

    id: str
    """Letters, digits, -, _ and . (not first), at most 64 characters; becomes a folder name and
    the nbgrader student id."""
    name: str = ""
    email: str = ""


# Names the course layout uses for itself next to candidates' files.
RESERVED_IDS = {"cohort"}


def _id_problem(value: str) -> str | None:
    if not value:
        return "the id is empty"
    if len(value) > 64:
        return f"the id is {len(value)} characters long; at most 64 are allowed"
    if value.startswith("."):
        return f"the id {value!r} starts with '.'"
    bad = sorted({ch for ch in value if not re.match(r"[A-Za-z0-9_.-]", ch)})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        return f"the id {value!r} contains {shown}; use only letters, digits, -, _ and ."
    if value.lower() in RESERVED_IDS:
        return f"the id {value!r} is reserved (reports/<exercise>/{value}.html is the cohort view)"
    return None


def load_roster(csv_path: Path) -> list[Candidate]:
    """Read a roster CSV: an `id` column, optional `name` and `email` columns (others ignored).

    Raises:
        InvalidArgument: naming the row (as a spreadsheet numbers it, header = row 1) and what is
            wrong: a missing id column, an invalid or repeated id (ids differing only in case
            count as repeated: they would collide on case-insensitive file systems), an empty
            roster, a file that is not UTF-8 text.
    """
    path = Path(csv_path)
    try:
        info = path.stat()
    except OSError as exc:
        raise InvalidArgument(f"cannot read the roster {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidArgument(f"the roster {path} is not a file")
    if info.st_size > MAX_ROSTER_BYTES:
        raise InvalidArgument(f"the roster {path} is {info.st_size:,} bytes; is it the right file?")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"the roster {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise InvalidArgument(f"the roster {path} is empty; it needs a header row with `id`")
    columns = [h.strip().lower() for h in header]
    if "id" not in columns:
        raise InvalidArgument(
            f"the roster {path} has no `id` column (header: {', '.join(header)}); "
            "the first row must name the columns: id, and optionally name and email"
        )
    position = {name: columns.index(name) for name in ("id", "name", "email") if name in columns}
    candidates: list[Candidate] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in position.items()}
        problem = _id_problem(cells["id"])
        if problem:
            raise InvalidArgument(f"roster {path}, row {number}: {problem}")
        folded = cells["id"].lower()
        if folded in first_row:
            raise InvalidArgument(
                f"roster {path}, row {number}: the id {cells['id']!r} repeats row "
                f"{first_row[folded]} (ids must be unique, ignoring case)"
            )
        first_row[folded] = number
        candidates.append(Candidate(cells["id"], cells.get("name", ""), cells.get("email", "")))
    if not candidates:
        raise InvalidArgument(f"the roster {path} lists no candidates")
    return candidates


def student_fields(candidate: Candidate) -> dict[str, str]:
    """The roster's name and email as nbgrader's student fields (formgrader shows them): the
    name's first word is the first name, the rest the last name; empty fields are left out."""
    first, _, last = candidate.name.strip().partition(" ")
    fields = {"first_name": first, "last_name": last.strip(), "email": candidate.email}
    return {k: v[:128] for k, v in fields.items() if v}
