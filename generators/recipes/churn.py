"""`churn`: a subscription service's customer snapshots with a churn label, for leakage exercises.

One row per customer: what was known about them on their snapshot date during 2023 (plan, price,
tenure, recent logins and support tickets) and whether they cancelled within 30 days after it.
Two columns are measured later, at the export on 2024-01-31, and so know the outcome:
``days_since_last_login`` (a customer who left stopped logging in) and ``cancellation_reason``
(filled only for customers who cancelled). ``split`` is a random 80/20 row split, as a hurried
modeller would draw it from time-ordered data. The churn drivers drift in the last quarter (a
competitor's cheaper plan makes price matter more), so a model checked on a random split looks
better than it will on the next months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.generators.pools import categorical, series, weighted_codes, zero_padded
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

SNAPSHOT_START = np.datetime64("2023-01-01", "D")
SNAPSHOT_END = np.datetime64("2024-01-01", "D")  # exclusive
EXPORT_DATE = np.datetime64("2024-01-31", "D")
DRIFT_FROM = np.datetime64("2023-10-01", "D")
"""The competitor's launch: from here on price drives churn much more."""
TRAIN_SHARE = 0.8

# Plans and list prices (EUR per month): three tiers, as most subscription services price them.
PLANS = {"basic": (9.99, 0.5), "standard": (19.99, 0.3), "premium": (34.99, 0.2)}
# The values of Stripe Billing's `cancellation_details.feedback` (Stripe API reference,
# Subscriptions object), the reasons a cancellation flow asks for.
CANCELLATION_REASONS = {
    "too_expensive": 0.30,
    "unused": 0.22,
    "switched_service": 0.18,
    "missing_features": 0.10,
    "customer_service": 0.06,
    "low_quality": 0.05,
    "too_complex": 0.04,
    "other": 0.05,
}
POST_OUTCOME_COLUMNS = ("days_since_last_login", "cancellation_reason")
"""Columns measured after the outcome (at the export): leaky as features."""
FEATURES = ("tenure_months", "monthly_charge", "support_tickets_90d", "logins_30d")
"""Columns known on the snapshot date."""


def churn_probability(*, logins, tickets, tenure, charge, after_drift) -> np.ndarray:
    """The chance of cancelling within 30 days: fewer logins, more tickets, short tenure and a
    high price raise it; after the drift date price matters six times as much."""
    price_weight = np.where(after_drift, 1.2, 0.2)
    logit = (
        -1.3
        - 0.10 * logins
        + 0.45 * tickets
        - 0.015 * tenure
        + price_weight * (charge - 20.0) / 10.0
        + np.where(after_drift, 0.3, 0.0)
    )
    return 1.0 / (1.0 + np.exp(-logit))


@recipe(
    "churn",
    main_table="churn",
    default_rows=3000,
    min_rows=50,
    default_plants=[
        Plant("duplicates_across_splits", {"table": "churn", "column": "split", "fraction": 0.03})
    ],
    answers=lambda tables: churn_answers(tables),
)
def churn(src: Seeded, *, rows: int) -> Built:
    """A subscription service's customers at a 2023 snapshot, churn within 30 days, a random split.

    Two columns were measured at the export, after the outcome (days since last login, the
    cancellation reason), and the churn drivers drift in the last quarter of 2023."""
    rng = src.rng
    n = rows
    days = int((SNAPSHOT_END - SNAPSHOT_START).astype(int))
    # Rows come in customer order, and a customer's snapshot date is their own: were the export
    # sorted by date, the split by time would be the same cut of the same ids in every variant
    # (a copied split would match) and a split column moved by one row would still be right.
    snapshot = SNAPSHOT_START + rng.integers(0, days, n).astype("timedelta64[D]")
    plan = weighted_codes(np.array([w for _, w in PLANS.values()]), n, rng)
    list_price = np.array([p for p, _ in PLANS.values()])[plan]
    # Discounts and add-ons move the price around the list price, in whole cents.
    charge = np.round(list_price * rng.uniform(0.8, 1.25, n), 2)
    tenure = np.minimum(1 + rng.geometric(0.04, n), 120)
    logins = rng.poisson(rng.gamma(2.0, 6.0, n))
    tickets = rng.poisson(0.3 + 0.4 * (logins < 3), n)
    after_drift = snapshot >= DRIFT_FROM
    p = churn_probability(
        logins=logins, tickets=tickets, tenure=tenure, charge=charge, after_drift=after_drift
    )
    churned = rng.random(n) < p

    # Days since the last login, counted at the export: a customer who left logged in for the
    # last time within 30 days of the snapshot; one who stayed, recently (or is a dormant payer).
    to_export = (EXPORT_DATE - snapshot).astype(int)
    left_last = to_export - rng.integers(0, 31, n)
    dormant = rng.random(n) < 0.08
    stayed_last = np.where(
        dormant, rng.integers(20, 200, n), np.round(rng.exponential(30.0 / (logins + 1.0)))
    ).astype(np.int64)
    since_login = np.where(churned, left_last, stayed_last)

    reason_codes = weighted_codes(np.array(list(CANCELLATION_REASONS.values())), n, rng)
    reasons = np.array(list(CANCELLATION_REASONS), dtype=object)[reason_codes]
    reasons[~churned] = None
    split = np.where(rng.random(n) < TRAIN_SHARE, 0, 1)  # codes into ("train", "test")

    table = pd.DataFrame(
        {
            "customer_id": series(zero_padded(np.arange(1, n + 1), max(6, len(str(n))), "K")),
            "snapshot_date": pd.Series(snapshot.astype("datetime64[s]")),
            "plan": categorical(plan.astype(np.int8), list(PLANS)),
            "tenure_months": tenure.astype(np.int64),
            "monthly_charge": charge,
            "support_tickets_90d": tickets.astype(np.int64),
            "logins_30d": logins.astype(np.int64),
            "days_since_last_login": since_login.astype(np.int64),
            "cancellation_reason": pd.Series(reasons, dtype="str"),
            "split": categorical(split.astype(np.int8), ["train", "test"]),
            "churned": churned.astype(np.int64),
        },
        copy=False,
    )
    return Built(tables={"churn": table})


def churn_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean table: rows, churn rate overall and after the drift, and the
    columns measured after the outcome."""
    t = tables["churn"]
    late = t["snapshot_date"] >= pd.Timestamp(DRIFT_FROM)
    return {
        "customers": len(t),
        "churn_rate": round(float(t["churned"].mean()), 6),
        "churn_rate_from_drift": round(float(t.loc[late, "churned"].mean()), 6),
        "post_outcome_columns": list(POST_OUTCOME_COLUMNS),
        "features_known_at_snapshot": list(FEATURES),
    }
