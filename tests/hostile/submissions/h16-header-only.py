# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) the cleaned table with its header only (every row dropped), and
#   the revenue as one number instead of by country
# base: reference
# insert: end
# %%
orders_clean.head(0).to_csv(OUTPUTS / "orders_clean.csv", index=False)
(OUTPUTS / "answers.json").write_text(json.dumps({"revenue_eur_by_country": float(revenue.sum())}))
