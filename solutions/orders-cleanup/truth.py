"""True answers for orders-cleanup, from the clean tables, the raw tables and the answer key.

Called at release time for each candidate; the result goes to keys/<candidate>/orders-cleanup/
answers.json and never into the release. `suite_parameters` fill the GX suite's $PARAMETERs.
"""

from __future__ import annotations

import pandas as pd


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    # Ids are compared as text: the raw tables may come typed (in memory) or as text (from files),
    # and the recipe may hold text columns as categoricals.
    orders = clean["orders"].astype(str)
    customers = clean["customers"].astype({"customer_id": str, "country": str})
    fx = clean["fx_rates"].astype({"currency": str})
    raw_orders = raw["orders"].astype({"order_id": str, "customer_id": str})
    raw_customers = raw["customers"]["customer_id"].astype(str)

    # Orphans are planted before duplicates, so every copy of an orphaned order is orphaned too.
    orphan_ids = set(raw_orders.loc[~raw_orders["customer_id"].isin(raw_customers), "order_id"])
    planted = key[(key["table"] == "orders") & (key["anomaly"] == "orphans")]
    assert set(raw_orders.loc[raw_orders.index.isin(planted["row"]), "order_id"]) <= orphan_ids
    raw_ids = raw_orders["order_id"]
    duplicate_orders = set(raw_ids[raw_ids.duplicated(keep=False)])
    duplicate_customers = set(raw_customers[raw_customers.duplicated(keep=False)])

    kept = clean["orders"][~orders["order_id"].isin(orphan_ids)]
    live = kept[kept["status"].astype(str) != "cancelled"]
    rate = live["currency"].astype(str).map(fx.set_index("currency")["eur_per_unit"])
    eur = live["quantity"].astype(float) * live["unit_price"].astype(float) * rate.astype(float)
    country = live["customer_id"].astype(str).map(customers.set_index("customer_id")["country"])
    revenue = eur.groupby(country).sum()
    return {
        "answers": {
            "duplicate_order_ids": sorted(int(x) for x in duplicate_orders),
            "orphan_order_ids": sorted(int(x) for x in orphan_ids),
            "duplicate_customer_ids": sorted(duplicate_customers),
            "revenue_eur_by_country": {str(k): round(float(v), 2) for k, v in revenue.items()},
        },
        "suite_parameters": {
            "clean_order_rows": len(kept),
            "customer_ids": sorted(customers["customer_id"]),
        },
        # What a careful analyst delivers: each real order once, with its customer, as recorded.
        "tables": {"orders_clean": kept},
    }
