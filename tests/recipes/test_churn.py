import pandas as pd

from datalit.generators.engine import generate
from datalit.generators.recipes.churn import DRIFT_FROM, EXPORT_DATE, POST_OUTCOME_COLUMNS
from tests.conftest import small_tables


def test_one_row_per_customer_in_customer_order_with_their_own_dates():
    t = small_tables("churn", 0, 1000)["churn"]
    assert t["customer_id"].is_unique
    assert t["customer_id"].str.fullmatch(r"K\d{6}").all()
    assert t["customer_id"].is_monotonic_increasing
    # Not sorted by date: the split by time is then no cut of the row order, so it differs
    # between variants and a split column moved by one row is wrong.
    assert not t["snapshot_date"].is_monotonic_increasing
    other = small_tables("churn", 1, 1000)["churn"]
    assert (t["snapshot_date"] != other["snapshot_date"]).mean() > 0.9
    assert t["snapshot_date"].dt.year.eq(2023).all()
    assert set(t["split"]) == {"train", "test"}
    assert set(t["churned"]) == {0, 1}


def test_post_outcome_columns_know_the_outcome():
    t = small_tables("churn", 1, 2000)["churn"]
    # the cancellation reason is there exactly when the customer cancelled
    assert (t["cancellation_reason"].notna() == t["churned"].eq(1)).all()
    # a customer who left last logged in within 30 days of the snapshot
    left = t[t["churned"] == 1]
    last_login = pd.Timestamp(EXPORT_DATE) - pd.to_timedelta(
        left["days_since_last_login"], unit="D"
    )
    gap = (last_login - left["snapshot_date"]).dt.days
    assert gap.between(0, 30).all()
    assert set(POST_OUTCOME_COLUMNS) <= set(t.columns)


def test_features_are_plausible_and_churn_drifts_up_in_the_last_quarter():
    t = small_tables("churn", 2, 3000)["churn"]
    assert (t["monthly_charge"] > 0).all()
    assert (t["tenure_months"] >= 1).all()
    assert (t[["support_tickets_90d", "logins_30d", "days_since_last_login"]] >= 0).all().all()
    late = t["snapshot_date"] >= pd.Timestamp(DRIFT_FROM)
    assert t.loc[late, "churned"].mean() > t.loc[~late, "churned"].mean()
    assert 0.75 < (t["split"] == "train").mean() < 0.85


def test_same_seed_same_tables():
    a = generate("churn", seed=5, rows=300)
    b = generate("churn", seed=5, rows=300)
    pd.testing.assert_frame_equal(a.raw["churn"], b.raw["churn"])
    pd.testing.assert_frame_equal(a.key, b.key)
