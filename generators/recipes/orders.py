"""`orders`: an online shop's customers, products, orders and exchange rates."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.address.en_US import Provider as _Address

from datalit.generators import vocab
from datalit.generators.parallel import in_background
from datalit.generators.pools import (
    categorical,
    distinct_dtype,
    fill_digits,
    fixed_width,
    join,
    name_pools,
    positions,
    series,
    take,
    weighted_codes,
    weighted_codes_later,
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
# Faker's en_US street suffixes ("Avenue", "Lane", …), the list `street_suffix()` draws from.
_STREET_SUFFIXES = tuple(_Address.street_suffixes)


def _sizes(rows: int) -> tuple[int, int]:
    """Customers and products for `rows` orders: ~10 orders per customer, a catalogue that
    grows slowly (1 M orders -> 100 k customers, 5 k products)."""
    return max(20, rows // 10), int(np.clip(rows // 200, 20, 5000))


def _street_pool(
    iso: str, firsts: list[str], lasts: list[str], rng: np.random.Generator, size: int = 60
) -> list[str]:
    """Street names composed like Faker's formats from the country's name pools: French ones
    like fr_FR's ("rue Martin"), the others like en_US's, a first or last name and one of
    Faker's street suffixes ("Martin Lane")."""
    if iso in ("FR", "CA"):
        types = vocab.FRENCH_STREET_TYPES
        kinds = rng.integers(0, len(types), size)
        names = rng.integers(0, len(lasts), size)
        return sorted({f"{types[k]} {lasts[i]}" for k, i in zip(kinds, names, strict=True)})
    # Faker's street_name() would draw a weighted name per call (50 µs each); the names here
    # come from the pools already drawn from Faker's lists, the suffixes uniformly from Faker's
    # en_US list (as `street_suffix()` draws them), read from the provider like the names.
    people = firsts + lasts
    names = rng.integers(0, len(people), size)
    suffixes = rng.integers(0, len(_STREET_SUFFIXES), size)
    return sorted(
        {f"{people[i]} {_STREET_SUFFIXES[k]}" for i, k in zip(names, suffixes, strict=True)}
    )


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


# "1".."399": house numbers and the numbers in email addresses are taken from this pool.
_NUMBERS = [str(i) for i in range(400)]
_HOUSE_NUMBERS = [f"{i} " for i in _NUMBERS]
# An email's ending, number then domain: number * len(EMAIL_DOMAINS) + domain is its code.
_EMAIL_ENDINGS = [f"{i}@{d}" for i in _NUMBERS for d in vocab.EMAIL_DOMAINS]


def _categories(values: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct `values` in first-seen order, and each value's code among them."""
    distinct = list(dict.fromkeys(values))
    code = {v: i for i, v in enumerate(distinct)}
    return distinct, np.array([code[v] for v in values], dtype=np.int32)


def _customers(src: Seeded, n: int) -> tuple[np.ndarray, np.ndarray, Callable[[str], dict]]:
    """Draw the customers: each customer's country code (index into COUNTRY_WEIGHTS) and signup
    time, and a function that builds their columns from the draws: ``columns("email")`` the
    emails, ``columns("rest")`` the other columns and the ids as a categorical dtype (for
    foreign keys, under "ids"). It uses no randomness, so the two halves may run on two threads
    at once; `_customer_frame` puts the table together."""
    rng = src.rng
    isos = list(vocab.COUNTRY_WEIGHTS)
    weights = np.array(list(vocab.COUNTRY_WEIGHTS.values()))
    country = weighted_codes(weights, n, rng, dtype=np.int8)

    # Each country's customers draw from that country's pools (names, streets, postcodes,
    # fictional phone range). The pools of all countries are laid end to end and each row keeps
    # its code into them, so every text column is built once, in row order, by one take: no
    # per-country strings to concatenate and reorder.
    pools: dict[str, list[str]] = {p: [] for p in ("first", "last", "street", "postcode")}
    codes = {p: np.empty(n, dtype=np.int32) for p in pools}
    postcode_city = []
    number, domain, house = (np.empty(n, dtype=np.int32) for _ in range(3))
    phones, country_rows = [], []

    def draw(pool: str, values: list[str], rows: np.ndarray) -> None:
        codes[pool][rows] = len(pools[pool]) + rng.integers(0, len(values), len(rows))
        pools[pool].extend(values)

    for ci, iso in enumerate(isos):
        rows = np.flatnonzero(country == ci)
        m = len(rows)
        country_rows.append(rows)
        firsts, lasts = name_pools(vocab.NAME_LOCALES[iso], rng)
        draw("first", firsts, rows)
        draw("last", lasts, rows)
        number[rows] = rng.integers(1, 100, m)
        domain[rows] = rng.integers(0, len(vocab.EMAIL_DOMAINS), m)
        phones.append(fill_digits(vocab.COUNTRIES[iso][2], rng, m))
        streets = _street_pool(iso, firsts, lasts, rng)
        house[rows] = rng.integers(1, 400, m)
        draw("street", streets, rows)
        postcodes, cities = _postcodes(iso)
        draw("postcode", postcodes, rows)
        postcode_city += cities
    signup = SIGNUP_START + rng.integers(
        0, int((SIGNUP_END - SIGNUP_START) / np.timedelta64(1, "s")), n
    )

    def columns(part: str) -> dict:
        first, last = codes["first"], codes["last"]
        if part == "email":
            # Emails fold accents and drop what a mail system would not accept ("O'Brien"); the
            # other parts of an address are clean already, so cleaning the name pools is
            # enough. "first." + "last" + "12@example.com": the literal parts are joined to the
            # pools first (the number and domain as one pool of their pairs), so the join of a
            # row per customer has three parts, not six.
            domains = len(vocab.EMAIL_DOMAINS)
            email = join(
                take([f"{p}." for p in _email_parts(pools["first"])], first),
                take(_email_parts(pools["last"]), last),
                take(_EMAIL_ENDINGS, number * domains + domain),
            )
            return {"email": series(email)}
        # Phone templates differ in width by country: those are built per country and put back
        # in row order.
        # (The rows by country are a permutation of all rows: its inverse, without a sort.)
        by_country = np.concatenate(country_rows)
        back = np.empty(n, dtype=np.int64)
        back[by_country] = np.arange(n)
        back = pa.array(back)
        postcodes, postcode_code = _categories(pools["postcode"])
        cities, city_code = _categories(postcode_city)
        postcode = postcode_code[codes["postcode"]]
        ids = series(fixed_width(customer_id_bytes(n)))
        return {
            "customer_id": ids,
            "name": series(
                join(take([f"{p} " for p in pools["first"]], first), take(pools["last"], last))
            ),
            "phone": series(pa.concat_arrays(phones).take(back)),
            "street": series(
                join(take(_HOUSE_NUMBERS, house), take(pools["street"], codes["street"]))
            ),
            # A few dozen cities, a few hundred postcodes: stored as codes (`categorical`).
            "city": categorical(city_code[postcode], cities),
            "postcode": categorical(postcode, postcodes),
            "country": categorical(country, isos),
            "signup_date": signup.astype("datetime64[s]", copy=False),
            # The ids are distinct by construction (one per number 1..n).
            "ids": distinct_dtype(pd.Index(ids)),
        }

    return country, signup, columns


CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "signup_date",
)


def _customer_frame(columns: dict) -> tuple[pd.DataFrame, pd.CategoricalDtype]:
    """The customers' table from both halves of `_customers`' columns, and their ids' dtype."""
    frame = pd.DataFrame({c: columns[c] for c in CUSTOMER_COLUMNS}, copy=False)
    return frame, columns["ids"]


def _email_parts(names: list[str]) -> list[str]:
    """How names read in an email address ("Hélène" -> "helene", "O'Brien" -> "obrien"): accents
    folded (NFKD, then the marks dropped with everything else a mail system would not accept)."""
    folded = pc.utf8_lower(pc.utf8_normalize(pa.array(names, type=pa.large_string()), "NFKD"))
    return pc.replace_substring_regex(folded, r"[^a-z0-9.@\-]", "").to_pylist()


def _products(rng: np.random.Generator, n: int) -> pd.DataFrame:
    cats = list(vocab.PRODUCT_CATEGORIES)
    cat = rng.integers(0, len(cats), n, dtype=np.int8)
    adjectives = vocab.PRODUCT_ADJECTIVES
    adj = rng.integers(0, len(adjectives), n)
    noun_pick = rng.integers(0, 1000, n)
    # "Adjective Noun", the noun one of the category's: the categories' nouns laid end to end.
    nouns = [vocab.PRODUCT_CATEGORIES[c][1] for c in cats]
    count = np.array([len(group) for group in nouns])
    noun = (np.cumsum(count) - count)[cat] + noun_pick % count[cat]
    names = join(take(adjectives, adj), " ", take([x for group in nouns for x in group], noun))
    median = np.array([vocab.PRODUCT_CATEGORIES[c][0] for c in cats])[cat]
    price = np.round(median * rng.lognormal(0.0, 0.45, n), 2)
    price = np.maximum(price, 0.99)
    return pd.DataFrame(
        {
            "product_id": series(fixed_width(product_id_bytes(n))),
            "name": series(names),
            "category": categorical(cat, cats),
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
    # A million orders are built from small integer codes (a customer, a product, a status per
    # row) and a few int32 offsets, in place where possible: at this size every temporary array
    # costs more in fresh memory than in arithmetic.
    rng = src.rng
    n_customers, n_products = _sizes(rows)
    # Customers and products come from random streams of their own, spawned from the run's
    # rng (so a seed still gives the same tables): they are drawn and built on worker threads
    # while the orders are drawn here.
    customer_rng, product_rng = rng.spawn(2)
    customer_src = dataclasses.replace(src, rng=customer_rng)
    # One worker draws the customers, hands their countries and signups over (`drawn`), and
    # goes straight on to their text columns while the orders are drawn here (the emails are
    # built on a second worker).
    drawn: Future = Future()

    def customers_job() -> dict:
        try:
            country, signup, columns = _customers(customer_src, n_customers)
        except BaseException as exc:
            drawn.set_exception(exc)
            raise
        drawn.set_result((country, signup, columns))
        return columns("rest")

    customers_task = in_background(customers_job)
    products_task = in_background(lambda: _products(product_rng, n_products))

    # Some customers order much more than others (a Zipf-like long tail).
    weights = rng.pareto(1.5, n_customers) + 0.05
    # Drawn here, looked up (a 4 MB table read at random) on a worker while the rest is drawn.
    cust_task = in_background(weighted_codes_later(weights, rows, rng))
    order_ids = in_background(lambda: np.arange(100_001, 100_001 + rows, dtype=np.int64))
    # int16 holds every product code: the catalogue has at most 5000 products (`_sizes`).
    prod = rng.integers(0, n_products, rows, dtype=np.int16)
    # An order waits an exponential number of seconds plus one hour to one day after signup
    # (clipped so it fits int32; the time left after signup is shorter anyway) and comes up to
    # 30 days before the data's end. Offsets from signup fit int32: signups are under three
    # years before the end.
    wait = rng.standard_exponential(rows, dtype=np.float32)
    wait *= 120 * DAY
    np.minimum(wait, 3 * 365 * DAY, out=wait)
    offset = rng.integers(3600, DAY, rows, dtype=np.int32)
    np.add(offset, wait, out=offset, casting="unsafe")
    del wait
    before_end = rng.integers(0, 30 * DAY, rows, dtype=np.int32)
    statuses = list(vocab.ORDER_STATUSES)
    status_codes = weighted_codes_later(
        np.array(list(vocab.ORDER_STATUSES.values())), rows, rng, dtype=np.int8
    )
    delivery = rng.integers(DAY, 9 * DAY, rows, dtype=np.int32)
    quantity_codes = weighted_codes_later(QUANTITY_WEIGHTS, rows, rng, dtype=np.int64)
    # Drawn here; the lookups (and the int64 quantities) are made on a worker.
    quantity_task = in_background(lambda: np.add(q := quantity_codes(), 1, out=q))

    customer_country, signup, customer_columns = drawn.result()
    # The emails on another worker, while the first goes on with the other columns.
    emails_task = in_background(lambda: customer_columns("email"))
    products = products_task.result()
    cust = cust_task.result()
    currencies, currency_of_country = _categories(
        [vocab.COUNTRIES[c][1] for c in vocab.COUNTRY_WEIGHTS]
    )
    # (np.take reads int32 codes faster than fancy indexing does, here and below.)
    currency = np.take(currency_of_country.astype(np.int8)[customer_country], cust)
    # Prices in local currency, for every product in every currency, then one lookup per order
    # (on a worker thread while the dates are worked out).
    eur_per_unit = np.array([vocab.EUR_PER_UNIT[c] for c in currencies])
    local_price = np.round(products["price_eur"].to_numpy()[:, None] / eur_per_unit[None, :], 2)

    def unit_prices() -> np.ndarray:
        # The table laid flat: row prod, column currency.
        flat = prod.astype(np.intp)
        flat *= len(currencies)
        flat += currency
        return np.take(local_price.ravel(), flat)

    unit_price = in_background(unit_prices)

    # Ordered: signup + the offset, at least a minute after signup and no later than the
    # order's latest time.
    signup = signup.view(np.int64)
    ordered = np.take(signup, cust)
    # The latest offset, END - before_end - signup, worked out in before_end's buffer (all
    # int32: the end's epoch seconds and the offsets fit), not gathered per customer again.
    latest = np.subtract(ORDERS_END.astype(np.int64), before_end, out=before_end, casting="unsafe")
    np.subtract(latest, ordered, out=latest, casting="unsafe")
    np.minimum(offset, latest, out=offset)
    np.maximum(offset, 60, out=offset)
    del latest, before_end
    ordered += offset
    del offset

    def statuses_and_deliveries() -> tuple[np.ndarray, np.ndarray]:
        # Only delivered and returned orders have a delivery date.
        status = status_codes()
        delivered = ordered + delivery
        undelivered = np.array([s not in ("delivered", "returned") for s in statuses])
        np.copyto(
            delivered, np.datetime64("NaT").view(np.int64), where=np.take(undelivered, status)
        )
        return status, delivered

    # On a worker while the customers are put together here.
    delivered_task = in_background(statuses_and_deliveries)

    customers, customer_ids = _customer_frame(customers_task.result() | emails_task.result())
    status, delivered = delivered_task.result()
    # The frame takes the arrays as they are (copy=False; a Series made from an ndarray would
    # copy it first).
    orders_df = pd.DataFrame(
        {
            "order_id": order_ids.result(),
            # Foreign keys are codes into the parent's ids, so they read as the ids.
            "customer_id": categorical(cust, customer_ids),
            "product_id": categorical(prod, products["product_id"]),
            "quantity": quantity_task.result(),
            "unit_price": unit_price.result(),
            "currency": categorical(currency, currencies),
            "ordered_at": ordered.view("datetime64[s]"),
            "delivered_at": delivered.view("datetime64[s]"),
            "status": categorical(status, statuses),
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
