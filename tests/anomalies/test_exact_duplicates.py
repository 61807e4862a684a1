import pandas as pd

from tests.anomalies._helpers import plant


def test_copies_are_identical_to_their_source_and_numbered_after_the_clean_rows():
    clean, raw, key = plant("exact_duplicates", table="orders", fraction=0.05)
    n = len(clean["orders"])
    assert (key["change"] == "row_added").all()
    assert len(raw["orders"]) == n + len(key) == n + 20
    assert sorted(key["row"]) == list(range(n, n + 20))
    copies = raw["orders"].loc[key["row"]].reset_index(drop=True)
    sources = clean["orders"].loc[key["source_row"].astype(int)].reset_index(drop=True)
    pd.testing.assert_frame_equal(copies, sources)
    # copies are scattered through the table, not all appended at the end
    positions = raw["orders"].index.get_indexer(key["row"])
    assert positions.min() < n - 20
