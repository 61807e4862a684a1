"""True answers for judge-vs-human, from the clean tables, the raw tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/judge-vs-human/
answers.json and never into the release. `suite_parameters` fill the GX suite's $PARAMETERs.

The figures are the recipe's own (`judge_metrics`) on the clean tables, leaving out the items whose
human label the `missing_mcar` plant removed (the key names them): exact by construction, and never
a re-cleaning of the raw tables, so a world where the planted values were real gives other answers.
"""

from __future__ import annotations

import pandas as pd

from datalit.generators.recipes.judge_labels import judge_metrics


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    unlabelled = key[(key["table"] == "labels") & (key["anomaly"] == "missing_mcar")]["row"]
    exclude = pd.Index(unlabelled.astype(int))
    m = judge_metrics(clean, exclude=exclude)
    labels = clean["labels"]
    # What a careful analyst delivers: each labelled item once, both labels as the clean table has
    # them; the items whose human label is missing are dropped, not given one.
    labelled = labels.drop(index=labels.index.intersection(exclude))

    def rate(value: float) -> float:
        return round(float(value), 6)

    return {
        "answers": {
            "raw_agreement": rate(m["raw_agreement"]),
            "cohen_kappa": rate(m["cohen_kappa"]),
            "test_rates": {"tpr": rate(m["tpr"]), "tnr": rate(m["tnr"])},
            "flip_rate": rate(m["flip_rate"]),
            "corrected_failure_rate": rate(m["corrected_failure_rate"]),
            # For reviewers (no part reads them): what the judge alone would report.
            "judge_failure_rate": rate(m["judge_failure_rate"]),
            "test_items": m["test_items"],
        },
        "suite_parameters": {"clean_label_rows": m["labelled_items"]},
        "tables": {"labels_clean": labelled},
    }
