"""A delivered table compared row by row with the candidate's own true table (`rows` parts).

Format checks (columns present, values in a set, unique ids) hold for any well-formed table,
including another candidate's: they cannot tell whether the cleaning was done on this
candidate's data. A `rows` part can. At release, `truth.py` gives the table a careful analyst
would deliver for that variant; it is written to `keys/<c>/<ex>/expected/` (instructor-only,
never in the sandbox). The score stage joins the delivered table to it on the part's key and
measures two things:

- **which rows**: when the true table drops rows of the raw table (orphans, rows without a
  label), the F1 of the keys the candidate dropped against the keys that had to go; when it
  drops none, the share of true keys present. Either way times the share of delivered rows that
  are distinct true rows (repeated keys and keys that are no row of the raw table cost).
- **each compared column**: how much of what needed fixing was fixed, net of what was broken.
  With ``match`` the share of true rows whose delivered value matches the truth (a missing row
  matches nothing) and ``raw`` the same share for the raw table left as it was, a column earns
  ``(match - raw) / (1 - raw)``, at least 0: leaving the column as it was earns nothing, fixing
  every planted cell and breaking none earns all. On a column without planted cells (``raw`` is
  1) the baseline is chance instead, as in Cohen's kappa: the agreement the delivered column
  would reach with its values shuffled among the joined rows. A table copied from another
  variant, a column shifted by one row or a constant therefore earn about nothing, even on a
  column of four statuses where a random value is right a third of the time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from datalit.exercise import Exercise, Part
from datalit.grading.parts.rows import RowColumn

EXPECTED_DIR = "expected"
BOUNDARY_SLACK = 1e-9
MISMATCH_SAMPLE = 10
"""Mismatched rows shown per column in the reviewer view."""


@dataclass(frozen=True)
class ExpectedTable:
    """The true table of one output, as text, and the raw rows it drops."""

    table: pd.DataFrame
    dropped: frozenset[str] = frozenset()
    """Keys of the raw source table that are not rows of the true table."""
    raw_match: dict[str, float] = field(default_factory=dict)
    """Per compared column: the share of true rows the raw table, left as it was, gets right."""
    raw_rows: int | None = None
    """Rows of the raw source table (the candidate has that file and can count them): the
    measure of a table cut down to a few rows, which no hidden count may be (None: unknown)."""


@dataclass(frozen=True)
class ColumnComparison:
    name: str
    present: bool
    match: float
    """Share of true rows whose delivered value matches."""
    chance: float
    """Agreement expected by chance among the joined rows."""
    baseline: float
    """What earns nothing: the raw table's match share, or chance where the raw table is right."""
    score: float
    """Agreement beyond the baseline, in [0, 1]."""
    mismatches: tuple[tuple[str, str, str], ...] = ()
    """(key, true value, delivered value) of the first mismatched rows (reviewer view)."""
    delivered_match: float = 0.0
    """Share of the delivered true rows whose value matches (0.0 when none was delivered): what
    the candidate's word for the column says, so that it depends on their own rows only, never
    on how many true rows there are (a cut-down table of right values reads "every row
    matches"; its missing rows are the rows feedback's to report)."""


@dataclass(frozen=True)
class RowsComparison:
    delivered_rows: int
    true_rows: int
    present: int
    """True keys found in the delivered table."""
    repeated: int
    """Delivered rows whose key was already seen (or is empty)."""
    invented: int
    """Distinct delivered keys that are neither true rows nor dropped raw rows."""
    kept_wrongly: int
    """Keys that had to be dropped and were kept."""
    dropped_wrongly: int
    """True keys missing from the delivered table."""
    must_drop: int
    keep_score: float
    distinct_share: float
    columns: tuple[ColumnComparison, ...] = field(default=())

    @property
    def key_score(self) -> float:
        return self.keep_score * self.distinct_share


# --- the expected tables: written at release, read by the trusted worker ----------------------


def key_text(values: pd.Series) -> pd.Series:
    """Keys as comparable text: stripped, and 100123.0 (a float-written integer) is 100123."""
    text = values.astype("string").fillna("").str.strip()
    whole = text.str.fullmatch(r"[+-]?[0-9]+\.0*")
    return text.where(~whole, text.str.replace(r"\.0*$", "", regex=True)).astype(str)


KEY_SEPARATOR = "\x1f"
"""Joins the columns of a several-column key (a character no id contains)."""


def row_keys(frame: pd.DataFrame, part: Part) -> pd.Series:
    """Each row's key as comparable text; a several-column key joins its columns' texts (empty
    when any of them is empty)."""
    parts = [key_text(frame[c]) for c in part.settings.key_columns]
    if len(parts) == 1:
        return parts[0]
    joined = parts[0].str.cat(parts[1:], sep=KEY_SEPARATOR)
    empty = np.logical_or.reduce([(p == "").to_numpy() for p in parts])
    return joined.where(~empty, "").astype(str)


def has_key(frame: pd.DataFrame, part: Part) -> bool:
    return all(c in frame.columns for c in part.settings.key_columns)


def write_expected(
    folder: Path, exercise: Exercise, tables: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame]
) -> None:
    """Write each rows part's true table (canonical CSV text) and the raw keys it drops."""
    from datalit.generators.output import write_csv

    parts = exercise.row_parts
    if not parts:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for part in parts:
        output = exercise.output(part.output)
        table = tables[part.output]
        write_csv(table, folder / f"{part.output}.csv")
        dropped: list[str] = []
        raw_match: dict[str, float] = {}
        source = raw.get(output.source_table)
        raw_rows = len(source) if source is not None else None
        if source is not None and has_key(source, part):
            kept = set(row_keys(table, part))
            dropped = sorted(set(row_keys(source, part)) - kept - {""})
            as_text = text_frame(table)
            untouched = compare_rows(
                part, text_frame(source), ExpectedTable(as_text, frozenset(dropped))
            )
            raw_match = {c.name: round(c.match, 6) for c in untouched.columns if c.present}
        meta = {
            "key": part.settings.key,
            "dropped": dropped,
            "raw_match": raw_match,
            "raw_rows": raw_rows,
        }
        (folder / f"{part.output}.json").write_text(json.dumps(meta), encoding="utf-8")


def text_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A table in the canonical text form of the kit's CSV files (what a candidate reads)."""
    from datalit.generators.text import as_text_column

    return pd.DataFrame({c: as_text_column(table[c]).astype(str) for c in table.columns})


def read_expected(folder: Path, exercise: Exercise) -> dict[str, ExpectedTable]:
    """The true tables of the exercise's rows parts (empty when it has none)."""
    out: dict[str, ExpectedTable] = {}
    for part in exercise.row_parts:
        if part.output in out:
            continue
        # Written by the kit at release (trusted): all text, as the raw data files are read.
        table = pd.read_csv(
            folder / f"{part.output}.csv", dtype=str, keep_default_na=False, compression=None
        )
        meta = json.loads((folder / f"{part.output}.json").read_text(encoding="utf-8"))
        raw_rows = meta.get("raw_rows")
        if raw_rows is None:
            raw_rows = _manifest_raw_rows(folder, exercise.output(part.output).source_table)
        out[part.output] = ExpectedTable(
            table, frozenset(meta["dropped"]), dict(meta.get("raw_match", {})), raw_rows
        )
    return out


def _manifest_raw_rows(folder: Path, source_table: str) -> int | None:
    """The raw table's row count from the answer key's manifest beside `folder`
    (keys/<c>/<ex>/key/manifest.json, written by every release), for keys written before the
    expected tables recorded it."""
    try:
        manifest = json.loads((folder.parent / "key" / "manifest.json").read_text("utf-8"))
        rows = manifest["tables"][source_table]["raw_rows"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


# --- the comparison ---------------------------------------------------------------------------


def compare_rows(part: Part, table: pd.DataFrame, expected: ExpectedTable) -> RowsComparison:
    """Compare a delivered all-text table with the true table on `part.key`.

    The caller checks that `table` has the key column.
    """
    truth = expected.table
    true_keys = row_keys(truth, part)
    true_set = set(true_keys)
    keys = row_keys(table, part)
    first = ~keys.duplicated() & (keys != "")
    delivered = set(keys[first])
    present = delivered & true_set
    must_drop = set(expected.dropped)
    kept_wrongly = delivered & must_drop
    invented = delivered - true_set - must_drop
    dropped_wrongly = true_set - delivered
    if must_drop:
        dropped_right = len(must_drop - delivered)
        dropped_all = dropped_right + len(dropped_wrongly)
        keep_score = 2 * dropped_right / (dropped_all + len(must_drop))
    else:
        keep_score = len(present) / len(true_set) if true_set else 1.0
    distinct_share = len(present) / len(table) if len(table) else 0.0

    # Delivered values aligned to the true rows' order; NA where the row is missing.
    first_rows = table[first.to_numpy()]
    position = pd.Series(np.arange(len(first_rows)), index=keys[first].to_numpy())
    where = position.reindex(true_keys.to_numpy()).to_numpy()
    found = ~np.isnan(where)
    take = np.where(found, where, 0).astype(np.int64)
    columns = []
    for column in part.settings.columns:
        if column.name not in table.columns:
            columns.append(ColumnComparison(column.name, False, 0.0, 0.0, 0.0, 0.0))
            continue
        given = first_rows[column.name].astype(str).to_numpy()[take] if len(first_rows) else None
        if given is None:
            columns.append(ColumnComparison(column.name, True, 0.0, 0.0, 0.0, 0.0))
            continue
        columns.append(
            _compare_column(
                column,
                true_keys.to_numpy(),
                truth[column.name].to_numpy(),
                given,
                found,
                expected.raw_match.get(column.name, 1.0),
            )
        )
    return RowsComparison(
        delivered_rows=len(table),
        true_rows=len(true_set),
        present=len(present),
        repeated=int(len(table) - len(delivered)),
        invented=len(invented),
        kept_wrongly=len(kept_wrongly),
        dropped_wrongly=len(dropped_wrongly),
        must_drop=len(must_drop),
        keep_score=keep_score,
        distinct_share=distinct_share,
        columns=tuple(columns),
    )


def _compare_column(
    column: RowColumn,
    keys: np.ndarray,
    truth: np.ndarray,
    given: np.ndarray,
    found: np.ndarray,
    raw_match: float,
) -> ColumnComparison:
    true_values = _comparable(column, truth)
    given_values = _comparable(column, given)
    equal = _equal(column, true_values, given_values) & found
    n = len(truth)
    match = float(equal.sum()) / n if n else 1.0
    delivered = int(found.sum())
    delivered_match = float(equal.sum()) / delivered if delivered else 0.0
    chance = _chance(true_values[found], given_values[found])
    baseline = raw_match if raw_match < 1 - 1e-9 else chance
    # A baseline of 1 (one value everywhere) leaves nothing to correct for.
    score = match if baseline >= 1 - 1e-9 else max(0.0, (match - baseline) / (1 - baseline))
    bad = np.flatnonzero(~equal)[:MISMATCH_SAMPLE]
    sample = tuple(
        (
            str(keys[i]).replace(KEY_SEPARATOR, ", "),
            str(truth[i]),
            str(given[i]) if found[i] else "(row missing)",
        )
        for i in bad
    )
    return ColumnComparison(
        column.name, True, match, chance, baseline, min(score, 1.0), sample, delivered_match
    )


def _comparable(column: RowColumn, text: np.ndarray) -> np.ndarray:
    """Values in the column's comparison space: stripped text, float64, or UTC microseconds as
    float64 (NaN for missing or unreadable values)."""
    series = pd.Series(text, dtype="string").fillna("").str.strip()
    if column.compare == "text":
        return series.astype(str).to_numpy()
    if column.compare == "number":
        return pd.to_numeric(series.where(series != ""), errors="coerce").to_numpy(dtype=float)
    stamps = pd.to_datetime(series.where(series != ""), utc=True, format="ISO8601", errors="coerce")
    # Microseconds, whatever unit pandas picked: they reach year 9999 (sentinel dates), which
    # nanoseconds do not.
    micros = stamps.dt.as_unit("us").astype("int64").to_numpy(dtype=float)
    micros[stamps.isna().to_numpy()] = np.nan
    return micros


def _equal(column: RowColumn, truth: np.ndarray, given: np.ndarray) -> np.ndarray:
    if column.compare == "text":
        return truth == given
    both_missing = np.isnan(truth) & np.isnan(given)
    if column.compare == "number":
        allowed = np.maximum(column.tolerance * np.abs(truth), column.abs_tolerance)
        slack = BOUNDARY_SLACK * np.maximum(np.abs(truth), 1.0)
    else:
        allowed = np.full(len(truth), column.abs_tolerance * 1e6)
        slack = np.full(len(truth), 0.5)
    with np.errstate(invalid="ignore"):
        close = np.abs(given - truth) <= allowed + slack
    return both_missing | np.nan_to_num(close, nan=0).astype(bool)


def _chance(truth: np.ndarray, given: np.ndarray) -> float:
    """Agreement of two columns by chance: the sum over values of the product of their shares.
    Exact equality stands in for the tolerance (values within it are rarely a large share)."""
    if len(truth) == 0:
        return 0.0
    t = pd.Series(truth).value_counts(normalize=True, dropna=False)
    g = pd.Series(given).value_counts(normalize=True, dropna=False)
    both = t.index.intersection(g.index)
    return float((t[both] * g[both]).sum()) if len(both) else 0.0


def agreement_word(share: float) -> str:
    """A candidate-facing word for a share of rows (never the share itself). Give it a share of
    rows the candidate delivered (`ColumnComparison.delivered_match`): a share of the true rows
    would change word at a fraction of their hidden count as the table is cut down."""
    if share >= 1 - 1e-12:
        return "every row matches"
    if share >= 0.9:
        return "most rows match, some do not"
    if share >= 0.5:
        return "many rows do not match"
    return "most rows do not match"
