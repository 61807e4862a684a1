"""Validate stage: run the exercise's Great Expectations suite on the candidate's table output.

This is the only module that imports great_expectations, and it does so lazily (inside
functions): importing GX costs 3-7 s, so a worker process calls `warm_up()` once when it starts
and every submission after that reuses the same imported module and ephemeral data context.
Commands that never validate (`datalit generate`, `datalit list`) never pay for it.

The candidate's all-text table is typed by the rule in `table_typing` before validation.

The suite is kit code (suite.json in the exercise folder: `row_condition` strings reach
`DataFrame.query()`), so it is loaded only from the exercise, never from a submission. The
candidate's table is plain data already read by the extract stage.

"""

from __future__ import annotations

import copy
import json
import math
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise
from datalit.grading.results import ExpectationResult, Extracted, Validation
from datalit.grading.table_typing import (
    COLUMN_KWARGS,
    NUMBER_PATTERN,
    parameter_names,
    resolve_parameter,
    text_columns,
    typed_for_checks,
)

MAX_UNEXPECTED = 20
"""Failing values kept per expectation (reviewer view)."""
MAX_TEXT = 200
"""Characters kept of one reported value: candidate text can be arbitrarily long."""
MAX_ITEMS = 50
"""Items kept of a reported list or dict (observed values such as a column list)."""
# Expectation types that need numbers or dates (besides any with min_value/max_value).
NUMERIC_MARKERS = ("increasing", "decreasing", "mean", "median", "stdev", "sum", "quantile")

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_UNEXPECTED}


@dataclass(frozen=True)
class _Gx:
    """The imported GX module and the reusable pieces of one ephemeral context."""

    gx: Any
    """The `great_expectations` module."""
    batch_definition: Any
    """A whole-dataframe batch definition on an in-memory pandas asset, reused per submission."""


_state: _Gx | None = None
_state_lock = threading.Lock()
_suites: dict[tuple[str, int, int], dict] = {}


def warm_up() -> None:
    """Import GX and build the ephemeral context now (call once per worker process).

    Later `validate` calls reuse both, so the import cost is paid once per worker, not once per
    submission.
    """
    _gx()


def _gx() -> _Gx:
    global _state
    with _state_lock:
        if _state is None:
            # Usage analytics are on by default and would phone home from the grader.
            os.environ["GX_ANALYTICS_ENABLED"] = "false"
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            # tqdm bars would interleave with the grader's own progress display.
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            batch_definition = (
                context.data_sources.add_pandas(name="datalit")
                .add_dataframe_asset(name="output")
                .add_batch_definition_whole_dataframe(name="whole")
            )
            _state = _Gx(gx=gx, batch_definition=batch_definition)
        return _state


# --- the suite --------------------------------------------------------------------------------


def load_suite(exercise: Exercise) -> dict:
    """The exercise's suite.json as a checked dict (cached while the file is unchanged).

    Raises:
        InvalidArgument: the suite file is missing or malformed (a broken exercise, not a
            candidate's doing).
    """
    path = exercise.suite_path
    try:
        st = path.stat()
    except OSError:
        raise InvalidArgument(
            f"{path} is missing: every exercise with a suite part needs one"
        ) from None
    cache_key = (str(path), st.st_mtime_ns, st.st_size)
    if cache_key not in _suites:
        _suites[cache_key] = _check_suite(path)
    return _suites[cache_key]


def _check_suite(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidArgument(f"{path} is not valid JSON: {exc}") from None
    entries = doc.get("expectations") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InvalidArgument(f"{path}: 'expectations' must be a non-empty list")
    seen = set()
    for i, e in enumerate(entries, start=1):
        where = f"{path} expectation {i}"
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not e["id"]:
            raise InvalidArgument(
                f"{where}: every expectation needs an 'id' (results are matched by it)"
            )
        if e["id"] in seen:
            raise InvalidArgument(f"{where}: id {e['id']!r} is used twice")
        seen.add(e["id"])
        meta = e.get("meta")
        if not isinstance(meta, dict) or not isinstance(meta.get("part"), str):
            raise InvalidArgument(f"{where}: meta.part must name the exercise part it scores")
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
            raise InvalidArgument(f"{where}: meta.points must be a number >= 0")
    return doc


def table_output_name(exercise: Exercise, suite: dict) -> str:
    name = (suite.get("meta") or {}).get("table")
    tables = [o.name for o in exercise.outputs if o.kind == "table"]
    if name is None:
        if len(tables) != 1:
            raise InvalidArgument(
                f"{exercise.suite_path}: meta.table must name the table output the suite checks "
                f"(one of {tables})"
            )
        return tables[0]
    if name not in tables:
        raise InvalidArgument(
            f"{exercise.suite_path}: meta.table {name!r} is not a table output of the exercise "
            f"(one of {tables})"
        )
    return name


# --- typing the candidate's text --------------------------------------------------------------


# --- running the suite ------------------------------------------------------------------------


def validate(exercise: Exercise, extracted: Extracted, *, parameters: dict) -> Validation:
    """Run the exercise's suite on its table output, in one GX validation.

    Args:
        exercise: The exercise (its suite.json names the table output in meta.table).
        extracted: The extract stage's result.
        parameters: The answer key's suite_parameters, filling the suite's $PARAMETERs.

    Returns:
        One `ExpectationResult` per expectation, in suite order, or no results and a
        `skipped_reason` when the table output is missing or unreadable.

    Raises:
        InvalidArgument: the suite is broken or a $PARAMETER has no value (a kit problem, not
            the candidate's).
    """
    suite_doc = load_suite(exercise)
    table_name = table_output_name(exercise, suite_doc)
    output = extracted.outputs.get(table_name)
    if output is None or output.status != "ok" or output.table is None:
        reason = output.reason if output is not None else f"{table_name} was not extracted"
        return Validation(results=(), skipped_reason=reason or f"{table_name} is not usable")
    needed = set().union(*(parameter_names(e.get("kwargs", {})) for e in suite_doc["expectations"]))
    missing = sorted(needed - set(parameters))
    if missing:
        raise InvalidArgument(
            f"{exercise.suite_path} needs suite parameter(s) {missing} that the answer key does "
            "not provide; regenerate the keys with this exercise's truth.py"
        )
    frame = typed_for_checks(output.table, text_columns(suite_doc, parameters))
    gx_results = _run(suite_doc, frame, parameters)
    results = tuple(
        _expectation_result(entry, gx_results.get(entry["id"]), frame)
        for entry in suite_doc["expectations"]
    )
    return Validation(results=results, expected_rows=_expected_rows(suite_doc, parameters))


def _expected_rows(suite: dict, parameters: dict) -> int | None:
    for e in suite["expectations"]:
        if e.get("type") == "expect_table_row_count_to_equal":
            value = resolve_parameter((e.get("kwargs") or {}).get("value"), parameters)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _build_suite(gx: Any, doc: dict) -> Any:
    suite = gx.ExpectationSuite(**copy.deepcopy(doc))
    # ExpectationSuite(**dict) logs and skips entries it cannot build instead of raising.
    built = {str(e.id) for e in suite.expectations}
    lost = [e["id"] for e in doc["expectations"] if e["id"] not in built]
    if lost or len(suite.expectations) != len(doc["expectations"]):
        raise InvalidArgument(
            f"suite {doc.get('name', '?')!r}: GX could not build expectation(s) {lost}; "
            "check their type and kwargs against the GX version in use"
        )
    return suite


def _run(doc: dict, frame: pd.DataFrame, parameters: dict) -> dict[str, Any]:
    """GX results by expectation id (GX does not return them in suite order)."""
    state = _gx()
    batch = state.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    try:
        outcome = batch.validate(
            _build_suite(state.gx, doc),
            result_format=RESULT_FORMAT,
            expectation_parameters=parameters,
        )
        return {str(r.expectation_config.id): r for r in outcome.results}
    except InvalidArgument:
        raise
    except Exception as whole_suite_error:
        # GX normally reports a failing expectation inside its result; if odd data makes the
        # whole run raise, run each expectation alone so one bad check cannot sink the others.
        results: dict[str, Any] = {}
        for entry in doc["expectations"]:
            single = {**doc, "expectations": [entry]}
            try:
                outcome = batch.validate(
                    _build_suite(state.gx, single),
                    result_format=RESULT_FORMAT,
                    expectation_parameters=parameters,
                )
                results.update({str(r.expectation_config.id): r for r in outcome.results})
            except InvalidArgument:
                raise
            except Exception as exc:
                results[entry["id"]] = exc
        if not results:
            raise whole_suite_error
        return results


def _expectation_result(entry: dict, result: Any, frame: pd.DataFrame) -> ExpectationResult:
    meta = entry.get("meta") or {}
    kwargs = entry.get("kwargs") or {}
    base = {
        "id": entry["id"],
        "part": meta["part"],
        "type": entry.get("type", ""),
        "kwargs": copy.deepcopy(kwargs),
        "points": float(meta.get("points", 0)),
        # Anything not explicitly public is hidden: a typo must not reveal a hidden check.
        "public": meta.get("visibility") == "public",
        "feedback": str(meta.get("feedback", "")),
    }
    missing = _missing_columns(kwargs, frame)
    if missing:
        names = ", ".join(repr(c) for c in missing)
        verb = "is" if len(missing) == 1 else "are"
        return ExpectationResult(
            **base,
            success=False,
            error=f"column{'s' if len(missing) > 1 else ''} {names} {verb} missing",
        )
    if result is None:
        return ExpectationResult(
            **base, success=False, error="GX returned no result for this check"
        )
    if isinstance(result, Exception):
        return ExpectationResult(
            **base, success=False, error=f"the check could not run: {_one_line(result)}"
        )
    raised = _raised_message(result.exception_info)
    if raised:
        raised = _text_column_hint(base["type"], kwargs, frame) or raised
    details = result.result or {}
    count = details.get("unexpected_count")
    return ExpectationResult(
        **base,
        success=bool(result.success) and not raised,
        observed=_plain(details.get("observed_value")),
        unexpected_count=int(count) if isinstance(count, int | np.integer) else None,
        unexpected_sample=tuple(
            _plain(v) for v in (details.get("partial_unexpected_list") or [])[:MAX_UNEXPECTED]
        ),
        error=f"the check could not run: {raised}" if raised else "",
    )


def _missing_columns(kwargs: dict, frame: pd.DataFrame) -> list[str]:
    wanted = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    if isinstance(kwargs.get("column_list"), list):
        wanted += [c for c in kwargs["column_list"] if isinstance(c, str)]
    present = set(frame.columns)
    return [c for c in wanted if c not in present]


def _text_column_hint(kind: str, kwargs: dict, frame: pd.DataFrame) -> str:
    """Why a numeric or date check raised, when its column stayed text (typing rule 5)."""
    numeric = {"min_value", "max_value"} & set(kwargs) or any(
        word in kind for word in NUMERIC_MARKERS
    )
    if not numeric:
        return ""
    for key in COLUMN_KWARGS:
        name = kwargs.get(key)
        if not isinstance(name, str) or name not in frame.columns:
            continue
        column = frame[name]
        if str(column.dtype) != "str":
            continue
        values = column.dropna()
        odd = values[~values.str.fullmatch(NUMBER_PATTERN.pattern)]
        example = odd.iloc[0] if len(odd) else (values.iloc[0] if len(values) else "")
        return (
            f"column {name!r} holds text, not numbers or dates (for example "
            f"{str(example)[:40]!r}), so it could not be checked as numbers or dates"
        )
    return ""


def _raised_message(info: Any) -> str:
    """The first exception message in GX's exception_info (flat or keyed by metric)."""
    if not isinstance(info, dict):
        return ""
    if "raised_exception" in info:
        return _one_line(info.get("exception_message") or "") if info["raised_exception"] else ""
    for value in info.values():
        message = _raised_message(value)
        if message:
            return message
    return ""


def _one_line(value: Any) -> str:
    lines = str(value).strip().splitlines()
    return (lines[0] if lines else type(value).__name__)[:MAX_TEXT]


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` as plain JSON-able data, with candidate text and long lists cut to size."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if depth >= 4:
        return str(value)[:MAX_TEXT]
    if isinstance(value, list | tuple | set):
        return [_plain(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {str(k)[:MAX_TEXT]: _plain(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)[:MAX_TEXT]
