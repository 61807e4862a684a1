"""True answers for categories-and-outliers, from the clean tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/
categories-and-outliers/answers.json and never into the release. `suite_parameters` fill the GX
suite's $PARAMETERs.
"""

from __future__ import annotations

import pandas as pd


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    # Tables may come typed (in memory) or as text (from files): work on text, convert on purpose.
    shipments = clean["shipments"].astype(str)
    categories = sorted(clean["categories"]["category"].astype(str))
    ids = shipments["shipment_id"]
    planted = key[(key["table"] == "shipments") & (key["column"] == "transit_days")]

    def last_value(anomaly: str) -> dict[int, str]:
        """Row -> the value `anomaly` wrote (later plants on the same cell come after it)."""
        rows = planted[planted["anomaly"] == anomaly]
        return {int(r): str(v) for r, v in zip(rows["row"], rows["after"], strict=True)}

    sentinel_rows = set(last_value("disguised_missing"))
    # A planted outlier is a real, if unusual, transit time: it stays in the data (unless a
    # placeholder overwrote it later), and its value counts in the mean and the median.
    outliers = {r: v for r, v in last_value("outliers").items() if r not in sentinel_rows}
    transit = pd.to_numeric(shipments["transit_days"], errors="coerce").astype("float64")
    transit.loc[list(outliers)] = [float(v) for v in outliers.values()]
    real = transit.drop(index=sorted(sentinel_rows))
    by_category = shipments["category"].value_counts()
    # The table a careful analyst delivers: the categories of the vocabulary, the placeholders
    # emptied, every real transit time (outliers included) as recorded.
    table = clean["shipments"].copy()
    table["transit_days"] = transit.where(~transit.index.isin(sorted(sentinel_rows)))
    return {
        "answers": {
            "sentinel_ids": sorted(int(ids[r]) for r in sentinel_rows),
            "outlier_ids": sorted(int(ids[r]) for r in outliers),
            "shipments_by_category": {c: int(by_category.get(c, 0)) for c in categories},
            # The median is asked for (the finding compares it with the mean) but not graded:
            # whole days from the same distribution, it is the same number in every variant, so
            # a constant would earn it.
            "transit_days": {"mean": round(float(real.mean()), 4)},
        },
        "suite_parameters": {
            "shipment_rows": len(shipments),
            "categories": categories,
            # Whole days: the sum is exact; the band only absorbs float addition.
            "transit_days_sum_min": float(real.sum()) - 0.5,
            "transit_days_sum_max": float(real.sum()) + 0.5,
        },
        "tables": {"shipments_clean": table},
    }
