# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) the cleaned table saved with a UTF-8 byte-order mark (Excel's
#   "CSV UTF-8"); the JSON files too
# base: reference
# insert: end
# %%
orders_clean.to_csv(OUTPUTS / "orders_clean.csv", index=False, encoding="utf-8-sig")
(OUTPUTS / "flags.json").write_text(json.dumps(flags), encoding="utf-8-sig")
