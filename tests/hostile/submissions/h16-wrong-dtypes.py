# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) numbers written as floats (ids 100123.0, quantity 2.0), empty
#   delivery dates as NaN, revenue values as lists, flags ids as floats and text
# base: reference
# insert: end
# %%
typed = pd.read_csv(DATA / "orders.csv")  # default dtypes: ids and quantities may become floats
typed = typed[typed["order_id"].isin(orders_clean["order_id"].astype(int))].drop_duplicates(
    "order_id"
)
typed["status"] = typed["status"].str.lower()
typed["order_id"] = typed["order_id"].astype(float)
typed["quantity"] = typed["quantity"].astype(float)
typed.to_csv(OUTPUTS / "orders_clean.csv", index=False)
flags["duplicate_order_ids"] = [float(i) for i in flags["duplicate_order_ids"]]
flags["orphan_order_ids"] = [str(i) + ".5" for i in flags["orphan_order_ids"]]
(OUTPUTS / "flags.json").write_text(json.dumps(flags), encoding="utf-8")
answers = {"revenue_eur_by_country": {k: [v] for k, v in revenue.items()}}
(OUTPUTS / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
