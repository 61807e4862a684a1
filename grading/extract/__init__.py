"""Extract stage: read the candidate's declared outputs back as plain data, outside the sandbox.

The work dir was written by hostile code, so every output is treated as an attack until proven
otherwise:

- **Opening.** The path is walked one component at a time with `O_NOFOLLOW` relative to the
  previous directory's file descriptor, so a symlink anywhere (`outputs -> /etc`, or the file
  itself pointing at a key) is refused rather than followed, and nothing outside the work dir can
  be reached. Before opening, `lstat` must say "regular file": FIFOs (which would block a reader
  forever), devices (whose open can have side effects), sockets and folders are refused without
  being opened. The file is then opened with `O_NONBLOCK` as well and checked again with `fstat`
  on the open descriptor, which closes the race between the check and the open.
- **Size.** The size limit is checked on the open descriptor, and at most `max_bytes + 1` bytes are
  read, so a file that grows while we read is still caught.
- **Parsing.** Plain data only: never pickle, never pandas' compression guessing.
  CSV goes through Arrow's CSV reader with every column typed as text, because it is the reader
  that refuses ragged rows and says which row is wrong: pandas' C engine silently pads a short
  row with "" (or NaN), silently drops a trailing extra field when every row has one, and renames
  duplicate headers `x`, `x.1`. JSON is small by declaration (1 MB by default) and its values
  and nesting are counted on the bytes before anything is built (`json.loads` costs ~60 bytes
  of memory per value, so a file of `{}` would cost 30 times its size); then `json.loads` with
  NaN/Infinity and duplicate keys refused. Parquet is read with pyarrow from the bytes already read, with
  string columns kept dictionary-encoded until their decoded size is checked (a small file can
  decode to gigabytes), and every column is then rendered as text, for the reason below. The
  file's pandas metadata is never interpreted (no `to_pandas` on the file's schema), pyarrow
  (>= 14) never unpickles extension types, and columns of any type without one plain text form
  (lists, structs, binary, extension types) are refused with a reason.
- **Encoding.** Text must be UTF-8 (a UTF-8 byte-order mark is accepted and dropped). Latin-1,
  Windows-1252 and UTF-16 files are refused with a reason naming what the file looks like, rather
  than decoded by guesswork: the exercises plant mojibake on purpose, and silently re-decoding a
  candidate's file could hide (or create) exactly what is being assessed. The README brief asks
  for UTF-8, and `DataFrame.to_csv` writes it by default.

Tables always come back as text (pandas ``str`` columns), whatever their format, so the checks see
what the candidate wrote and CSV and Parquet outputs are judged alike: a Parquet int64 column and
a CSV column of digits both arrive as "100123" and are typed the same way by the validate stage.
Text uses the kit's canonical form (`datalit.generators.text`: shortest round-trip numbers,
`YYYY-MM-DD HH:MM:SS` timestamps, ``true``/``false``), and a missing value is "" as in a CSV file.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise, Output
from datalit.grading.extract.json_answers import _parse_json
from datalit.grading.extract.limits import MAX_JSON_DEPTH, MISSING, OK, UNREADABLE, Unusable
from datalit.grading.extract.opening import _read_bytes, copy_outputs
from datalit.grading.extract.tables import _parse_csv, _parse_parquet
from datalit.grading.results import Extracted, OutputFile


def extract(exercise: Exercise, workdir: Path) -> Extracted:
    """Read every declared output of `exercise` from `workdir`, never raising for bad files.

    Args:
        exercise: The exercise whose `outputs` say what to read and the limits that apply.
        workdir: The sandbox's work dir (trusted path; everything inside it is not).

    Returns:
        One `OutputFile` per declared output: ``ok`` with the data, ``missing`` when the file was
        not written (its parts are not attempted), or ``unreadable`` with a reason the candidate
        can act on.

    Raises:
        InvalidArgument: `workdir` itself does not exist (a grader problem).
    """
    if not Path(workdir).is_dir():
        # The grader's own mistake, not the candidate's: do not report it as "not written".
        raise InvalidArgument(f"work dir {workdir} does not exist")
    return Extracted(outputs={o.name: extract_output(o, Path(workdir)) for o in exercise.outputs})


def extract_output(output: Output, workdir: Path) -> OutputFile:
    """Read one declared output (see `extract`)."""
    try:
        opened = _read_bytes(output, workdir)
    except FileNotFoundError:
        return OutputFile(
            name=output.name,
            status=MISSING,
            reason=f"{output.path} was not written (not attempted)",
        )
    except Unusable as exc:
        return OutputFile(name=output.name, status=UNREADABLE, reason=str(exc))
    try:
        if output.kind == "json":
            return OutputFile(
                name=output.name,
                status=OK,
                data=_parse_json(opened.data, output.path, output.max_items),
                sha256=opened.sha256,
            )
        if PurePosixPath(output.path).suffix.lower() == ".parquet":
            table = _parse_parquet(opened.data, output)
        else:
            table = _parse_csv(opened.data, output)
    except Unusable as exc:
        return OutputFile(
            name=output.name, status=UNREADABLE, reason=str(exc), sha256=opened.sha256
        )
    return OutputFile(name=output.name, status=OK, table=table, sha256=opened.sha256)


__all__ = [
    "MAX_JSON_DEPTH",
    "MISSING",
    "OK",
    "UNREADABLE",
    "Unusable",
    "copy_outputs",
    "extract",
    "extract_output",
]
