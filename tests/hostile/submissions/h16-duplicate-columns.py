# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) a column written twice, and revenue given as text
# base: reference
# insert: end
# %%
doubled = orders_clean[[*orders_clean.columns, "status"]]
doubled.to_csv(OUTPUTS / "orders_clean.csv", index=False)
answers = {"revenue_eur_by_country": {k: f"{v:,.2f} EUR" for k, v in revenue.items()}}
(OUTPUTS / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
