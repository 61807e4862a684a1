# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) the cleaned table saved as Latin-1 with an accented value, and
#   flags.json saved as UTF-16
# base: reference
# insert: end
# %%
latin = orders_clean.copy()
latin.iloc[0, latin.columns.get_loc("status")] = "livré"
latin.to_csv(OUTPUTS / "orders_clean.csv", index=False, encoding="latin-1")
(OUTPUTS / "flags.json").write_text(json.dumps(flags), encoding="utf-16")
