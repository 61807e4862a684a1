# ruff: noqa
# fmt: off
# hostile: an output larger than the exercise allows (60 MB; the limit is 50 MB), and one of
#   the limit's row count in tiny rows
# base: reference
# insert: end
# %%
with open(OUTPUTS / "orders_clean.csv", "w") as f:
    f.write(",".join(orders_clean.columns) + "\n")
    row = ",".join(["1"] * len(orders_clean.columns)) + "\n"
    f.write(row * (60 * 1024**2 // len(row)))
