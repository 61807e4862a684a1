"""`chat_traces`: a shop's support-chat transcripts with synthetic personal data and look-alikes.

What counts as personal data (the five kinds in the truth table ``pii_spans``):

- ``email``    a customer's e-mail address (always on a reserved domain, RFC 2606 / RFC 6761)
- ``phone``    a customer's phone number (ranges reserved for fiction, see vocab_llm)
- ``name``     a customer's name: the full name they give ("I'm Ana Diaz") and the first name
               the assistant addresses them by ("Thanks, Ana."); each mention is one item
- ``card``     a full card number (a published test number), plain or grouped by spaces/dashes
- ``address``  a customer's street address: "12 Anthony Port, Boston 02108"

What does NOT count, although detectors often flag it (the decoys, listed in ``decoy_spans``):
the shop's own contact details (support@brightcart.example, the +1 415-555-0100 hotline, the
store at 555 Market Street: an organisation's, not a person's), the assistant's persona name
"Ava", order numbers (ORD-2024-000123), 16-digit tracking numbers (they fail the Luhn check, so
they are not card numbers), the last four digits of a card (not a card number), refund ids, app
versions (5.5.5), part numbers (555-0142, the tail of a fictional phone number without an area
code), amounts and dates.

Every mention is a separate item: the assistant repeating an address is a second address.
Spans are Python character offsets into ``text`` (``text[start:end] == value``).
"""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.en_US import Provider as _Person

from datalit.generators import vocab
from datalit.generators import vocab_llm as V
from datalit.generators.pools import (
    fill_digits,
    fixed_width,
    join,
    series,
    take,
    weighted_codes,
    zero_padded,
)
from datalit.generators.recipes.registry import Built, recipe
from datalit.generators.spec import Plant
from datalit.seeding import Seeded

START = np.datetime64("2024-03-01T00:00:00", "s").astype(np.int64)
END = np.datetime64("2024-05-01T00:00:00", "s").astype(np.int64)
CHANNELS = {"web": 0.55, "ios": 0.25, "android": 0.20}  # invented shares

# Slots a template can hold: personal data (slot -> kind) and decoys (slot -> decoy kind).
PII_SLOTS = {
    "name": "name",
    "first": "name",
    "email": "email",
    "email_new": "email",
    "phone": "phone",
    "card": "card",
    "address": "address",
}
DECOY_SLOTS = {
    "bot": "assistant_name",
    "order": "order_number",
    "tracking": "tracking_number",
    "last4": "card_last4",
    "refund": "refund_id",
    "version": "app_version",
    "version_fix": "app_version",
    "amount": "amount",
    "fee": "amount",
    "date": "date",
    "sku": "part_number",
    "points": "reward_points",
    "hotline": "shop_phone",
    "support_email": "shop_email",
    "store_address": "shop_address",
}
CONSTANTS = {"bot": V.BOT_NAME, "hotline": V.HOTLINE, "store_address": "555 Market Street"}

_GREETING = (
    "Hi! {bot} here, Brightcart's virtual assistant. How can I help?",
    "Hello, you're chatting with {bot}, the Brightcart assistant. What can I do for you today?",
    "Welcome to Brightcart support! {bot} here. How can I help you today?",
)
_CLOSING = (
    "Happy to help! Is there anything else I can do for you?",
    "Glad I could help. Have a nice day!",
    "You're welcome! Thanks for shopping with Brightcart.",
)
_THANKS = ("Great, thanks!", "Thanks, that helps.", "Perfect, thank you.", "Thank you.")

# Scripts: (share of traces, turns). Turns alternate assistant/user from the assistant's greeting;
# each turn lists interchangeable phrasings (same meaning, so any choice keeps the chat coherent).
# Wording invented for this kit.
SCRIPTS = {
    "order_status": (
        0.20,
        [
            _GREETING,
            (
                "Hi, my order {order} still hasn't arrived.",
                "Where is my package? Order number {order}.",
                "Hello, I'm {name}. My order {order} is late.",
            ),
            (
                "I'm sorry about the delay. Could you confirm the email address on the order?",
                "Sorry to hear that! What's the email address on your account?",
            ),
            ("It's {email}.", "Sure: {email}", "{email}, or call me on {phone} if that's easier."),
            (
                "Thanks, {first}. Order {order} shipped on {date}; the tracking number is {tracking}.",
                "Thank you, {first}! Your parcel left our warehouse on {date}. Tracking number: {tracking}.",
            ),
            _THANKS,
            _CLOSING,
        ],
    ),
    "delivery_address": (
        0.12,
        [
            _GREETING,
            (
                "I moved. Can you send order {order} to my new address, {address}?",
                "Hi, I'm {name}. Please change the delivery address for {order} to {address}.",
                "Please deliver {order} to {address} instead.",
            ),
            (
                "Of course. For security, could you confirm the phone number on your account?",
                "Happy to help. Which phone number is on your account?",
            ),
            ("It's {phone}.", "{phone}", "My number is {phone}."),
            (
                "Thanks, {first}. Order {order} will now go to {address}.",
                "All set, {first}! The delivery address for {order} is now {address}.",
            ),
            _THANKS,
            _CLOSING,
        ],
    ),
    "payment": (
        0.15,
        [
            _GREETING,
            (
                "I was charged twice for order {order}.",
                "Hi, this is {name}. My payment for order {order} failed but the money left my account.",
                "Why was I charged {amount} twice for {order}?",
            ),
            (
                "I'm sorry about that. Please never share your full card number here; the last four digits are enough.",
                "Let me look into it. Which card did you use? Just the last four digits, please.",
            ),
            (
                "It's the card ending in {last4}.",
                "My card is {card}, expiry 09/27.",
                "{card}",
                "Ending {last4}.",
            ),
            (
                "Thanks, {first}. I've opened refund request {refund} for {amount}; it should reach your account in 5–10 business days.",
                "Thank you, {first}. Refund {refund} for {amount} is on its way (5–10 business days).",
            ),
            ("Thank you.", "OK, thanks for your help."),
            _CLOSING,
        ],
    ),
    "account_email": (
        0.11,
        [
            _GREETING,
            (
                "Please change my email from {email} to {email_new}.",
                "Hi, I'm {name}. I'd like to update my account email to {email_new}.",
                "Can you update my email? The new one is {email_new}.",
            ),
            (
                "Of course. For security, can you confirm the phone number on your account?",
                "Sure. First, what's the phone number on the account?",
            ),
            ("{phone}", "It's {phone}."),
            (
                "Thanks, {first}! Your email is now {email_new}. You'll get a confirmation from {support_email}.",
                "All set, {first}. Watch for a confirmation from {support_email}.",
            ),
            ("Got it, thanks.", "Thanks!"),
            _CLOSING,
        ],
    ),
    "app_bug_fixed": (
        0.07,
        [
            _GREETING,
            (
                "The app keeps crashing on version {version} when I open my cart.",
                "Checkout freezes in the app (version {version}).",
                "Since updating to {version} I can't log in.",
            ),
            (
                "Thanks for reporting this. Version {version_fix} fixes that bug; could you update and try again?",
                "Sorry about that! Please update to {version_fix}, which fixes this.",
            ),
            ("Updated, it works now.", "That fixed it, thanks!"),
            _CLOSING,
        ],
    ),
    "app_bug_open": (
        0.05,
        [
            _GREETING,
            (
                "The app keeps crashing on version {version} when I open my cart.",
                "Checkout freezes in the app (version {version}).",
            ),
            (
                "Thanks for reporting this. Version {version_fix} fixes that bug; could you update and try again?",
                "Sorry about that! Please update to {version_fix}, which fixes this.",
            ),
            (
                "Still broken. Can someone call me at {phone}?",
                "Still crashing on {version_fix}. My number is {phone} if you need it.",
            ),
            (
                "I've passed this to our engineers; they will call you within one business day. You can also reach us at {hotline} or {support_email}.",
                "Our team will call you back. If it's urgent, call {hotline}.",
            ),
        ],
    ),
    "product_question": (
        0.15,
        [
            _GREETING,
            (
                "Is the {product} in stock?",
                "Does the {product} come with a warranty?",
                "How long does delivery take for the {product}?",
            ),
            (
                "Yes! The {product} (part number {sku}) ships within 2 days. Standard shipping is {fee}.",
                "The {product} (part {sku}) has a 2-year warranty and ships within 2 days.",
            ),
            ("Can I pick it up at your store?", "Is there a store where I can see it?"),
            (
                "Yes, our store at {store_address} has it in stock, and you have {points} reward points to spend there.",
                "Our flagship store at {store_address} has it on display.",
            ),
            _THANKS,
            _CLOSING,
        ],
    ),
    "return": (
        0.10,
        [
            _GREETING,
            (
                "I'd like to return order {order}. The {product} doesn't fit.",
                "Hi, I'm {name}. How do I return the {product} from order {order}?",
            ),
            (
                "No problem. I've emailed a return label to {email}. Please drop the parcel at any post office within 30 days.",
                "Sure! A prepaid return label is on its way to {email}.",
            ),
            _THANKS,
            _CLOSING,
        ],
    ),
    "return_new_email": (
        0.05,
        [
            _GREETING,
            ("I want to return the {product} from order {order}.",),
            ("Sure! A prepaid return label is on its way to {email}.",),
            (
                "Can you send it to {email_new} instead? I don't use that address anymore.",
                "I no longer use that address. Please use {email_new}.",
            ),
            (
                "Done, the label is now on its way to {email_new}.",
                "Sent to {email_new}. Anything else?",
            ),
        ],
    ),
}
SCRIPT_NAMES = tuple(SCRIPTS)
P_ABANDON = 0.15  # share of chats the customer leaves early (invented)
APP_VERSIONS = ("5.5.5", "5.5.4", "5.4.12", "5.3.9")
FIX_VERSION = "5.5.6"
REWARD_POINTS = ("555", "120", "1,250", "80")
FEES = ("$5.55", "$4.99", "$7.50")

_FORMATTER = string.Formatter()


def _parse(template: str) -> list[tuple[str, str | None]]:
    return [(lit, field) for lit, field, _, _ in _FORMATTER.parse(template)]


# All templates, numbered: (script, turn) -> first template id and phrasing count.
TEMPLATES: list[str] = []
_FIRST = np.zeros((len(SCRIPTS), max(len(t) for _, t in SCRIPTS.values())), dtype=np.int64)
_COUNT = np.ones_like(_FIRST)
for _s, (_share, _turns) in enumerate(SCRIPTS.values()):
    for _k, _options in enumerate(_turns):
        _FIRST[_s, _k], _COUNT[_s, _k] = len(TEMPLATES), len(_options)
        TEMPLATES.extend(_options)
PARSED = [_parse(t) for t in TEMPLATES]
_UNKNOWN = {f for parts in PARSED for _, f in parts} - {None, "product", *PII_SLOTS, *DECOY_SLOTS}
if _UNKNOWN:
    raise ValueError(f"chat templates use undeclared slots: {sorted(_UNKNOWN)}")
SCRIPT_LENGTHS = np.array([len(t) for _, t in SCRIPTS.values()])

# ---------------------------------------------------------------------------------------------
# Detectors: what the answers count, checked against the truth table by the tests.
# ---------------------------------------------------------------------------------------------


def _alternation(values) -> str:
    return "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))


_CITIES = sorted({city for c in vocab.COUNTRIES.values() for city, _, _ in c[3]})
PII_PATTERNS = {
    "email": r"\b[a-z0-9.]+@(?:" + _alternation(vocab.EMAIL_DOMAINS) + r")\b",
    "phone": V.PHONE_PATTERN,
    # A name follows the words that introduce or address the customer in these chats.
    "name": r"(?:I'm|this is|Thanks,|Thank you,|All set,) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)",
    "card": r"\b(?:" + _alternation(V.FORMATTED_CARDS) + r")\b",
    "address": r"\b\d{1,4} [A-Z][a-z]+(?: [A-Z][a-z]+)*, (?:"
    + _alternation(_CITIES)
    + r") [A-Z0-9]{2,5}\b",
}
# Matches of the patterns that are not personal data: the shop's hotline.
NOT_PII = {"phone": (re.escape(V.HOTLINE),)}


def find_pii(text: str) -> list[tuple[int, int, str, str]]:
    """The personal data in one clean chat text: (start, end, kind, value), by start."""
    found = []
    for kind, pattern in PII_PATTERNS.items():
        for m in re.finditer(pattern, text):
            group = 1 if m.groups() else 0
            value = m.group(group)
            if any(re.fullmatch(p, value) for p in NOT_PII.get(kind, ())):
                continue
            found.append((m.start(group), m.end(group), kind, value))
    return sorted(found)


def count_pii(texts: pd.Series) -> dict[str, int]:
    """Items of personal data per kind in a text column (Arrow's RE2, no Python loop)."""
    arr = pa.array(texts.fillna(""), type=pa.large_string())
    counts = {}
    for kind, pattern in PII_PATTERNS.items():
        n = int(pc.sum(pc.count_substring_regex(arr, pattern)).as_py() or 0)
        for excluded in NOT_PII.get(kind, ()):
            n -= int(pc.sum(pc.count_substring_regex(arr, excluded)).as_py() or 0)
        counts[kind] = n
    return counts


# ---------------------------------------------------------------------------------------------
# Per-trace values: who the customer is and what the chat is about
# ---------------------------------------------------------------------------------------------


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Luhn check of each row of an (n, k) array of digits."""
    k = digits.shape[1]
    d = digits.astype(np.int64)
    doubled = (k - 1 - np.arange(k)) % 2 == 1  # every second digit from the right
    d[:, doubled] = d[:, doubled] * 2
    d[:, doubled] -= 9 * (d[:, doubled] > 9)
    return d.sum(axis=1) % 10 == 0


def tracking_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    """16-digit tracking numbers that fail the Luhn check (so they are never card numbers)."""
    digits = rng.integers(0, 10, (n, 16), dtype=np.uint8)
    digits[:, 0] = rng.integers(1, 10, n, dtype=np.uint8)
    valid = luhn_valid(digits)
    digits[valid, 15] = (digits[valid, 15] + 1) % 10  # one step off: the check fails
    return fixed_width(digits + ord("0"))


def _by_group(groups: np.ndarray, n_groups: int, make) -> pa.Array:
    """Build values per group (make(group, count) -> Array) and put them back in row order."""
    pieces, positions = [], []
    for g in range(n_groups):
        rows = np.flatnonzero(groups == g)
        if len(rows):
            pieces.append(make(g, len(rows)))
            positions.append(rows)
    return pa.concat_arrays(pieces).take(pa.array(_inverse(np.concatenate(positions))))


def _inverse(permutation: np.ndarray) -> np.ndarray:
    """The inverse of a permutation of 0..n-1 (a scatter, no sort)."""
    out = np.empty_like(permutation)
    out[permutation] = np.arange(len(permutation), dtype=permutation.dtype)
    return out


def _name_pool(weighted: dict[str, float], rng: np.random.Generator, size: int = 300) -> list[str]:
    """`size` distinct names drawn by frequency from one of Faker's en_US weighted lists (US
    Census and SSA data, cited by Faker), on our rng."""
    names = list(weighted)
    p = np.array([weighted[name] for name in names], dtype=float)
    picked = rng.choice(len(names), size=min(size, len(names)), replace=False, p=p / p.sum())
    return [names[i] for i in picked]


def _personas(src: Seeded, n: int) -> dict[str, pa.Array | str]:
    """One customer (and one order) per trace: every slot's value, as arrays of length n."""
    rng, fake = src.rng, src.faker
    firsts = _name_pool(_Person.first_names, rng)
    lasts = _name_pool(_Person.last_names, rng)
    first = take(firsts, rng.integers(0, len(firsts), n))
    last = take(lasts, rng.integers(0, len(lasts), n))
    isos = list(vocab.COUNTRY_WEIGHTS)
    country = weighted_codes(np.array(list(vocab.COUNTRY_WEIGHTS.values())), n, rng)

    domains = vocab.EMAIL_DOMAINS
    lower_first, lower_last = pc.utf8_lower(first), pc.utf8_lower(last)
    number = pc.cast(pa.array(rng.integers(1, 100, n)), pa.large_string())
    email = join(lower_first, ".", lower_last, number, "@", take(domains, rng.integers(0, 6, n)))
    initial = pc.utf8_slice_codeunits(lower_last, 0, 1)
    number2 = pc.cast(pa.array(rng.integers(10, 100, n)), pa.large_string())
    email_new = join(lower_first, ".", initial, number2, "@", take(domains, rng.integers(0, 6, n)))

    def phones(c: int, count: int) -> pa.Array:
        formats = V.PHONE_FORMATS[isos[c]]
        which = rng.integers(0, len(formats), count)
        return _by_group(which, len(formats), lambda f, k: fill_digits(formats[f], rng, k))

    phone = _by_group(country, len(isos), phones)
    # The shop's hotline is +1 415-555-0100: keep customers out of area code 415, so no
    # customer's number is ever the shop's.
    digits = pc.replace_substring_regex(phone, r"\D", "")
    shop_area = pc.match_substring_regex(digits, r"^1?415555")
    phone = pc.if_else(
        shop_area, pc.replace_substring(phone, "415", "416", max_replacements=1), phone
    )

    # Addresses: a street from Faker's pool, a city of the customer's country and its postcode.
    streets = sorted({fake.street_name() for _ in range(200)})
    places = []  # (country, city, postcode)
    for ci, iso in enumerate(isos):
        for city, first_code, count in vocab.COUNTRIES[iso][3]:
            for k in range(count):
                code = (
                    str(int(first_code) + k).zfill(len(first_code))
                    if first_code.isdigit()
                    else first_code
                )
                places.append((ci, city, code))
    place_country = np.array([p[0] for p in places])
    place = np.empty(n, dtype=np.int64)
    for ci in range(len(isos)):
        members = np.flatnonzero(place_country == ci)
        rows = np.flatnonzero(country == ci)
        place[rows] = members[rng.integers(0, len(members), len(rows))]
    house = pc.cast(pa.array(rng.integers(1, 400, n)), pa.large_string())
    address = join(
        house,
        " ",
        take(streets, rng.integers(0, len(streets), n)),
        ", ",
        take([p[1] for p in places], place),
        " ",
        take([p[2] for p in places], place),
    )

    card_code = rng.integers(0, len(V.TEST_CARD_NUMBERS), n)
    card = take(V.FORMATTED_CARDS, card_code * 3 + rng.integers(0, 3, n))
    last4 = take([c[-4:] for c in V.TEST_CARD_NUMBERS], card_code)

    days = [np.datetime64("2024-02-20") + np.timedelta64(int(d), "D") for d in range(70)]
    dates = [f"{pd.Timestamp(d):%B} {pd.Timestamp(d).day}" for d in days]
    amounts = [f"${v:.2f}" for v in np.round(rng.lognormal(3.6, 0.7, 200), 2)]
    return {
        "first": first,
        "name": join(first, " ", last),
        "email": email,
        "email_new": email_new,
        "phone": phone,
        "card": card,
        "last4": last4,
        "address": address,
        "order": fill_digits("ORD-2024-######", rng, n),
        "tracking": tracking_numbers(rng, n),
        "refund": fill_digits("RF-######", rng, n),
        "version": take(APP_VERSIONS, rng.integers(0, len(APP_VERSIONS), n)),
        "version_fix": FIX_VERSION,
        "amount": take(amounts, rng.integers(0, len(amounts), n)),
        "fee": take(FEES, rng.integers(0, len(FEES), n)),
        "date": take(dates, rng.integers(0, len(dates), n)),
        "product": take(V.CHAT_PRODUCTS, rng.integers(0, len(V.CHAT_PRODUCTS), n)),
        "sku": fill_digits("555-01##", rng, n),
        "points": take(REWARD_POINTS, rng.integers(0, len(REWARD_POINTS), n)),
        "support_email": take(V.SUPPORT_EMAILS, rng.integers(0, len(V.SUPPORT_EMAILS), n)),
        **CONSTANTS,
    }


# ---------------------------------------------------------------------------------------------
# Rendering: one vectorised pass per template
# ---------------------------------------------------------------------------------------------


def _render(template: int, trace: np.ndarray, values: dict) -> tuple[pa.Array, list]:
    """Texts of one template for the given traces, and the spans of its slots:
    [(slot, start, end, value)] with start/end arrays (character offsets)."""
    pieces: list = []
    pos = np.zeros(len(trace), dtype=np.int64)
    spans = []
    for literal, field in PARSED[template]:
        if literal:
            pieces.append(literal)
            pos += len(literal)
        if field is None:
            continue
        value = values[field]
        if isinstance(value, str):
            length = np.full(len(trace), len(value), dtype=np.int64)
        else:
            value = value.take(pa.array(trace))
            length = pc.utf8_length(value).to_numpy(zero_copy_only=False).astype(np.int64)
        if field != "product":
            spans.append((field, pos.copy(), pos + length, value))
        pieces.append(value)
        pos += length
    if all(isinstance(p, str) for p in pieces):
        return take(["".join(pieces)], np.zeros(len(trace), dtype=np.int64)), spans
    return join(*pieces), spans


def _spans_frame(rows, starts, ends, slots, values, trace_width, trace, turn_no, kinds: dict):
    """A spans table from per-template pieces (rows are turn positions), by row then start."""
    if rows:
        row = np.concatenate(rows)
        start = np.concatenate(starts)
        end = np.concatenate(ends)
        slot = np.concatenate(slots)
        value = pa.concat_arrays(values)
    else:
        row = start = end = slot = np.zeros(0, dtype=np.int64)
        value = pa.array([], type=pa.large_string())
    order = np.argsort(row * 100_000 + start, kind="stable")
    names = list(kinds)
    return pd.DataFrame(
        {
            "trace_id": series(zero_padded(trace[row[order]], trace_width, "T")),
            "turn": turn_no[row[order]],
            "start": start[order],
            "end": end[order],
            "kind": series(take([kinds[s] for s in names], slot[order])),
            "value": series(value.take(pa.array(order))),
        },
        copy=False,
    )


@recipe(
    "chat_traces",
    main_table="turns",
    default_rows=3000,
    min_rows=30,
    default_plants=[
        Plant("pii_in_text", {"table": "turns", "column": "text", "fraction": 0.02}),
        Plant("missing_mcar", {"table": "turns", "column": "text", "fraction": 0.005}),
        Plant("exact_duplicates", {"table": "turns", "fraction": 0.005}),
        Plant(
            "orphans",
            {
                "table": "turns",
                "column": "trace_id",
                "parent": "traces",
                "parent_column": "trace_id",
                "fraction": 0.005,
            },
        ),
        Plant("inconsistent_case", {"table": "traces", "column": "channel", "fraction": 0.03}),
    ],
    answers=lambda tables: chat_traces_answers(tables),
)
def chat_traces(src: Seeded, *, rows: int) -> Built:
    """Support-chat transcripts with synthetic personal data, look-alike decoys and exact spans.

    Assistant and customer turns of a shop's support chat; the truth tables give the character
    span of every item of personal data (pii_spans) and of every decoy (decoy_spans)."""
    rng = src.rng
    # Traces: a script each; some customers leave early.
    mean_len = float(np.dot(SCRIPT_LENGTHS, [s for s, _ in SCRIPTS.values()]))
    n_traces = int(rows / mean_len * 1.2) + 10
    script = weighted_codes(np.array([s for s, _ in SCRIPTS.values()]), n_traces, rng)
    length = SCRIPT_LENGTHS[script]
    abandon = rng.random(n_traces) < P_ABANDON
    length = np.where(abandon, 2 + (rng.random(n_traces) * (length - 2)).astype(np.int64), length)
    while length.sum() < rows:  # rare: a small draw came up short
        more = weighted_codes(np.array([s for s, _ in SCRIPTS.values()]), n_traces, rng)
        script, length = np.r_[script, more], np.r_[length, SCRIPT_LENGTHS[more]]
    # Keep whole traces up to `rows` turns; the last one is cut short (the customer left).
    cum = np.cumsum(length)
    n_traces = int(np.searchsorted(cum, rows)) + 1
    script, length = script[:n_traces], length[:n_traces].copy()
    length[-1] -= int(cum[n_traces - 1]) - rows

    trace = np.repeat(np.arange(n_traces), length)
    first_turn = np.r_[0, np.cumsum(length)[:-1]]
    turn = np.arange(rows) - first_turn[trace]  # 0-based position in the trace
    s = script[trace]
    template = _FIRST[s, turn] + rng.integers(0, 1 << 30, rows) % _COUNT[s, turn]
    role = np.where(turn % 2 == 0, 0, 1)  # the assistant greets first

    values = _personas(src, n_traces)
    width = max(6, len(str(n_traces)) + 2)  # trace ids: T and six digits (T048213…)

    # Render per template, then put the texts back in turn order.
    order = np.argsort(template.astype(np.int16), kind="stable")
    bounds = np.searchsorted(template[order], np.arange(len(TEMPLATES) + 1))
    chunks, positions = [], []
    pii = ([], [], [], [], [])
    decoy = ([], [], [], [], [])
    pii_names, decoy_names = list(PII_SLOTS), list(DECOY_SLOTS)
    for t in range(len(TEMPLATES)):
        at = order[bounds[t] : bounds[t + 1]]
        if len(at) == 0:
            continue
        text, spans = _render(t, trace[at], values)
        chunks.append(text)
        positions.append(at)
        for slot, start, end, value in spans:
            target, names = (pii, pii_names) if slot in PII_SLOTS else (decoy, decoy_names)
            if isinstance(value, str):
                value = take([value], np.zeros(len(at), dtype=np.int64))
            for bucket, item in zip(
                target, (at, start, end, np.full(len(at), names.index(slot)), value), strict=True
            ):
                bucket.append(item)
    text = pa.concat_arrays(chunks).take(pa.array(_inverse(np.concatenate(positions))))

    # Times: a trace starts in the window; the assistant answers in seconds, customers type.
    started = START + (rng.random(n_traces) * (END - START - 3600)).astype(np.int64)
    gap = np.where(role == 0, rng.integers(1, 6, rows), rng.integers(8, 150, rows))
    gap[turn == 0] = 0
    elapsed = np.cumsum(gap)
    elapsed -= elapsed[first_turn][trace]
    sent = started[trace] + elapsed

    # Trace ids are drawn per variant (in order, so the export stays sorted by trace): as in a
    # real log they carry no position, and no turn id of one variant names a turn of another
    # (a copied span list or redacted table finds no turn of this variant).
    numbers = np.sort(rng.choice(10**width - 1, n_traces, replace=False)) + 1
    turn_no = turn + 1
    turns = pd.DataFrame(
        {
            "trace_id": series(zero_padded(numbers[trace], width, "T")),
            "turn": turn_no,
            "role": series(take(["assistant", "user"], role)),
            "text": series(text),
            "sent_at": pd.Series(sent.astype("datetime64[s]")),
        },
        copy=False,
    )
    traces = pd.DataFrame(
        {
            "trace_id": series(zero_padded(numbers, width, "T")),
            "started_at": pd.Series(started.astype("datetime64[s]")),
            "channel": series(
                take(
                    list(CHANNELS), weighted_codes(np.array(list(CHANNELS.values())), n_traces, rng)
                )
            ),
            "turns": length.astype(np.int64),
        },
        copy=False,
    )
    truth = {
        "pii_spans": _spans_frame(*pii, width, numbers[trace], turn_no, PII_SLOTS),
        "decoy_spans": _spans_frame(*decoy, width, numbers[trace], turn_no, DECOY_SLOTS),
    }
    return Built(tables={"traces": traces, "turns": turns}, truth=truth)


def chat_traces_answers(tables: dict[str, pd.DataFrame]) -> dict:
    """True figures on the clean tables: items of personal data per kind (see the module doc
    for what counts), found by the patterns the truth table is checked against."""
    t = tables["turns"]
    counts = count_pii(t["text"])
    return {
        "traces": len(tables["traces"]),
        "turns": len(t),
        "pii_items_by_kind": {k: counts[k] for k in V.PII_KINDS},
        "pii_items": sum(counts.values()),
    }
