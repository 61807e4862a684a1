# ruff: noqa
# fmt: off
# hostile: (baseline) the raw orders copied unchanged to orders_clean.csv, nothing else
# base: release
# insert: after:load
# %%
orders.to_csv(OUTPUTS / "orders_clean.csv", index=False)
