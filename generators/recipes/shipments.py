"""`shipments`: a parcel carrier's shipments in mixed weight units and local currencies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.generators import vocab
from datalit.generators.pools import categorical, weighted_codes
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

# Kilograms per unit. The pound is exactly 0.45359237 kg (international yard and pound
# agreement, 1959).
KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "lb": 0.45359237}
# How often each unit is used: scales in grams at small depots, pounds from North American
# partners (invented shares).
UNIT_WEIGHTS = {"kg": 0.5, "g": 0.3, "lb": 0.2}
# Decimals a weight is recorded with in each unit (a gram is the scales' resolution).
UNIT_DECIMALS = {"kg": 3, "g": 0, "lb": 2}
# The carrier takes parcels from 50 g to 30 kg (typical parcel-service limits, e.g. DHL Paket's
# 31.5 kg rounded down): every clean weight lies in this range.
MIN_KG, MAX_KG = 0.05, 30.0
# A parcel's weight in kg: log-normal around 1.5 kg (invented).
MEDIAN_KG, WEIGHT_SIGMA = 1.5, 0.9
# Transit time in days: 1 + Binomial(8, 0.4), so 1 to 9 days with quartiles 3 and 5 (invented;
# its short tail leaves every planted outlier clear of the clean values).
TRANSIT_TRIALS, TRANSIT_P = 8, 0.4


@recipe(
    "shipments",
    main_table="shipments",
    default_rows=1500,
    min_rows=20,
    default_plants=[
        Plant("inconsistent_case", {"table": "shipments", "column": "weight_unit"}),
        Plant("scale_error", {"table": "shipments", "column": "weight", "factor": 1000}),
        Plant("typos", {"table": "shipments", "column": "category"}),
        Plant("disguised_missing", {"table": "shipments", "column": "transit_days"}),
    ],
    answers=lambda tables: shipments_answers(tables),
)
def shipments(src: Seeded, *, rows: int) -> Built:
    """A parcel carrier: shipments (weight in g, kg or lb; declared value in the sender's
    currency; product category; transit days), EUR exchange rates and the category vocabulary.
    """
    rng = src.rng
    isos = list(vocab.COUNTRY_WEIGHTS)
    origin = weighted_codes(
        np.array(list(vocab.COUNTRY_WEIGHTS.values())), rows, rng, dtype=np.int8
    )
    currencies = list(dict.fromkeys(vocab.COUNTRIES[iso][1] for iso in isos))
    currency_of_origin = np.array([currencies.index(vocab.COUNTRIES[iso][1]) for iso in isos])
    currency = currency_of_origin[origin].astype(np.int8)

    categories = list(vocab.PRODUCT_CATEGORIES)
    category = rng.integers(0, len(categories), rows, dtype=np.int8)
    median_eur = np.array([vocab.PRODUCT_CATEGORIES[c][0] for c in categories])[category]
    value_eur = median_eur * rng.lognormal(0.0, 0.5, rows)
    eur_per_unit = np.array([vocab.EUR_PER_UNIT[c] for c in currencies])
    declared_value = np.maximum(np.round(value_eur / eur_per_unit[currency], 2), 1.0)

    kg = np.clip(MEDIAN_KG * rng.lognormal(0.0, WEIGHT_SIGMA, rows), MIN_KG, MAX_KG)
    units = list(UNIT_WEIGHTS)
    unit = weighted_codes(np.array(list(UNIT_WEIGHTS.values())), rows, rng, dtype=np.int8)
    weight = np.empty(rows)
    for code, name in enumerate(units):
        mine = unit == code
        in_unit = np.round(kg[mine] / KG_PER_UNIT[name], UNIT_DECIMALS[name])
        # Rounding must not push a parcel past the carrier's limits.
        low = np.ceil(MIN_KG / KG_PER_UNIT[name] * 10 ** UNIT_DECIMALS[name])
        high = np.floor(MAX_KG / KG_PER_UNIT[name] * 10 ** UNIT_DECIMALS[name])
        weight[mine] = np.clip(
            in_unit, low / 10 ** UNIT_DECIMALS[name], high / 10 ** UNIT_DECIMALS[name]
        )
    transit = 1 + rng.binomial(TRANSIT_TRIALS, TRANSIT_P, rows).astype(np.int64)

    table = pd.DataFrame(
        {
            "shipment_id": np.arange(500_001, 500_001 + rows, dtype=np.int64),
            "origin": categorical(origin, isos),
            "category": categorical(category, categories),
            "weight": weight,
            "weight_unit": categorical(unit, units),
            "declared_value": declared_value,
            "currency": categorical(currency, currencies),
            "transit_days": transit,
        }
    )
    fx = pd.DataFrame(
        {
            "currency": pd.Series(currencies, dtype="str"),
            "eur_per_unit": [vocab.EUR_PER_UNIT[c] for c in currencies],
        }
    )
    vocabulary = pd.DataFrame({"category": pd.Series(categories, dtype="str")})
    return Built(tables={"shipments": table, "fx_rates": fx, "categories": vocabulary})


def shipments_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean tables: total weight in kg and declared value in EUR."""
    s, fx = tables["shipments"], tables["fx_rates"]
    kg = s["weight"].to_numpy() * s["weight_unit"].astype(str).map(KG_PER_UNIT).to_numpy()
    rate = s["currency"].astype(str).map(fx.set_index("currency")["eur_per_unit"]).to_numpy()
    return {
        "shipments": len(s),
        "total_weight_kg": round(float(kg.sum()), 3),
        "total_value_eur": round(float((s["declared_value"].to_numpy() * rate).sum()), 2),
    }
