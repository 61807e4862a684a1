"""The chat_traces recipe: coherent transcripts, and a truth table that finds every item of
synthetic personal data exactly (and no decoy)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from datalit.generators import key as K
from datalit.generators import vocab
from datalit.generators import vocab_llm as V
from datalit.generators.engine import generate
from datalit.generators.recipes import get
from datalit.generators.recipes.chat_traces import PII_PATTERNS, find_pii, luhn_valid
from datalit.seeding import seeded

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Digit runs of 13-19 digits (card lengths), possibly grouped by single spaces or dashes: card-number shaped.
CARD_SHAPED = re.compile(r"(?<![\d\-])\d(?:[ \-]?\d){12,18}(?![\d\-])")


@pytest.fixture(scope="module", params=[0, 1, 2])
def built(request):
    return get("chat_traces").build(seeded(request.param), rows=4000)


def _texts(built) -> dict[tuple[str, int], str]:
    t = built.tables["turns"]
    return dict(zip(zip(t["trace_id"], t["turn"], strict=True), t["text"], strict=True))


def _luhn(number: str) -> bool:
    digits = np.array([[int(c) for c in number]])
    return bool(luhn_valid(digits)[0])


def test_columns_and_types(built):
    traces, turns = built.tables["traces"], built.tables["turns"]
    assert list(traces.columns) == ["trace_id", "started_at", "channel", "turns"]
    assert list(turns.columns) == ["trace_id", "turn", "role", "text", "sent_at"]
    for col in ("trace_id", "role", "text"):
        assert turns[col].dtype == "str"
    assert turns["turn"].dtype == "int64"
    assert turns["sent_at"].dtype == "datetime64[s]"
    assert traces["started_at"].dtype == "datetime64[s]"
    assert traces["turns"].dtype == "int64"
    assert turns.notna().all().all()
    assert traces.notna().all().all()
    spans = built.truth["pii_spans"]
    assert list(spans.columns) == ["trace_id", "turn", "start", "end", "kind", "value"]
    assert set(spans["kind"]) == set(V.PII_KINDS)


def test_transcripts_are_well_formed(built):
    traces, turns = built.tables["traces"], built.tables["turns"]
    assert traces["trace_id"].is_unique
    assert turns["trace_id"].isin(traces["trace_id"]).all()
    assert not turns.duplicated(["trace_id", "turn"]).any()
    counts = turns.groupby("trace_id").size()
    assert (traces.set_index("trace_id")["turns"] == counts).all()
    # Turns are numbered 1..n, the assistant greets first and the roles alternate.
    position = turns.groupby("trace_id").cumcount() + 1
    assert (turns["turn"] == position).all()
    expected_role = np.where(turns["turn"] % 2 == 1, "assistant", "user")
    assert (turns["role"] == expected_role).all()
    started = turns["trace_id"].map(traces.set_index("trace_id")["started_at"])
    assert (turns["sent_at"] >= started).all()
    assert (turns.loc[turns["turn"] == 1, "sent_at"] == started[turns["turn"] == 1]).all()
    assert (turns.groupby("trace_id")["sent_at"].diff().dropna() > pd.Timedelta(0)).all()


def test_every_span_is_exactly_its_value(built):
    texts = _texts(built)
    for name in ("pii_spans", "decoy_spans"):
        spans = built.truth[name]
        assert len(spans) > 0
        for trace, turn, start, end, value in zip(
            spans["trace_id"],
            spans["turn"],
            spans["start"],
            spans["end"],
            spans["value"],
            strict=True,
        ):
            assert texts[(trace, turn)][start:end] == value


def test_spans_never_overlap_and_decoys_are_not_personal_data(built):
    pii, decoys = built.truth["pii_spans"], built.truth["decoy_spans"]
    both = pd.concat([pii.assign(pii=True), decoys.assign(pii=False)], ignore_index=True)
    both = both.sort_values(["trace_id", "turn", "start"], kind="stable")
    same_turn = (both["trace_id"] == both["trace_id"].shift()) & (
        both["turn"] == both["turn"].shift()
    )
    assert (both["start"][same_turn] >= both["end"].shift()[same_turn]).all()
    # Every kind of decoy occurs, and the shop's contacts are not customers' data.
    assert {"order_number", "tracking_number", "card_last4", "shop_email", "shop_phone"} <= set(
        decoys["kind"]
    )
    tracking = decoys.loc[decoys["kind"] == "tracking_number", "value"]
    assert tracking.str.fullmatch(r"\d{16}").all()
    assert not any(_luhn(t) for t in tracking)
    assert (decoys.loc[decoys["kind"] == "shop_phone", "value"] == V.HOTLINE).all()
    assert decoys.loc[decoys["kind"] == "shop_email", "value"].isin(V.SUPPORT_EMAILS).all()


def test_emails_are_valid_and_on_reserved_domains(built):
    pii = built.truth["pii_spans"]
    emails = pii.loc[pii["kind"] == "email", "value"]
    assert emails.str.fullmatch(r"[a-z0-9.]+@[a-z0-9.\-]+\.[a-z]+").all()
    assert emails.str.split("@").str[1].isin(vocab.EMAIL_DOMAINS).all()
    # Any e-mail-shaped text anywhere is a customer's (reserved domain) or the shop's (.example).
    for text in built.tables["turns"]["text"]:
        for m in EMAIL.finditer(text):
            domain = m.group().rsplit("@", 1)[1]
            assert domain in vocab.EMAIL_DOMAINS or domain == V.SHOP_DOMAIN


def test_phones_are_in_fictional_ranges(built):
    pii = built.truth["pii_spans"]
    phones = pii.loc[pii["kind"] == "phone", "value"]
    assert len(phones) > 0
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        national = (
            re.sub(r"^(1|44|33|61)(?=\d{9,10}$)", "", digits) if phone.startswith("+") else digits
        )
        national = national.lstrip("0")
        fictional = (
            re.fullmatch(r"[2-9]\d\d55501\d\d", national)  # NANPA 555-0100..0199
            or re.fullmatch(r"7700900\d{3}", national)  # Ofcom drama range
            or re.fullmatch(r"19900\d{4}", national)  # ARCEP fiction block
            or re.fullmatch(r"[2378]5550\d{4}", national)  # ACMA (0X) 5550 xxxx
        )
        assert fictional, phone
    # The shop's hotline is never a customer's number.
    assert not phones.str.replace(r"\D", "", regex=True).str.fullmatch(r"1?4155550100").any()


def test_card_numbers_are_published_test_numbers(built):
    pii = built.truth["pii_spans"]
    cards = pii.loc[pii["kind"] == "card", "value"]
    assert len(cards) > 0
    plain = cards.str.replace(r"[ \-]", "", regex=True)
    assert plain.isin(vocab.TEST_CARD_NUMBERS).all()
    assert all(_luhn(c) for c in plain)
    assert cards.str.contains(" ").any()
    assert cards.str.contains("-").any()
    # Every card-shaped, Luhn-valid digit run in any text is one of the card spans.
    spans = {(t, n, s) for t, n, s in zip(pii["trace_id"], pii["turn"], pii["start"], strict=True)}
    look_alikes = 0
    for (trace, turn), text in _texts(built).items():
        for m in CARD_SHAPED.finditer(text):
            if _luhn(re.sub(r"\D", "", m.group())):
                assert (trace, turn, m.start()) in spans, m.group()
            else:
                look_alikes += 1
    assert look_alikes > 0  # tracking numbers: card-shaped, but they fail the Luhn check


def test_the_detector_finds_exactly_the_truth(built):
    """The patterns the answers count with find each item of personal data and nothing else."""
    found = sorted(
        (trace, turn, start, end, kind, value)
        for (trace, turn), text in _texts(built).items()
        for start, end, kind, value in find_pii(text)
    )
    pii = built.truth["pii_spans"]
    truth = sorted(
        zip(
            pii["trace_id"],
            pii["turn"],
            pii["start"],
            pii["end"],
            pii["kind"],
            pii["value"],
            strict=True,
        )
    )
    assert found == truth


def test_names_are_the_customers(built):
    pii = built.truth["pii_spans"]
    names = pii.loc[pii["kind"] == "name", "value"]
    assert names.str.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)?").all()
    decoys = built.truth["decoy_spans"]
    # The bot's persona name is never counted as personal data.
    bot = decoys[decoys["kind"] == "assistant_name"]
    keys = set(zip(pii["trace_id"], pii["turn"], pii["start"], strict=True))
    assert not any(k in keys for k in zip(bot["trace_id"], bot["turn"], bot["start"], strict=True))
    assert re.fullmatch(PII_PATTERNS["address"], "12 Anthony Port, Boston 02108")


@pytest.mark.parametrize("rows", [30, 31, 1001])
def test_exact_row_count(rows):
    b = get("chat_traces").build(seeded(rows), rows=rows)
    assert len(b.tables["turns"]) == rows
    assert b.tables["traces"]["turns"].sum() == rows


def test_same_seed_same_tables_different_seed_different_values():
    a = get("chat_traces").build(seeded(5), rows=1500)
    b = get("chat_traces").build(seeded(5), rows=1500)
    c = get("chat_traces").build(seeded(6), rows=1500)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    for name in a.truth:
        pd.testing.assert_frame_equal(a.truth[name], b.truth[name])
    assert not a.tables["turns"]["text"].equals(c.tables["turns"]["text"])


def test_answers_come_from_the_tables(built):
    recipe = get("chat_traces")
    answers = recipe.answers(built.tables)
    counts = built.truth["pii_spans"]["kind"].value_counts()
    assert answers["pii_items_by_kind"] == {k: int(counts.get(k, 0)) for k in V.PII_KINDS}
    assert answers["pii_items"] == len(built.truth["pii_spans"])
    assert answers["turns"] == len(built.tables["turns"])
    # Blank the customers' turns: only what the assistant repeats is left.
    turns = built.tables["turns"]
    assistant_only = turns.assign(text=turns["text"].where(turns["role"] == "assistant", ""))
    changed = recipe.answers({**built.tables, "turns": assistant_only})
    pii = built.truth["pii_spans"]
    said_by_assistant = pii["turn"] % 2 == 1
    expected = pii.loc[said_by_assistant, "kind"].value_counts()
    assert changed["pii_items_by_kind"] == {k: int(expected.get(k, 0)) for k in V.PII_KINDS}


@pytest.mark.parametrize("seed", [0, 1])
def test_default_plants_apply_and_the_key_explains_them(seed):
    g = generate("chat_traces", seed=seed, rows=3000)
    assert K.verify(g.clean, g.raw, g.key) == []
    planted = set(g.key["anomaly"])
    assert planted == {p.anomaly for p in get("chat_traces").default_plants}
