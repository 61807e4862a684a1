"""True answers for leakage, from the clean table, the raw table and the answer key.

The model and the AUC are the ones the release notebook ships (`fit_logistic`, `auc`): the same
code, so a candidate who uses them on the right rows and features matches to many decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLLEAGUE_FEATURES = [
    "tenure_months",
    "monthly_charge",
    "support_tickets_90d",
    "logins_30d",
    "days_since_last_login",
]
POST_OUTCOME_COLUMNS = ["days_since_last_login", "cancellation_reason"]
HONEST_FEATURES = [c for c in COLLEAGUE_FEATURES if c not in POST_OUTCOME_COLUMNS]
TEST_FROM = pd.Timestamp("2023-10-01")
"""The time split: snapshots from October 2023 on are the test set (as the brief says)."""


def fit_logistic(X, y, iterations: int = 100):  # noqa: N803 (the notebook's own names)
    """Logistic regression by Newton's method, features standardized; returns a scorer."""
    X = np.asarray(X, dtype=float)  # noqa: N806
    y = np.asarray(y, dtype=float)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0

    def design(A):  # noqa: N803
        return np.column_stack([np.ones(len(A)), (np.asarray(A, dtype=float) - mean) / std])

    Z = design(X)  # noqa: N806
    w = np.zeros(Z.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(Z @ w)))
        hessian = (Z * (p * (1 - p))[:, None]).T @ Z + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, Z.T @ (y - p))
        w += step
        if np.abs(step).max() < 1e-10:
            break
    return lambda A: design(A) @ w  # noqa: N803


def auc(y, score) -> float:
    """Area under the ROC curve (Mann-Whitney U over n_pos * n_neg; ties count half)."""
    y = np.asarray(y).astype(bool)
    ranks = pd.Series(np.asarray(score, dtype=float)).rank().to_numpy()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def holdout_auc(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> float:
    model = fit_logistic(train[features], train["churned"].astype(int))
    return auc(test["churned"].astype(int), model(test[features]))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ids and splits as text and the model's columns as numbers (typed in memory
    or all text from files alike)."""
    out = table.astype({"customer_id": str, "split": str})
    for column in [*COLLEAGUE_FEATURES, "churned"]:
        out[column] = pd.to_numeric(out[column].astype(str))
    out["snapshot_date"] = pd.to_datetime(out["snapshot_date"].astype(str))
    return out


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    rows = _typed(raw["churn"])
    customers = _typed(clean["churn"])
    in_train = set(rows.loc[rows["split"] == "train", "customer_id"])
    in_test = set(rows.loc[rows["split"] == "test", "customer_id"])
    # What the colleague reported: the shipped random split, every feature they used, copies kept.
    reported = holdout_auc(
        rows[rows["split"] == "train"], rows[rows["split"] == "test"], COLLEAGUE_FEATURES
    )
    # The honest figure: one row per customer, features known on the snapshot date, trained on
    # the past and tested on the last quarter.
    late = customers["snapshot_date"] >= TEST_FROM
    honest = holdout_auc(customers[~late], customers[late], HONEST_FEATURES)
    return {
        "answers": {
            "leaky_columns": POST_OUTCOME_COLUMNS,
            "customers_in_both_splits": sorted(in_train & in_test),
            "reported_auc": round(reported, 6),
            "honest_auc": round(honest, 6),
        },
        "suite_parameters": {"customers": len(customers)},
        # What a careful analyst delivers: one row per customer, split by the snapshot date.
        "tables": {
            "churn_resplit": clean["churn"].assign(split=np.where(late.to_numpy(), "test", "train"))
        },
    }
