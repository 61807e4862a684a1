"""Handing work out and taking it back: due times, submission times, the candidate id stamped
into each release, one zip per candidate and the organiser's mail-merge CSV.

`release` stamps every candidate's notebook (``metadata.datalit``) and README with their id, so
a submission sent back under any file name can be matched to its candidate (`stamped_id`). The
due time given to ``release --due`` is kept in each candidate's keys/<c>/<ex>/answers.json (one
per candidate, so an extension for one person is an edit of one file); a submission's own time
is the newest file time inside what they sent, written to nbgrader's timestamp.txt.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

from datalit.errors import InvalidArgument

DUE_KEY = "due"
"""answers.json: the due time, ISO 8601 in UTC (absent: no due time)."""
STAMP_KEY = "datalit"
"""The notebook-level metadata key holding {"candidate": id, "exercise": slug}."""


# --- due and submission times ------------------------------------------------------------------


def parse_due(text: str) -> dt.datetime:
    """`--due`: an ISO 8601 date and time ("2026-12-15 17:00", "2026-12-15T17:00+01:00",
    "2026-12-15T16:00Z") or a date (the end of that day). Without an offset the time is this
    machine's local time. Returns an aware UTC time.

    Raises:
        InvalidArgument: not a date or time.
    """
    value = text.strip()
    try:
        if len(value) == 10:  # a date alone: due at the end of that day
            day = dt.date.fromisoformat(value)
            stamp = dt.datetime.combine(day, dt.time(23, 59, 59))
        else:
            stamp = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidArgument(
            f"--due {text!r} is not a date and time; give ISO 8601, e.g. 2026-12-15T17:00 "
            "(this machine's time zone), 2026-12-15T17:00+01:00 or 2026-12-15 (end of the day)"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.astimezone()  # local time, as the organiser reads their clock
    return stamp.astimezone(dt.UTC).replace(microsecond=0)


def format_time(stamp: dt.datetime | None) -> str:
    """An aware time as ISO 8601 UTC with a Z ("" for None): how answers.json and exports
    write times."""
    if stamp is None:
        return ""
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recorded_due(answers_file: Path) -> dt.datetime | None:
    """The due time recorded at release in keys/<c>/<ex>/answers.json (aware UTC), or None."""
    try:
        text = json.loads(Path(answers_file).read_text(encoding="utf-8")).get(DUE_KEY)
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


def submission_time(course: Path, slug: str, candidate: str) -> dt.datetime | None:
    """The time of a collected submission: nbgrader's submitted/<c>/<ex>/timestamp.txt, as
    aware UTC. The file sits in a folder that came from a candidate: at most 256 bytes are read,
    never through a symlink, and a value that does not parse is ignored."""
    path = Path(course) / "submitted" / candidate / slug / "timestamp.txt"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        text = os.read(fd, 256).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)
    try:
        # The form collect writes; importing nbgrader's general parser costs 0.7 s, so it is
        # only the fallback (a timestamp.txt written by nbgrader's own tools).
        stamp = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f UTC")
    except ValueError:
        from nbgrader.utils import parse_utc

        try:
            stamp = parse_utc(text).replace(tzinfo=None)
        except (ValueError, OverflowError, TypeError):
            return None
    if stamp.year < 1970:
        return None
    return stamp.replace(tzinfo=dt.UTC)


def lateness(submitted: dt.datetime | None, due: dt.datetime | None) -> dt.timedelta | None:
    """How late a submission was (a positive time), or None when it was on time or either time
    is unknown."""
    if submitted is None or due is None or submitted <= due:
        return None
    return submitted - due


def late_text(late: dt.timedelta | None) -> str:
    """'2 d 3 h 5 min' style, for tables ("" when on time)."""
    if late is None:
        return ""
    minutes = max(1, int(late.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(p for p in parts if p and not (p == "0 min" and (days or hours)))


# --- the candidate's stamp -----------------------------------------------------------------------


def stamp_notebook(notebook: bytes, candidate: str, slug: str) -> bytes:
    """The release notebook with ``metadata.datalit = {"candidate", "exercise"}``: how collect
    knows whose notebook came back under any file name. Cells are untouched (nbgrader's
    checksums stay valid)."""
    import nbformat

    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    nb.metadata[STAMP_KEY] = {"candidate": candidate, "exercise": slug}
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def stamp_readme(readme: str, candidate: str) -> str:
    """The README with the candidate's id under its first heading."""
    line = (
        f"\n*Candidate id: `{candidate}`. It is recorded in the notebook too: keep working in "
        "this notebook and send back this folder (or a zip of it).*\n"
    )
    head, sep, rest = readme.partition("\n")
    return head + "\n" + line + (rest if sep else "")


def stamped_id(notebook: Path, max_bytes: int) -> tuple[str, str] | None:
    """(candidate, exercise) stamped in a submitted notebook, or None when there is no usable
    stamp. The notebook came from a candidate: read at most `max_bytes` without following a
    symlink, and anything that is not a short string pair counts as no stamp."""
    try:
        fd = os.open(notebook, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(max_bytes + 1)
    finally:
        os.close(fd)
    try:
        stamp = json.loads(data).get("metadata", {}).get(STAMP_KEY)
        candidate, slug = stamp["candidate"], stamp["exercise"]
    except (ValueError, RecursionError, AttributeError, TypeError, KeyError):
        return None
    if not (isinstance(candidate, str) and isinstance(slug, str)):
        return None
    if not (0 < len(candidate) <= 64 and 0 < len(slug) <= 128):
        return None
    return candidate, slug


# --- zips and the mail-merge list ---------------------------------------------------------------

HANDOUT = "handout"
MAIL_MERGE = "mail-merge.csv"
# Every entry of a hand-out zip carries this time, so releasing the same variant again writes the
# same bytes (the candidate's edits are then the newest times in what they send back).
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def handout_dir(course: Path, slug: str) -> Path:
    """COURSE/handout/<exercise>/: one zip per candidate and the mail-merge CSV."""
    return Path(course) / HANDOUT / slug


def zip_path(course: Path, slug: str, candidate: str) -> Path:
    return handout_dir(course, slug) / f"{slug}-{candidate}.zip"


def write_zip(release_dir: Path, target: Path, top: str) -> bool:
    """Zip a release folder as `top/…` into `target` (written aside, then renamed into place).
    Returns False when `target` already held these bytes (left as it was)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(release_dir.rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            name = f"{top}/{path.relative_to(release_dir).as_posix()}"
            info = zipfile.ZipInfo(name + ("/" if path.is_dir() else ""), date_time=ZIP_TIME)
            info.create_system = 3  # unix, so the permissions below are read
            if path.is_dir():
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    try:
        if target.read_bytes() == data:
            return False
    except OSError:
        pass
    _write_atomic(target, data)
    return True


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part-{os.getpid()}")
    part.write_bytes(data)
    os.replace(part, target)


def write_mail_merge(course: Path, slug: str, rows: list[dict[str, str]]) -> Path:
    """COURSE/handout/<exercise>/mail-merge.csv: id, name, email, due, zip (absolute path), one
    row per released candidate; safe to open in a spreadsheet (no cell runs as a formula)."""
    import csv
    import io

    from datalit.grading.report import csv_cell

    columns = ["id", "name", "email", "due", "zip"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(row.get(k, "")) for k in columns})
    target = handout_dir(course, slug) / MAIL_MERGE
    _write_atomic(target, buffer.getvalue().encode("utf-8"))
    return target
