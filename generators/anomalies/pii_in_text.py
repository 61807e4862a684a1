"""Personal data leaking into free text: synthetic e-mails, phones, names, cards and addresses."""

from __future__ import annotations

import json

import numpy as np
from faker.providers.address.en_US import Provider as _Address
from faker.providers.person.en_US import Provider as _Person

from datalit.errors import InvalidArgument
from datalit.generators import vocab
from datalit.generators import vocab_llm as V
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.pools import fill_digits
from datalit.generators.text import is_text

# Faker's en_US name lists (US Census and SSA sources, cited by Faker) read as plain data: the
# anomaly draws from them with its own rng, so no Faker instance (or its random state) is used.
FIRST_NAMES = tuple(_Person.first_names)
LAST_NAMES = tuple(_Person.last_names)
STREET_SUFFIXES = tuple(_Address.street_suffixes)
PLACES = tuple(
    (city, str(int(code) + k).zfill(len(code)) if code.isdigit() else code)
    for country in vocab.COUNTRIES.values()
    for city, code, count in country[3]
    for k in range(count)
)
PHONE_TEMPLATES = tuple(f for formats in V.PHONE_FORMATS.values() for f in formats)


def synthetic_values(kinds: list[str], rng: np.random.Generator) -> list[str]:
    """One synthetic item of each kind in `kinds` (in order): never real personal data."""
    n = len(kinds)
    first = [FIRST_NAMES[i] for i in rng.integers(0, len(FIRST_NAMES), n)]
    last = [LAST_NAMES[i] for i in rng.integers(0, len(LAST_NAMES), n)]
    number = rng.integers(1, 100, n)
    domain = rng.integers(0, len(vocab.EMAIL_DOMAINS), n)
    card = rng.integers(0, len(V.FORMATTED_CARDS), n)
    house = rng.integers(1, 400, n)
    street = rng.integers(0, len(LAST_NAMES), n)
    suffix = rng.integers(0, len(STREET_SUFFIXES), n)
    place = rng.integers(0, len(PLACES), n)
    template = rng.integers(0, len(PHONE_TEMPLATES), n)
    phones = np.empty(n, dtype=object)
    for t, fmt in enumerate(PHONE_TEMPLATES):
        rows = np.flatnonzero(template == t)
        if len(rows):
            phones[rows] = fill_digits(fmt, rng, len(rows)).to_pylist()
    out = []
    for i, kind in enumerate(kinds):
        if kind == "email":
            local = f"{first[i].lower()}.{last[i].lower()}{number[i]}"
            out.append(f"{local}@{vocab.EMAIL_DOMAINS[domain[i]]}")
        elif kind == "phone":
            out.append(phones[i])
        elif kind == "name":
            out.append(f"{first[i]} {last[i]}")
        elif kind == "card":
            out.append(V.FORMATTED_CARDS[card[i]])
        else:  # address
            city, code = PLACES[place[i]]
            road = f"{LAST_NAMES[street[i]]} {STREET_SUFFIXES[suffix[i]]}"
            out.append(f"{house[i]} {road}, {city} {code}")
    return out


@anomaly(
    "pii_in_text",
    examples=[
        ("eval_runs", {"table": "runs", "column": "output"}),
        ("chat_traces", {"table": "turns", "column": "text"}),
        ("chat_traces", {"table": "turns", "column": "text", "kinds": ["card", "phone"]}),
    ],
)
def pii_in_text(tables, *, rng, table, column, fraction=0.02, kinds=V.PII_KINDS) -> Planted:
    """Synthetic personal data (e-mail, phone, name, card, street address) added to free text.

    One item per chosen cell, of a kind drawn from `kinds`, appended as a short phrase ("You can
    reach me at …"); appending keeps any span already in the text valid. Each key row's detail
    gives the kind and the character span in the new text: {"kind": "email", "start": 10,
    "end": 32}.
    """
    unknown = sorted(set(kinds) - set(V.PII_KINDS))
    if unknown:
        raise InvalidArgument(
            f"anomaly 'pii_in_text': argument 'kinds' has unknown kinds {unknown}; "
            f"choose from {list(V.PII_KINDS)}"
        )
    df = tables[table]
    col = df[column]
    if not (col.dtype == object or is_text(col)):
        raise InvalidArgument(
            f"anomaly 'pii_in_text': argument 'column' must be a text column; "
            f"{table}.{column} is {col.dtype}"
        )
    eligible = np.fromiter((isinstance(v, str) for v in col), dtype=bool, count=len(col))
    rows = pick_rows(
        df, fraction, rng, table=table, eligible=eligible, what=f"with text in {column!r}"
    )
    chosen_kinds = [kinds[i] for i in rng.integers(0, len(kinds), len(rows))]
    items = synthetic_values(chosen_kinds, rng)
    phrase_pick = rng.integers(0, 3, len(rows))
    texts = col.loc[rows].tolist()
    values, detail = [], []
    for text, kind, item, pick in zip(texts, chosen_kinds, items, phrase_pick, strict=True):
        phrases = V.PII_PHRASES[kind]
        head, tail = phrases[pick % len(phrases)].split("{}")
        prefix = text + head if text else head.lstrip()
        values.append(prefix + item + tail)
        start = len(prefix)
        detail.append(json.dumps({"kind": kind, "start": start, "end": start + len(item)}))
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=values, detail=detail
    )
    return Planted({table: out}, key)
