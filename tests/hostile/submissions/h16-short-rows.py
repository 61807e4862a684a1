# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) rows missing their last fields (which pandas would silently read
#   as NaN), and flags.json nested 400,000 levels deep (within its 1 MB limit)
# base: reference
# insert: end
# %%
lines = orders_clean.to_csv(index=False).splitlines()
lines[3] = ",".join(lines[3].split(",")[:-1])
lines[7] = ",".join(lines[7].split(",")[:-3])
(OUTPUTS / "orders_clean.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
(OUTPUTS / "flags.json").write_text("[" * 400_000 + "]" * 400_000)
