"""Anomaly types by their human titles (`ANOMALY_TITLES`) and the catch status of an anomaly
class."""

from __future__ import annotations

# Catch status of an anomaly class, from the mean of its evidence (checks pass 1/fail 0; parts
# their fraction of points).
CAUGHT, PARTLY, MISSED, NOT_CHECKED = "caught", "partly caught", "missed", "not checked"
# Human titles of the anomaly types, from what each plants (docs/anomalies.md, generated from
# generators/anomalies/); a type without one is shown by its name with spaces.
ANOMALY_TITLES = {
    "careless_labeler": "One careless labeler",
    "dated_before_parent": "Dated before the record it belongs to",
    "disguised_missing": "Missing values disguised as placeholders",
    "duplicates_across_splits": "The same rows in the train and test splits",
    "epoch_timestamps": "Dates written as Unix timestamps",
    "exact_duplicates": "Exact duplicate rows",
    "fan_out": "A key listed twice, so joins fan out",
    "fd_violations": "One key mapped to two values",
    "future_dates": "Dates far in the future (typos in the year)",
    "impossible_orderings": "Events in an impossible order",
    "inconsistent_case": "The same text in different letter cases",
    "label_noise": "Wrong labels",
    "lost_leading_zeros": "Codes that lost their leading zeros",
    "missing_mar": "Values missing more often in some rows (missing at random)",
    "missing_mcar": "Values missing completely at random",
    "missing_records": "Rows lost from the export",
    "mixed_date_formats": "Dates written in mixed formats",
    "mojibake": "Text with encoding damage (mojibake)",
    "near_duplicates": "Records entered twice with small differences",
    "numbers_as_text": "Numbers written as formatted text",
    "orphans": "References to records that do not exist",
    "outliers": "Outliers",
    "pattern_violations": "Values that break the column's format",
    "pii_in_text": "Personal data in free text",
    "plausible_wrong_value": "Plausible but wrong values",
    "scale_error": "Numbers in the wrong unit",
    "sentinel_dates": "Placeholder dates meaning unknown or never",
    "small_noise": "Numbers slightly off",
    "stray_whitespace": "Stray whitespace in text",
    "swapped_columns": "Values swapped between two columns",
    "timezone_mixup": "Timestamps in the wrong time zone",
    "typos": "Typos in text",
}


def anomaly_title(anomaly: str) -> str:
    """The human title of an anomaly type ("missing_mcar" -> "Values missing completely at
    random"); an unknown type reads as its name with spaces."""
    return ANOMALY_TITLES.get(anomaly) or str(anomaly).replace("_", " ")


def _catch_status(score: float | None) -> str:
    if score is None:
        return NOT_CHECKED
    if score >= 0.999:
        return CAUGHT
    if score <= 0.001:
        return MISSED
    return PARTLY
