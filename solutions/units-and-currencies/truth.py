"""True answers for units-and-currencies, from the clean tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/units-and-currencies/
answers.json and never into the release. `suite_parameters` fill the GX suite's $PARAMETERs.
"""

from __future__ import annotations

import pandas as pd

KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "lb": 0.45359237}
# The declared values' sum is exact once every value is parsed; the band only absorbs float sums.
SUM_SLACK = 1e-6


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    # Tables may come typed (in memory) or as text (from files): work on text, convert on purpose.
    # Numbers that do not parse (when called on raw tables) count as missing.
    shipments = clean["shipments"].astype(str)
    fx = clean["fx_rates"].astype(str)
    ids = shipments["shipment_id"]
    planted = key[key["table"] == "shipments"]

    def planted_rows(anomalies: set[str], column: str) -> set[int]:
        mask = planted["anomaly"].isin(anomalies) & (planted["column"] == column)
        return {int(r) for r in planted.loc[mask, "row"]}

    # A unit replaced by a placeholder or blanked out cannot be recovered from the row.
    unknown_rows = planted_rows({"disguised_missing", "missing_mcar"}, "weight_unit")
    # A weight ×1000 can be told apart only when its unit is known (past the carrier's 30 kg).
    rescaled_rows = planted_rows({"scale_error"}, "weight") - unknown_rows

    known = ~shipments.index.isin(sorted(unknown_rows))
    weight = pd.to_numeric(shipments["weight"], errors="coerce")
    kg = weight * shipments["weight_unit"].map(KG_PER_UNIT)
    value = pd.to_numeric(shipments["declared_value"], errors="coerce")
    rate = shipments["currency"].map(pd.to_numeric(fx.set_index("currency")["eur_per_unit"]))
    value_sum = float(value.sum())

    # The table a careful analyst delivers: the clean shipments, with the units that cannot be
    # determined left empty and their weights as recorded (a weight ×1000 whose unit was lost
    # cannot be told apart, so it stays as in the file).
    table = clean["shipments"].copy()
    unknown_positions = sorted(unknown_rows)
    table["weight_unit"] = table["weight_unit"].astype(object)
    table.iloc[unknown_positions, table.columns.get_loc("weight_unit")] = None
    table["weight"] = pd.to_numeric(table["weight"], errors="coerce")
    raw_weight = pd.to_numeric(raw["shipments"]["weight"], errors="coerce")
    table.iloc[unknown_positions, table.columns.get_loc("weight")] = raw_weight.iloc[
        unknown_positions
    ].to_numpy()
    return {
        "answers": {
            "unknown_unit_ids": sorted(int(ids[r]) for r in unknown_rows),
            "rescaled_weight_ids": sorted(int(ids[r]) for r in rescaled_rows),
            "totals": {
                "total_weight_kg": round(float(kg[known].sum()), 3),
                "total_value_eur": round(float((value * rate).sum()), 2),
            },
        },
        "suite_parameters": {
            "shipment_rows": len(shipments),
            "currencies": sorted(fx["currency"]),
            "declared_value_sum_min": round(value_sum * (1 - SUM_SLACK) - 0.01, 2),
            "declared_value_sum_max": round(value_sum * (1 + SUM_SLACK) + 0.01, 2),
        },
        "tables": {"shipments_clean": table},
    }
