"""`orders`: an online shop's customers, products, orders and exchange rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from datalit.generators import vocab
from datalit.generators.pools import (
    ascii_fold,
    fill_digits,
    fixed_width,
    join,
    name_pools,
    positions,
    series,
    take,
    weighted_codes,
    zero_padded_bytes,
)
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant

from datalit.seeding import Seeded

SIGNUP_START = np.datetime64("2022-01-01T00:00:00", "s")
SIGNUP_END = np.datetime64("2024-06-30T00:00:00", "s")
ORDERS_END = np.datetime64("2024-12-31T23:59:59", "s")
DAY = 86_400
# Items per order line: 1 most of the time (a geometric-like tail up to 8; invented).
QUANTITY_WEIGHTS = np.array([0.55, 0.25, 0.11, 0.05, 0.02, 0.01, 0.007, 0.003])


def _sizes(rows: int) -> tuple[int, int]:
    """Customers and products for `rows` orders: ~10 orders per customer, a catalogue that
    grows slowly (1 M orders -> 100 k customers, 5 k products)."""
    return max(20, rows // 10), int(np.clip(rows // 200, 20, 5000))


def _street_pool(iso: str, lasts: list[str], src: Seeded, size: int = 60) -> list[str]:
    """Street names: French ones composed like Faker's fr_FR formats ("rue Martin"),
    the others from Faker's en_US street formats."""
    if iso in ("FR", "CA"):
        types = vocab.FRENCH_STREET_TYPES
        kinds = src.rng.integers(0, len(types), size)
        names = src.rng.integers(0, len(lasts), size)
        return sorted({f"{types[k]} {lasts[i]}" for k, i in zip(kinds, names, strict=True)})
    return sorted({src.faker.street_name() for _ in range(size)})


def _postcodes(iso: str) -> tuple[list[str], list[str]]:
    """Every postcode of the country's cities, with its city (postcode -> city is a function)."""
    codes, cities = [], []
    for city, first_code, count in vocab.COUNTRIES[iso][3]:
        for k in range(count):
            codes.append(
                str(int(first_code) + k).zfill(len(first_code))
                if first_code.isdigit()
                else first_code
            )
            cities.append(city)
    return codes, cities


def customer_id_bytes(n: int) -> np.ndarray:
    return zero_padded_bytes(np.arange(1, n + 1), 6, "C")


def product_id_bytes(n: int) -> np.ndarray:
    return zero_padded_bytes(np.arange(1, n + 1), 5, "P")


def _customers(src: Seeded, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The customers table and each customer's country code (index into COUNTRY_WEIGHTS)."""
    rng = src.rng
    isos = list(vocab.COUNTRY_WEIGHTS)
    country = weighted_codes(np.array(list(vocab.COUNTRY_WEIGHTS.values())), n, rng)

    # Each country's customers are built from that country's pools (names, streets, postcodes,
    # fictional phone range), then all pieces are put back in row order with one take.
    parts: dict[str, list[pa.Array]] = {
        c: [] for c in ("name", "email", "phone", "street", "city", "postcode")
    }
    positions = []
    for ci, iso in enumerate(isos):
        rows = np.flatnonzero(country == ci)
        m = len(rows)
        positions.append(rows)
        firsts, lasts = name_pools(vocab.NAME_LOCALES[iso], rng)
        first = rng.integers(0, len(firsts), m)
        last = rng.integers(0, len(lasts), m)
        parts["name"].append(join(take(firsts, first), " ", take(lasts, last)))
        # Emails fold accents and drop what a mail system would not accept ("O'Brien").
        fold_first = [ascii_fold(x).lower() for x in firsts]
        fold_last = [ascii_fold(x).lower() for x in lasts]
        number = pc.cast(pa.array(rng.integers(1, 100, m)), pa.large_string())
        domain = take(vocab.EMAIL_DOMAINS, rng.integers(0, len(vocab.EMAIL_DOMAINS), m))
        email = join(take(fold_first, first), ".", take(fold_last, last), number, "@", domain)
        parts["email"].append(pc.replace_substring_regex(email, r"[^a-z0-9.@\-]", ""))
        parts["phone"].append(fill_digits(vocab.COUNTRIES[iso][2], rng, m))
        streets = _street_pool(iso, lasts, src)
        house = pc.cast(pa.array(rng.integers(1, 400, m)), pa.large_string())
        parts["street"].append(join(house, " ", take(streets, rng.integers(0, len(streets), m))))
        codes, cities = _postcodes(iso)
        pick = rng.integers(0, len(codes), m)
        parts["postcode"].append(take(codes, pick))
        parts["city"].append(take(cities, pick))
    back = pa.array(np.argsort(np.concatenate(positions), kind="stable"))
    columns = {c: series(pa.concat_arrays(p).take(back)) for c, p in parts.items()}

    signup = SIGNUP_START + rng.integers(
        0, int((SIGNUP_END - SIGNUP_START) / np.timedelta64(1, "s")), n
    )
    df = pd.DataFrame(
        {
            "customer_id": series(fixed_width(customer_id_bytes(n))),
            "name": columns["name"],
            "email": columns["email"],
            "phone": columns["phone"],
            "street": columns["street"],
            "city": columns["city"],
            "postcode": columns["postcode"],
            "country": series(take(isos, country)),
            "signup_date": pd.Series(signup.astype("datetime64[s]")),
        },
        copy=False,
    )
    return df, country


def _products(src: Seeded, n: int) -> pd.DataFrame:
    rng = src.rng
    cats = list(vocab.PRODUCT_CATEGORIES)
    cat = rng.integers(0, len(cats), n)
    names = []
    # n <= 5000: building the names in Python is cheap and keeps them readable.
    adjectives = vocab.PRODUCT_ADJECTIVES
    adj = rng.integers(0, len(adjectives), n)
    noun_pick = rng.integers(0, 1000, n)
    for i in range(n):
        nouns = vocab.PRODUCT_CATEGORIES[cats[cat[i]]][1]
        names.append(f"{adjectives[adj[i]]} {nouns[noun_pick[i] % len(nouns)]}")
    median = np.array([vocab.PRODUCT_CATEGORIES[c][0] for c in cats])[cat]
    price = np.round(median * rng.lognormal(0.0, 0.45, n), 2)
    price = np.maximum(price, 0.99)
    return pd.DataFrame(
        {
            "product_id": series(fixed_width(product_id_bytes(n))),
            "name": pd.Series(names, dtype="str"),
            "category": series(take(cats, cat)),
            "price_eur": price,
        }
    )


@recipe(
    "orders",
    main_table="orders",
    default_rows=2000,
    min_rows=20,
    default_plants=[
        Plant("exact_duplicates", {"table": "orders", "fraction": 0.02}),
        Plant("near_duplicates", {"table": "customers", "column": "email", "fraction": 0.03}),
        Plant("disguised_missing", {"table": "customers", "column": "phone", "fraction": 0.05}),
        Plant("missing_mcar", {"table": "orders", "column": "quantity", "fraction": 0.01}),
        Plant(
            "orphans",
            {
                "table": "orders",
                "column": "customer_id",
                "parent": "customers",
                "parent_column": "customer_id",
                "fraction": 0.01,
            },
        ),
        Plant("fan_out", {"table": "products", "column": "product_id", "fraction": 0.02}),
    ],
    answers=lambda tables: orders_answers(tables),
)
def orders(src: Seeded, *, rows: int) -> Built:
    """An online shop: customers, products, orders in local currencies, and EUR exchange rates."""
    rng = src.rng
    n_customers, n_products = _sizes(rows)
    customers, customer_country = _customers(src, n_customers)
    products = _products(src, n_products)

    # Some customers order much more than others (a Zipf-like long tail).
    weights = rng.pareto(1.5, n_customers) + 0.05
    cust = weighted_codes(weights, rows, rng)
    prod = rng.integers(0, n_products, rows)
    currencies = np.array([vocab.COUNTRIES[c][1] for c in vocab.COUNTRY_WEIGHTS])
    currency_code = customer_country[cust]
    eur_per_unit = np.array([vocab.EUR_PER_UNIT[c] for c in currencies])
    unit_price = np.round(products["price_eur"].to_numpy()[prod] / eur_per_unit[currency_code], 2)

    # Orders come after signup: signup + an exponential wait, kept before the data's end date.
    signup = customers["signup_date"].to_numpy().astype("int64")[cust]
    end = ORDERS_END.astype("int64")
    wait = rng.exponential(120 * DAY, rows).astype(np.int64) + rng.integers(3600, DAY, rows)
    ordered = np.minimum(signup + wait, end - rng.integers(0, 30 * DAY, rows))
    ordered = np.maximum(ordered, signup + 60)
    statuses = list(vocab.ORDER_STATUSES)
    status = weighted_codes(np.array(list(vocab.ORDER_STATUSES.values())), rows, rng)
    delivered = ordered + rng.integers(DAY, 9 * DAY, rows)
    has_delivery = (status == statuses.index("delivered")) | (status == statuses.index("returned"))
    delivered_at = pd.Series(delivered.astype("datetime64[s]")).where(has_delivery)

    orders_df = pd.DataFrame(
        {
            "order_id": np.arange(100_001, 100_001 + rows, dtype=np.int64),
            # Ids are fixed-width, so they are built as bytes rather than looked up.
            "customer_id": series(fixed_width(customer_id_bytes(n_customers)[cust])),
            "product_id": series(fixed_width(product_id_bytes(n_products)[prod])),
            "quantity": weighted_codes(QUANTITY_WEIGHTS, rows, rng).astype(np.int64) + 1,
            "unit_price": unit_price,
            "currency": series(take(list(currencies), currency_code)),
            "ordered_at": pd.Series(ordered.astype("datetime64[s]")),
            "delivered_at": delivered_at,
            "status": series(take(statuses, status)),
        },
        copy=False,
    )
    fx = pd.DataFrame(
        {
            "currency": pd.Series(list(vocab.EUR_PER_UNIT), dtype="str"),
            "eur_per_unit": list(vocab.EUR_PER_UNIT.values()),
        }
    )
    return Built(
        tables={"customers": customers, "products": products, "orders": orders_df, "fx_rates": fx}
    )


def orders_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean tables: revenue in EUR by country (cancelled orders excluded)."""
    o, customers, fx = tables["orders"], tables["customers"], tables["fx_rates"]
    live = (o["status"] != "cancelled").to_numpy()
    rate = fx["eur_per_unit"].to_numpy()[positions(o["currency"], fx["currency"])]
    eur = np.where(live, o["quantity"].to_numpy() * o["unit_price"].to_numpy() * rate, 0.0)
    country_code, countries = pd.factorize(customers["country"], sort=True)
    code = country_code[positions(o["customer_id"], customers["customer_id"])]
    by_country = np.bincount(code, weights=eur, minlength=len(countries))
    return {
        "orders": len(o),
        "customers": len(customers),
        "revenue_eur_by_country": {
            str(c): round(float(v), 2) for c, v in zip(countries, by_country, strict=True)
        },
        "revenue_eur_total": round(float(eur.sum()), 2),
    }
