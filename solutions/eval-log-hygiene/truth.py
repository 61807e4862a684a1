"""True answers for eval-log-hygiene, from the clean tables, the raw tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/eval-log-hygiene/
answers.json and never into the release. `suite_parameters` fill the GX suite's $PARAMETERs.

Every answer is computed on the clean tables (one row per run, canonical version names) and the
key (which labeler was made careless), never by re-cleaning the raw tables: the answers are then
exact by construction, and a world where the planted values were real gives other answers.
"""

from __future__ import annotations

import pandas as pd


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    # Compared as text: the tables may be typed (in memory, categoricals) or text (from files).
    runs = clean["runs"].astype(
        {"run_id": str, "model_version": str, "human_label": str, "labeler": str}
    )
    raw_runs = raw["runs"]

    # The careless labeler is the labeler of every row whose label that plant flipped (copies of
    # those rows carry the same labeler).
    planted = key[(key["table"] == "runs") & (key["anomaly"] == "careless_labeler")]
    rows = raw_runs.index.intersection(pd.Index(planted["row"].astype(int)))
    noisy = sorted(set(raw_runs.loc[rows, "labeler"].astype(str)))

    # What a careful analyst delivers: each run once, as the clean table has it, but with every
    # human label as it was given (the careless labeler's too: they stay in the log).
    delivered = clean["runs"].assign(human_label=raw_runs.loc[clean["runs"].index, "human_label"])

    trusted = runs[~runs["labeler"].isin(noisy)]
    passed = (trusted["human_label"] == "pass").groupby(trusted["model_version"]).mean()
    return {
        "answers": {
            "noisy_labelers": noisy,
            "runs_by_model": {
                str(k): int(v) for k, v in sorted(runs["model_version"].value_counts().items())
            },
            "pass_rate_by_model": {str(k): round(float(v), 6) for k, v in sorted(passed.items())},
        },
        # Every variant keeps all its runs (the number is the same for all): the rows part, not a
        # row count, checks that each run is there once.
        "suite_parameters": {},
        "tables": {"runs_clean": delivered},
    }
