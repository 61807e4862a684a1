# ruff: noqa
# fmt: off
# hostile: (ordinary mistake) rows with an extra field (an unquoted comma), and answers.json
#   holding NaN
# base: reference
# insert: end
# %%
lines = orders_clean.to_csv(index=False).splitlines()
lines[5] = lines[5] + ",extra"
lines[9] = lines[9] + ",1,2"
(OUTPUTS / "orders_clean.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
(OUTPUTS / "answers.json").write_text('{"revenue_eur_by_country": {"FR": NaN, "US": Infinity}}')
