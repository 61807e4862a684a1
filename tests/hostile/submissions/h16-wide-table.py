# ruff: noqa
# fmt: off
# hostile: a cleaned table with the 1000 columns extract allows, filling the 50 MB limit
# base: reference
# slow: yes
# insert: end
# %%
names = list(orders_clean.columns) + [f"x{i}" for i in range(1000 - len(orders_clean.columns))]
row = ",".join(["1"] * len(names)) + "\n"
with open(OUTPUTS / "orders_clean.csv", "w") as f:
    f.write(",".join(names) + "\n")
    f.write(row * (49 * 1024**2 // len(row)))
