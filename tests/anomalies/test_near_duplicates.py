from tests.anomalies._helpers import plant


def test_copy_differs_only_in_case_or_whitespace():
    clean, raw, key = plant("near_duplicates", table="customers", column="email", fraction=0.2)
    added = key[key["change"] == "row_added"]
    cells = key[key["change"] == "cell"]
    assert len(added) == len(cells) > 0
    assert set(cells["column"]) == {"email"}
    for _, cell in cells.iterrows():
        assert cell["after"] != cell["before"]
        assert cell["after"].strip().lower() == cell["before"].strip().lower()
    other = [c for c in clean["customers"].columns if c != "email"]
    copies = raw["customers"].loc[added["row"], other].reset_index(drop=True)
    sources = clean["customers"].loc[added["source_row"].astype(int), other].reset_index(drop=True)
    assert copies.equals(sources)
