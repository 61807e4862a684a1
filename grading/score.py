"""Score stage: points per part, from the suite results and the answer key.

Maxima always come from the exercise (`Part.points`), never from the submission. Candidate-facing
feedback never contains a true value, a true id or a true count: it says how many things the
candidate gave and, qualitatively, what kind of mistake was made. The numbers a reviewer needs
(precision, recall, the compared values) go into `PartScore.details`, which only the reviewer
view shows.

No candidate-visible text and no step in the points sits at a place set by a hidden value (the
clean row count, a true count, a hidden suite parameter): with immediate feedback a candidate
could resubmit to find the place and so the value. A threshold on what the candidate delivers is
measured against what they were given (the raw table's row count, which they can count
themselves); a word about their values is a share of their own rows. Points still measure
agreement with the truth, smoothly: that is the grade.

Part kinds:

- ``suite``: the points of the passed expectations of that part (suite.json meta); on a table
  without rows, checks of each row's values pass vacuously and earn nothing, and so they do on a
  table with less than half the rows of the raw table it is cleaned from (a few hand-picked clean
  rows prove nothing about cleaning the table). The raw row count comes with the true table
  (`ExpectedTable.raw_rows`, recorded at release); a suite table that no rows part reads has
  none, and only the no-rows rule applies to it.
- ``rows``: the delivered table joined to the candidate's own true table on the part's key
  (`grading/rows.py`): `key_share` of the points for keeping exactly the right rows, the rest
  shared by the compared columns, each earning its chance-corrected share of matching rows. The
  word shown per column describes the candidate's own rows that are true rows (a cut-down table
  of right values reads "every row matches"; the missing rows are reported once, above).
- ``ids``: F1 of the flagged ids against the key, times the part's points. Ids are compared as
  stripped text (100123 and "100123" match; 100123.0 is the integer 100123), each id counted
  once however often it is listed.
- ``numeric``: a number, or a dict of numbers (revenue by country); each expected entry within
  the relative tolerance (or the absolute one, when the part has one) earns an equal share of
  the points, a missing entry earns nothing and extra keys are ignored. A value that is not a
  finite float is not a number for its key, whatever its JSON type: text, true/false, null, a
  list, and an integer beyond a float's range (valid JSON may have 400 digits).
- ``spans``: character spans (id, start, end) in a table output against the key's spans, scored
  by F-beta (beta 2 by default: missing personal data costs more than over-redacting). A true
  span is found when a flagged span of the same id covers at least half of it; a flagged span is
  right when at least half of it lies on a true span.
- ``manual``: needs a reviewer; 0 points until graded in formgrader.
"""

from __future__ import annotations

import math
import reprlib
from itertools import islice
from pathlib import PurePosixPath
from typing import Any

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise, Part
from datalit.grading.results import (
    NEEDS_MANUAL,
    NOT_ATTEMPTED,
    SCORED,
    UNREADABLE,
    Extracted,
    OutputFile,
    PartScore,
    Score,
    Validation,
)
from datalit.grading.rows import ExpectedTable, agreement_word, compare_rows, has_key

# Absorbs float representation error at the tolerance boundary (e.g. 0.5% of 200.0), so that a
# value exactly at the tolerance counts, as documented.
BOUNDARY_SLACK = 1e-9
ROW_CHECKS = (
    "expect_column_values_",
    "expect_column_pair_values_",
    "expect_multicolumn_",
    "expect_compound_columns_",
    "expect_select_column_values_",
)
"""GX expectations that test each row (map expectations): they pass on a table without rows."""
_MISSING = object()
"""Marks an expected entry the candidate's answer does not have."""


def score(
    exercise: Exercise,
    extracted: Extracted,
    validation: Validation,
    *,
    answers: dict,
    expected: dict[str, ExpectedTable] | None = None,
) -> Score:
    """Score every part of `exercise`.

    Args:
        exercise: The exercise: parts, their points and which output each part reads.
        extracted: The extract stage's result.
        validation: The validate stage's result (suite parts).
        answers: The true answers (keys/<candidate>/<exercise>/answers.json "answers").
        expected: The true tables of rows parts, by output name (keys/<c>/<ex>/expected/),
            with the row count of the raw table each is cleaned from (suite parts use it).

    Returns:
        One `PartScore` per part, in the exercise's order.

    Raises:
        InvalidArgument: the answer key lacks a value a part needs (a kit problem).
    """
    scorers = {"ids": _ids_part, "numeric": _numeric_part, "spans": _spans_part}
    parts = []
    for part in exercise.parts:
        if part.kind == "manual":
            parts.append(
                PartScore(
                    id=part.id,
                    kind=part.kind,
                    title=part.title,
                    points=0.0,
                    max_points=part.points,
                    status=NEEDS_MANUAL,
                    feedback="A reviewer grades this part.",
                    details={"cell": part.cell},
                )
            )
            continue
        output = extracted.outputs.get(part.output)
        if output is None or output.status != "ok":
            parts.append(_not_usable(part, output))
            continue
        if part.kind == "suite":
            rows = len(output.table) if output.table is not None else None
            known = (expected or {}).get(part.output)
            raw_rows = known.raw_rows if known is not None else None
            source = exercise.output(part.output).source_table
            parts.append(_suite_part(part, validation, rows, raw_rows, source))
        elif part.kind == "rows":
            if expected is None or part.output not in expected:
                raise InvalidArgument(
                    f"the answer key has no true table for {part.output!r} (needed by part "
                    f"{part.id!r}); release the exercise again to write keys/…/expected/"
                )
            where = PurePosixPath(exercise.output(part.output).path).name
            parts.append(_rows_part(part, output, expected[part.output], where))
        else:
            # Reasons name the file as the candidate wrote it, e.g. "flags.json has no key …".
            where = PurePosixPath(exercise.output(part.output).path).name
            parts.append(scorers[part.kind](part, output, answers, where))
    return Score(parts=tuple(parts))


def _part(part: Part, points: float, status: str, feedback: str, **details: Any) -> PartScore:
    return PartScore(
        id=part.id,
        kind=part.kind,
        title=part.title,
        points=points,
        max_points=part.points,
        status=status,
        feedback=feedback,
        details=details,
    )


def _not_usable(part: Part, output: OutputFile | None) -> PartScore:
    if output is None or output.status == "missing":
        reason = output.reason if output is not None else f"output {part.output!r} was not read"
        return _part(part, 0.0, NOT_ATTEMPTED, reason)
    return _part(part, 0.0, UNREADABLE, output.reason)


# --- suite ------------------------------------------------------------------------------------


def _suite_part(
    part: Part,
    validation: Validation,
    rows: int | None = None,
    raw_rows: int | None = None,
    source: str = "",
) -> PartScore:
    if validation.skipped_reason:
        return _part(part, 0.0, UNREADABLE, validation.skipped_reason)
    mine = [r for r in validation.results if r.part == part.id]
    passed = [r for r in mine if r.success]
    # A check of a column's values passes on a table without rows (no value breaks it), but it
    # proved nothing: it earns no points, or a header line alone would earn most of a part. The
    # same holds for a table cut down to a few rows that happen to be clean. "A few" is measured
    # against the raw table the candidate was given, never against the hidden clean row count:
    # a step there would let immediate feedback binary-search that count.
    sparse = bool(rows and raw_rows and rows * 2 < raw_rows)
    vacuous = [r for r in passed if (rows == 0 or sparse) and r.type.startswith(ROW_CHECKS)]
    earning = [r for r in passed if r not in vacuous]
    points = min(round(sum(r.points for r in earning), 2), part.points)
    public = [r for r in mine if r.public]
    public_failed = [r for r in public if not r.success]
    lines = [f"{len(public) - len(public_failed)} of {len(public)} public checks passed."]
    if vacuous and rows == 0:
        lines.append(
            "The table has no rows: the checks of its values found nothing wrong because they "
            "found nothing at all, and earn no points."
        )
    elif vacuous:
        raw = f"the raw {source} table" if source else "the raw table"
        lines.append(
            f"The table has less than half the rows of {raw} it is cleaned from "
            f"({raw_rows:,} rows): checks of the values of so few rows prove little about the "
            "cleaning, and earn no points."
        )
    for r in public_failed:
        lines.append(f"- {r.feedback}" + (f" ({r.error})" if r.error else ""))
    return _part(
        part,
        points,
        SCORED,
        "\n".join(lines),
        passed=[r.id for r in passed],
        vacuous=[r.id for r in vacuous],
        rows=rows,
        raw_rows=raw_rows,
        failed=[
            {"id": r.id, "type": r.type, "public": r.public, "points": r.points, "error": r.error}
            for r in mine
            if not r.success
        ],
    )


# --- rows -------------------------------------------------------------------------------------


def _rows_part(part: Part, output: OutputFile, expected: ExpectedTable, where: str) -> PartScore:
    table = output.table
    if table is None or not has_key(table, part):
        columns = [] if table is None else list(table.columns)
        missing = ", ".join(repr(c) for c in part.row_key if c not in columns)
        return _part(part, 0.0, UNREADABLE, f"{where} has no column {missing}")
    result = compare_rows(part, table, expected)
    column_points = (1 - part.key_share) * part.points / len(part.columns)
    points = part.key_share * part.points * result.key_score
    points += sum(column_points * c.score for c in result.columns)
    lines = [_rows_feedback(result)]
    for c in result.columns:
        if not c.present:
            said = "the column is missing"
        elif not result.present:
            said = "no row to compare it on"
        else:
            # Of the candidate's own rows: a share of the true rows would change word at a
            # fraction of their hidden count as the table is cut down.
            said = agreement_word(c.delivered_match)
        lines.append(f"- {c.name}: {said}.")
    return _part(
        part,
        round(min(points, part.points), 2),
        SCORED,
        "\n".join(lines),
        delivered_rows=result.delivered_rows,
        true_rows=result.true_rows,
        present=result.present,
        repeated=result.repeated,
        invented=result.invented,
        kept_wrongly=result.kept_wrongly,
        dropped_wrongly=result.dropped_wrongly,
        must_drop=result.must_drop,
        key_score=round(result.key_score, 4),
        columns=[
            {
                "column": c.name,
                "present": c.present,
                "match": round(c.match, 4),
                "delivered_match": round(c.delivered_match, 4),
                "chance": round(c.chance, 4),
                "baseline": round(c.baseline, 4),
                "score": round(c.score, 4),
                "mismatch_sample": [list(m) for m in c.mismatches],
            }
            for c in result.columns
        ],
    )


def _rows_feedback(result) -> str:
    n = result.delivered_rows
    text = f"Your table has {n} row{'s' if n != 1 else ''}"
    notes = []
    if result.repeated:
        notes.append(f"{result.repeated} repeat an earlier row's key or have none")
    if result.invented:
        notes.append(f"{result.invented} keys are no row of the raw table")
    text += f" ({'; '.join(notes)})." if notes else "."
    remarks = []
    if result.kept_wrongly:
        remarks.append("some rows that should have gone are still there")
    if result.dropped_wrongly:
        remarks.append("some rows that should stay are missing")
    if remarks:
        return text + " " + "; ".join(remarks).capitalize() + "."
    return text + " It keeps exactly the rows it should."


# --- JSON fields ------------------------------------------------------------------------------


class _FieldProblem(Exception):
    """The part's field is absent or malformed; carries the status and the candidate's reason."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def _field(part: Part, output: OutputFile, path_name: str) -> Any:
    data = output.data
    if not isinstance(data, dict):
        raise _FieldProblem(
            UNREADABLE,
            f"{path_name} holds {_json_kind(data)}, not a JSON object with the key {part.field!r}",
        )
    if part.field not in data:
        raise _FieldProblem(NOT_ATTEMPTED, f"{path_name} has no key {part.field!r}")
    return data[part.field]


def _truth(part: Part, answers: dict) -> Any:
    if part.truth not in answers:
        raise InvalidArgument(
            f"the answer key has no {part.truth!r} (needed by part {part.id!r}); "
            "regenerate the keys with this exercise's truth.py"
        )
    return answers[part.truth]


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number" if _number(value) is not None else "a number beyond a float's range"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --- ids --------------------------------------------------------------------------------------


def _id_text(value: Any) -> str | None:
    """An id as comparable text, or None when `value` is not a usable id."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        # An int of more digits than Python turns into text (4300) cannot come from json.loads,
        # but no id has that many either.
        try:
            return str(value)
        except ValueError:
            return None
    if isinstance(value, float):
        # JSON writers (and pandas) turn integer ids into 100123.0; that is still 100123.
        return str(int(value)) if math.isfinite(value) and value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _ids_part(part: Part, output: OutputFile, answers: dict, where: str) -> PartScore:
    try:
        given = _field(part, output, where)
    except _FieldProblem as problem:
        return _part(part, 0.0, problem.status, str(problem))
    if not isinstance(given, list):
        return _part(
            part,
            0.0,
            UNREADABLE,
            f"{where}: {part.field!r} holds {_json_kind(given)}; write a list of ids",
        )
    flagged: set[str] = set()
    for position, value in enumerate(given, start=1):
        text = _id_text(value)
        if text is None:
            return _part(
                part,
                0.0,
                UNREADABLE,
                f"{where}: entry {position} of {part.field!r} is {_json_kind(value)}; "
                "every id must be text or a whole number",
            )
        if text:
            flagged.add(text)
    truth_values = _truth(part, answers)
    true_ids = {t for t in (_id_text(v) for v in truth_values) if t}
    hits = flagged & true_ids
    # Vacuous cases count as perfect: flagging nothing flags nothing wrong, and with nothing to
    # find nothing is missed. F1 is still 0 when one side is empty and the other is not.
    precision = len(hits) / len(flagged) if flagged else 1.0
    recall = len(hits) / len(true_ids) if true_ids else 1.0
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    points = round(part.points * f1, 2)
    return _part(
        part,
        points,
        SCORED,
        _ids_feedback(len(given), flagged, precision, recall),
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        true_positives=len(hits),
        false_positives=len(flagged - true_ids),
        false_negatives=len(true_ids - flagged),
        flagged=len(flagged),
        true_count=len(true_ids),
        false_positive_sample=sorted(flagged - true_ids)[:20],
        missed_sample=sorted(true_ids - flagged)[:20],
    )


def _ids_feedback(listed: int, flagged: set[str], precision: float, recall: float) -> str:
    n = len(flagged)
    text = f"You flagged {n} id{'s' if n != 1 else ''}" if n else "You flagged no ids"
    repeats = listed - n
    if repeats > 0:
        text += f" ({repeats} repeated or empty entries ignored)"
    text += "."
    if precision == 1 and recall == 1:
        if n == 0:
            return text

        return text + " Every flagged id is a real problem and none were missed."
    remarks = []
    if precision < 1:
        remarks.append("some flagged ids are not problems")
    if recall < 1:
        remarks.append("some problems were missed")
    return text + " " + "; ".join(remarks).capitalize() + "."


# --- numeric ----------------------------------------------------------------------------------


def _bounded_repr() -> reprlib.Repr:
    """Shows a value the candidate gave where a number belongs (reviewer view), bounded whatever
    its size: repr() of a list of a million items would be built whole before being cut."""
    shown = reprlib.Repr()  # keyword arguments need Python 3.12
    shown.maxlevel, shown.maxdict, shown.maxlist = 3, 6, 6
    shown.maxstring, shown.maxlong, shown.maxother = 80, 40, 80
    return shown


_GIVEN = _bounded_repr()


def _number(value: Any) -> float | None:
    """`value` as a finite float, or None: not a number for its key. A JSON integer can have
    hundreds of digits (valid JSON, and json.loads reads it): beyond a float's range it is not a
    number either, like text or true/false where a number belongs."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _within(got: float, expected: float, tolerance: float, abs_tolerance: float = 0.0) -> bool:
    allowed = max(tolerance * abs(expected), abs_tolerance)
    return abs(got - expected) <= allowed + BOUNDARY_SLACK * max(abs(expected), 1.0)


def _numeric_part(part: Part, output: OutputFile, answers: dict, where: str) -> PartScore:
    try:
        given = _field(part, output, where)
    except _FieldProblem as problem:
        return _part(part, 0.0, problem.status, str(problem))
    expected = _truth(part, answers)
    if isinstance(expected, dict):
        if not isinstance(given, dict):
            return _part(
                part,
                0.0,
                UNREADABLE,
                f"{where}: {part.field!r} holds {_json_kind(given)}; write an object mapping "
                "each key to a number",
            )
        # Keys are compared after stripping spaces: " FR" and "FR" are the same answer.
        by_key = {str(k).strip(): v for k, v in given.items()}
        pairs = [(str(k), by_key.get(str(k).strip(), _MISSING), v) for k, v in expected.items()]
    else:
        pairs = [("", given, expected)]
    within = missing = 0
    not_numbers: list[str] = []
    compared = []
    for key, got_raw, want in pairs:
        want_num = _number(want)
        if want_num is None:
            raise InvalidArgument(f"the answer key's {part.truth!r} holds a non-number at {key!r}")
        if got_raw is _MISSING:
            missing += 1
            compared.append({"key": key, "expected": want_num, "given": None, "ok": False})
            continue
        got = _number(got_raw)
        if got is None:
            not_numbers.append(key)
            compared.append(
                {"key": key, "expected": want_num, "given": _GIVEN.repr(got_raw), "ok": False}
            )
            continue
        ok = _within(got, want_num, part.tolerance, part.abs_tolerance)
        within += ok
        compared.append({"key": key, "expected": want_num, "given": got, "ok": ok})
    n = len(pairs)
    points = round(part.points * within / n, 2) if n else 0.0
    return _part(
        part,
        points,
        SCORED,
        _numeric_feedback(part, where, n, within, missing, not_numbers, given),
        within=within,
        expected_count=n,
        missing=missing,
        tolerance=part.tolerance,
        abs_tolerance=part.abs_tolerance,
        compared=compared,
    )


def _numeric_feedback(
    part: Part,
    where: str,
    n: int,
    within: int,
    missing: int,
    not_numbers: list[str],
    given: Any,
) -> str:
    tolerance = f"{part.tolerance * 100:g}%"
    if part.abs_tolerance:
        tolerance = (
            f"{part.abs_tolerance:g}"
            if not part.tolerance
            else f"{tolerance} or {part.abs_tolerance:g}"
        )
    if n == 1 and not isinstance(given, dict):
        if not_numbers:
            return f"{where}: {part.field!r} holds {_json_kind(given)}, not a number."
        if within:
            return f"Your value is within {tolerance} of the true value."
        return f"Your value is not within {tolerance} of the true value."
    text = f"{within} of {n} values are within {tolerance} of the true values."
    if missing:
        text += f" {missing} expected {'entry is' if missing == 1 else 'entries are'} missing."
    if not_numbers:
        shown = ", ".join(repr(k[:40]) for k in not_numbers[:5])
        text += f" Not a number (write plain, finite JSON numbers, not text): {shown}."
    return text


# --- spans ------------------------------------------------------------------------------------

Span = tuple[str, int, int]


def _span_bound(text: Any) -> int | None:
    """A start/end offset from a text cell ("12", "12.0"), or None when it is not one."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None


def _read_spans(part: Part, output: OutputFile, where: str) -> set[Span]:
    table = output.table
    needed = [part.field, "start", "end"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise _FieldProblem(
            UNREADABLE, f"{where} has no column {', '.join(map(repr, missing))}; write {needed}"
        )
    spans: set[Span] = set()
    ids = table[part.field].astype(str).str.strip().to_numpy()
    for line, (ident, start_text, end_text) in enumerate(
        zip(ids, table["start"].to_numpy(), table["end"].to_numpy(), strict=True), start=2
    ):
        start, end = _span_bound(start_text), _span_bound(end_text)
        if start is None or end is None or end <= start:
            raise _FieldProblem(
                UNREADABLE,
                f"{where} line {line}: start and end must be whole numbers with start < end",
            )
        spans.add((ident, start, end))
    return spans


def _covered(span: Span, others: dict[str, list[tuple[int, int]]]) -> bool:
    """Whether at least half of `span` overlaps one span of `others` with the same id."""
    ident, start, end = span
    for other_start, other_end in others.get(ident, ()):
        overlap = min(end, other_end) - max(start, other_start)
        if overlap * 2 >= end - start:
            return True
    return False


def _by_id(spans: set[Span]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = {}
    for ident, start, end in spans:
        grouped.setdefault(ident, []).append((start, end))
    return grouped


def _spans_part(part: Part, output: OutputFile, answers: dict, where: str) -> PartScore:
    try:
        flagged = _read_spans(part, output, where)
    except _FieldProblem as problem:
        return _part(part, 0.0, problem.status, str(problem))
    truth: set[Span] = set()
    for item in _truth(part, answers):
        truth.add((str(item["id"]).strip(), int(item["start"]), int(item["end"])))
    flagged_by_id, truth_by_id = _by_id(flagged), _by_id(truth)
    right = sum(_covered(s, truth_by_id) for s in flagged)
    found = sum(_covered(s, flagged_by_id) for s in truth)
    precision = right / len(flagged) if flagged else 1.0
    recall = found / len(truth) if truth else 1.0
    b2 = part.beta**2
    denominator = b2 * precision + recall
    f_beta = 0.0 if denominator == 0 else (1 + b2) * precision * recall / denominator
    n = len(flagged)
    text = f"You flagged {n} span{'s' if n != 1 else ''}." if n else "You flagged no spans."
    remarks = []
    if precision < 1:
        remarks.append("some flagged spans are not personal data")
    if recall < 1:
        remarks.append("some personal data was missed")
    if remarks:
        text += " " + "; ".join(remarks).capitalize() + "."
    elif n:
        text += " Every flagged span is personal data and none was missed."
    return _part(
        part,
        round(part.points * f_beta, 2),
        SCORED,
        text,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f_beta=round(f_beta, 4),
        beta=part.beta,
        flagged=n,
        true_count=len(truth),
        # The first 20 flagged spans that are wrong and true spans that were missed (reviewer view).
        false_positive_sample=[
            list(s)
            for s in islice((s for s in sorted(flagged) if not _covered(s, truth_by_id)), 20)
        ],
        missed_sample=[
            list(s)
            for s in islice((s for s in sorted(truth) if not _covered(s, flagged_by_id)), 20)
        ],
    )
