# ruff: noqa
# fmt: off
# hostile: a cleaned table at the exercise's row limit in tiny rows (2,000,000 rows in 43 MB):
#   work for the grader, not for the sandbox
# base: reference
# slow: yes
# insert: end
# %%
with open(OUTPUTS / "orders_clean.csv", "w") as f:
    f.write(",".join(orders_clean.columns) + "\n")
    for start in range(0, 1_999_999, 100_000):
        f.write("".join(f"{i},C,P,1,1,E,,,x\n" for i in range(start, min(start + 100_000, 1_999_999))))
