import numpy as np
import pytest

from datalit.errors import InvalidArgument
from tests.anomalies._helpers import call, plant


def test_missingness_depends_on_the_driver_column():
    clean, raw, key = plant(
        "missing_mar",
        rows=4000,
        table="orders",
        column="delivered_at",
        depends_on="unit_price",
        fraction=0.2,
    )
    price = clean["orders"]["unit_price"]
    high = price.rank(pct=True, method="first") > 2 / 3
    blanked = clean["orders"].index.isin(key["row"])
    present = clean["orders"]["delivered_at"].notna()
    rate_high = blanked[high & present].mean()
    rate_low = blanked[~high & present].mean()
    assert rate_high > 2.5 * rate_low  # 4x weight, so well above 2.5x with thousands of rows
    assert np.isclose(blanked.sum(), round(0.2 * present.sum()))
    assert raw["orders"].loc[key["row"], "delivered_at"].isna().all()


def test_driver_must_differ_from_column():
    with pytest.raises(InvalidArgument, match="depends_on"):
        call("missing_mar", table="orders", column="quantity", depends_on="quantity")
