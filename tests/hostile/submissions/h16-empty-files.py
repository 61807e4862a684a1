# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) empty output files: an empty CSV, a JSON list instead of an
#   object, and an answers.json of whitespace
# base: reference
# insert: end
# %%
(OUTPUTS / "orders_clean.csv").write_text("")
(OUTPUTS / "flags.json").write_text("[]")
(OUTPUTS / "answers.json").write_text("   \n")
