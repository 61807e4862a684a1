# ruff: noqa
# fmt: off
# hostile: a 40 MB value in one field of the cleaned table (a runaway quote or a blob pasted
#   into a cell)
# base: reference
# insert: end
# %%
long = orders_clean.copy()
long.iloc[0, long.columns.get_loc("status")] = "x" * (40 * 1024**2)
long.to_csv(OUTPUTS / "orders_clean.csv", index=False)
