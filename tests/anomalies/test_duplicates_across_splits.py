import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from tests.anomalies._helpers import call, plant


def test_copies_land_in_the_other_split():
    clean, raw, key = plant(
        "duplicates_across_splits", recipe="churn", table="churn", column="split", fraction=0.1
    )
    added = key[key["change"] == "row_added"]
    assert len(added) == round(0.1 * len(clean["churn"]))
    churn = raw["churn"]
    for row, source in zip(added["row"], added["source_row"], strict=True):
        copy, original = churn.loc[row], clean["churn"].loc[int(source)]
        assert copy["customer_id"] == original["customer_id"]
        assert {copy["split"], original["split"]} == {"train", "test"}
    both = churn.groupby("customer_id", observed=True)["split"].nunique()
    assert (both > 1).sum() == len(added)
    assert K.verify(clean, raw, key) == []


def test_a_column_without_two_values_is_refused():
    with pytest.raises(InvalidArgument, match="'column'"):
        call("duplicates_across_splits", recipe="churn", table="churn", column="plan")
