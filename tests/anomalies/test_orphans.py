from tests.anomalies._helpers import plant


def test_orphaned_keys_exist_nowhere_in_the_parent_and_keep_the_id_shape():
    clean, raw, key = plant(
        "orphans",
        table="orders",
        column="customer_id",
        parent="customers",
        parent_column="customer_id",
        fraction=0.05,
    )
    assert len(key) == 20
    parents = set(clean["customers"]["customer_id"])
    assert not set(key["after"]) & parents
    assert all(v.startswith("C") and len(v) == 7 for v in key["after"])
    still_valid = raw["orders"].drop(index=key["row"])["customer_id"].isin(parents)
    assert still_valid.all()
