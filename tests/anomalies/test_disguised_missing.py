from datalit.generators.anomalies.disguised_missing import (
    DATE_PLACEHOLDERS,
    NUMBER_PLACEHOLDERS,
    TEXT_PLACEHOLDERS,
)
from tests.anomalies._helpers import plant


def test_placeholders_match_the_column_type():
    for column, allowed in (
        ("phone", TEXT_PLACEHOLDERS),
        ("signup_date", DATE_PLACEHOLDERS),
    ):
        _, _, key = plant("disguised_missing", table="customers", column=column, fraction=0.2)
        assert len(key) > 0
        assert set(key["after"]) <= set(allowed)
    _, _, key = plant("disguised_missing", table="orders", column="quantity", fraction=0.2)
    assert set(key["after"]) <= set(NUMBER_PLACEHOLDERS)


def test_explicit_sentinel_is_used_everywhere():
    _, raw, key = plant(
        "disguised_missing", table="orders", column="unit_price", fraction=0.1, sentinel="-99"
    )
    assert set(key["after"]) == {"-99"}
    assert (raw["orders"].loc[key["row"], "unit_price"] == "-99").all()
