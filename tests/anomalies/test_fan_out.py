from tests.anomalies._helpers import plant


def test_dimension_keys_repeat_so_joins_fan_out():
    clean, raw, key = plant("fan_out", table="products", column="product_id", fraction=0.2)
    products = raw["products"]
    added = key[key["change"] == "row_added"]
    assert len(added) > 0
    dup_keys = products["product_id"][products["product_id"].duplicated()]
    assert len(dup_keys) == len(added)
    # a join on product_id now matches more order rows than there are orders
    joined = clean["orders"].merge(products, on="product_id", how="left")
    assert len(joined) > len(clean["orders"])
    # each copy differs from its source in exactly one other column
    cells = key[key["change"] == "cell"]
    assert len(cells) == len(added)
    assert set(cells["column"]) <= set(products.columns) - {"product_id"}
