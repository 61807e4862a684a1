# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) the status column dropped, and the flags as one object instead of
#   lists
# base: reference
# insert: end
# %%
orders_clean.drop(columns=["status"]).to_csv(OUTPUTS / "orders_clean.csv", index=False)
(OUTPUTS / "flags.json").write_text(
    json.dumps(
        {
            "duplicate_order_ids": {"ids": duplicate_order_ids},
            "orphan_order_ids": "all",
            "duplicate_customer_ids": [None, True, 1.5, {"id": 1}],
        }
    ),
    encoding="utf-8",
)
