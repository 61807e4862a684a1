"""True answers for time-and-dates, from the clean tables, the raw tables and the answer key.

The true instant of every event is the clean `occurred_at_utc` (the same as `local_time` minus
`utc_offset`, which the plants leave alone). Impossible events are judged on what the raw file
records, by the brief's rule: the recorded time is after the export (2024-05-01 00:00 UTC) or
before the user signed up; a value written as a date only counts when that whole day is.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pandas as pd

EXPORT_AT = pd.Timestamp("2024-05-01 00:00:00")
CANONICAL = "%Y-%m-%d %H:%M:%S"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        start=1,
    )
}


def recorded(text: str, true_utc: pd.Timestamp) -> tuple[pd.Timestamp | None, bool]:
    """The instant a raw `occurred_at_utc` value states and whether it is a date only.
    Day/month order, ambiguous in "03/04/2024", is read the way closest to the true time."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text):
        return pd.Timestamp(text), False
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", text):
        return pd.Timestamp(text[:-1]), False
    if re.fullmatch(r"-?\d{9,12}", text):  # Unix epoch seconds
        return pd.Timestamp(int(text), unit="s"), False
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # Excel serial day number
        return (EXCEL_EPOCH + pd.Timedelta(days=float(text))).round("s"), False
    if re.fullmatch(r"\d{8}", text):
        return pd.Timestamp(f"{text[:4]}-{text[4:6]}-{text[6:]}"), True
    if m := re.fullmatch(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", text):
        return pd.Timestamp(int(m[3]), MONTHS[m[2]], int(m[1])), True
    if m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text):
        readings = []
        for month, day in ((m[1], m[2]), (m[2], m[1])):
            with contextlib.suppress(ValueError):  # 13/04 has only one reading
                readings.append(pd.Timestamp(int(m[3]), int(month), int(day)))
        return min(readings, key=lambda r: abs(r - true_utc.normalize())), True
    raise ValueError(f"an occurred_at_utc value in no known format: {text!r}")


def impossible(when: pd.Timestamp, date_only: bool, signup: pd.Timestamp) -> bool:
    if date_only:
        return when < signup.normalize() or when >= EXPORT_AT.normalize()
    return when < signup or when >= EXPORT_AT


def _canonical(column: pd.Series) -> pd.Series:
    """A date column as canonical text (typed in memory or text from files alike)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.dt.strftime(CANONICAL)
    return column.astype(str)


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    events = clean["events"]
    true_text = _canonical(events["occurred_at_utc"])
    true_utc = pd.to_datetime(true_text, format=CANONICAL, errors="coerce")
    user = events["user_id"].astype(str)
    day = true_utc.dt.strftime("%Y-%m-%d")
    active = pd.DataFrame({"day": day, "user": user}).dropna().drop_duplicates()
    daily_active = active["day"].value_counts().sort_index()

    raw_events = raw["events"]
    signup_of = pd.to_datetime(_canonical(raw["users"]["signup_at"]), format=CANONICAL).set_axis(
        raw["users"]["user_id"].astype(str)
    )
    raw_text = _canonical(raw_events["occurred_at_utc"])
    # Rows line up by identity: no plant here adds or removes events.
    true_by_row = true_utc.reindex(raw_events.index)
    changed = raw_text.to_numpy() != true_text.reindex(raw_events.index).to_numpy()
    flagged = []
    for row in np.flatnonzero(changed):
        text, truth_at = raw_text.iloc[row], true_by_row.iloc[row]
        if pd.isna(truth_at):
            continue
        when, date_only = recorded(text, truth_at)
        if impossible(when, date_only, signup_of[str(raw_events["user_id"].iloc[row])]):
            flagged.append(int(raw_events["event_id"].iloc[row]))
    return {
        "answers": {
            "impossible_event_ids": sorted(flagged),
            "daily_active_users": {str(k): int(v) for k, v in daily_active.items()},
        },
        "suite_parameters": {"events": len(events)},
        # What a careful analyst delivers: every event, its real time in UTC, the rest as recorded.
        "tables": {"events_clean": events.assign(occurred_at_utc=true_text)},
    }
