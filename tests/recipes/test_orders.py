"""The orders recipe's clean tables satisfy their own integrity rules."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from datalit.generators import vocab
from datalit.generators.recipes import get
from datalit.seeding import seeded

EMAIL = re.compile(r"^[a-z0-9.\-]+@([a-z0-9\-]+\.)+[a-z]+$")


@pytest.fixture(scope="module", params=[0, 1, 2])
def tables(request):
    return get("orders").build(seeded(request.param), rows=3000).tables


def test_foreign_keys_are_valid(tables):
    o = tables["orders"]
    assert o["customer_id"].isin(tables["customers"]["customer_id"]).all()
    assert o["product_id"].isin(tables["products"]["product_id"]).all()
    assert o["currency"].isin(tables["fx_rates"]["currency"]).all()
    for name, pk in (
        ("customers", "customer_id"),
        ("products", "product_id"),
        ("orders", "order_id"),
    ):
        assert tables[name][pk].is_unique


def test_personal_data_is_never_real(tables):
    c = tables["customers"]
    assert c["email"].str.match(EMAIL.pattern).all()
    domains = c["email"].str.split("@").str[1]
    assert domains.isin(vocab.EMAIL_DOMAINS).all()
    fictional = (
        r"^(\+1 [2-9]\d\d-555-01\d\d|\+44 7700 900\d{3}|\+33 1 99 00 \d\d \d\d|\+61 2 5550 \d{4})$"
    )
    assert c["phone"].str.match(fictional).all()


def test_country_currency_city_and_postcode_agree(tables):
    c = tables["customers"].set_index("customer_id")
    o = tables["orders"]
    country = o["customer_id"].map(c["country"])
    expected = country.map({iso: v[1] for iso, v in vocab.COUNTRIES.items()})
    assert (o["currency"] == expected).all()
    cities = {iso: {city for city, *_ in v[3]} for iso, v in vocab.COUNTRIES.items()}
    assert all(city in cities[iso] for city, iso in zip(c["city"], c["country"], strict=True))
    # postcode -> city is a functional dependency in the clean data
    assert (c.groupby("postcode")["city"].nunique() == 1).all()


def test_dates_are_ordered_and_prices_plausible(tables):
    c = tables["customers"].set_index("customer_id")
    o = tables["orders"]
    signup = o["customer_id"].map(c["signup_date"])
    assert (o["ordered_at"] > signup).all()
    delivered = o["delivered_at"].notna()
    assert (o.loc[delivered, "delivered_at"] > o.loc[delivered, "ordered_at"]).all()
    assert set(o.loc[delivered, "status"]) <= {"delivered", "returned"}
    assert (o["unit_price"] > 0).all()
    assert (o["unit_price"] < 5000).all()
    assert (o["quantity"] >= 1).all()
    fx = tables["fx_rates"].set_index("currency")["eur_per_unit"]
    p = tables["products"].set_index("product_id")["price_eur"]
    eur = o["unit_price"] * o["currency"].map(fx).to_numpy()
    assert np.allclose(eur, o["product_id"].map(p), rtol=0.01, atol=0.02)


def test_sizes_scale_with_rows():
    t = get("orders").build(seeded(0), rows=20_000).tables
    assert len(t["orders"]) == 20_000
    assert len(t["customers"]) == 2_000
    assert len(t["products"]) == 100


def test_answers_come_from_the_tables(tables):
    answers = get("orders").answers(tables)
    assert answers["orders"] == len(tables["orders"])
    changed = {k: v.copy() for k, v in tables.items()}
    changed["orders"] = changed["orders"].assign(quantity=changed["orders"]["quantity"] * 2)
    doubled = get("orders").answers(changed)
    assert doubled["revenue_eur_total"] == pytest.approx(2 * answers["revenue_eur_total"], rel=1e-6)
    assert pd.Series(answers["revenue_eur_by_country"]).sum() == pytest.approx(
        answers["revenue_eur_total"], abs=0.1
    )
