"""True answers for orders-cleanup, from the clean tables, the raw tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/orders-cleanup/
answers.json and never into the release. `suite_parameters` fill the GX suite's $PARAMETERs.
"""

from __future__ import annotations

import pandas as pd


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    orders, customers, fx = clean["orders"], clean["customers"], clean["fx_rates"]
    planted = key[key["table"] == "orders"]
    orphaned_rows = planted.loc[planted["anomaly"] == "orphans", "row"]
    # Orphans are planted before duplicates, so every copy of an orphaned order is orphaned too.
    orphan_ids = set(raw["orders"].loc[raw["orders"].index.isin(orphaned_rows), "order_id"])
    orphan_ids |= set(
        raw["orders"].loc[
            ~raw["orders"]["customer_id"].isin(raw["customers"]["customer_id"]), "order_id"
        ]
    )
    raw_ids = raw["orders"]["order_id"]
    duplicate_orders = set(raw_ids[raw_ids.duplicated(keep=False)])
    raw_customers = raw["customers"]["customer_id"]
    duplicate_customers = set(raw_customers[raw_customers.duplicated(keep=False)])

    kept = orders[~orders["order_id"].isin(orphan_ids)]
    live = kept[kept["status"] != "cancelled"]
    # Plain values (the recipe may hold text columns as categoricals).
    rate = live["currency"].astype(str).map(fx.astype({"currency": str}).set_index("currency")["eur_per_unit"])
    eur = live["quantity"].astype(float) * live["unit_price"].astype(float) * rate.astype(float)
    country = live["customer_id"].astype(str).map(
        customers.astype({"customer_id": str, "country": str}).set_index("customer_id")["country"]
    )
    revenue = eur.groupby(country).sum()
    return {
        "answers": {
            "duplicate_order_ids": sorted(int(x) for x in duplicate_orders),
            "orphan_order_ids": sorted(int(x) for x in orphan_ids),
            "duplicate_customer_ids": sorted(str(x) for x in duplicate_customers),
            "revenue_eur_by_country": {str(k): round(float(v), 2) for k, v in revenue.items()},
        },
        "suite_parameters": {
            "clean_order_rows": len(kept),
            "customer_ids": sorted(str(x) for x in customers["customer_id"]),
        },
    }

