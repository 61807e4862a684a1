"""True answers for pii-in-traces: the character spans of the personal data a candidate must find,
and the redacted turns table a careful analyst delivers.

Called at release time for each candidate; the result goes to keys/<candidate>/pii-in-traces/
answers.json and never into the release. Graded kinds are the four a careful pattern-based
redactor can find exactly (README, "What counts"): e-mail addresses, phone numbers, card numbers
and street addresses of customers. Names are left to the written finding: where a name is depends
on who is speaking and to whom, which no fixed list of patterns settles.

The true redacted table follows the convention the brief states: each graded item, exactly its
characters, gives way to the placeholder of its kind (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[ADDRESS]`)
and nothing else in the text changes (names stay: they are not graded in this file).
"""

from __future__ import annotations

import json

import pandas as pd

from datalit.generators import vocab_llm as V
from datalit.generators.recipes.chat_traces import find_pii

GRADED_KINDS = ("email", "phone", "card", "address")


def turn_ids(turns: pd.DataFrame) -> pd.Series:
    """The id a candidate gives each turn: trace_id, a dash and the turn number (T000002-4)."""
    return turns["trace_id"].astype(str).str.strip() + "-" + turns["turn"].astype(str).str.strip()


def truth(clean: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame], key: pd.DataFrame) -> dict:
    raw_turns = raw["turns"]
    ids = turn_ids(raw_turns)
    clean_text = clean["turns"]["text"].astype(str)
    raw_text = raw_turns["text"].astype(str)
    spans: list[tuple[str, int, int, str]] = []
    # Personal data the chats carry: found in the clean text, whose spans stay valid in the raw
    # text because pii_in_text only appends to a turn. Rows are matched by identity (the index).
    for row, turn_id in ids.items():
        text = clean_text.get(row, raw_text[row])
        spans.extend(
            (turn_id, s, e, kind) for s, e, kind, _ in find_pii(text) if kind in GRADED_KINDS
        )
    # Personal data planted into turns (pii_in_text): the key gives each item's span.
    planted = key[(key["anomaly"] == "pii_in_text") & (key["table"] == "turns")]
    for row, detail in zip(planted["row"], planted["detail"], strict=True):
        item = json.loads(detail)
        start, end = int(item["start"]), int(item["end"])
        value = raw_text[int(row)][start:end]
        # A planted number equal to the shop's hotline reads as the shop's: not a customer's.
        if item["kind"] in GRADED_KINDS and value != V.HOTLINE:
            spans.append((ids[int(row)], start, end, item["kind"]))
    spans = sorted(set(spans))
    redacted = raw_text.copy()
    position = pd.Series(raw_turns.index, index=ids.to_numpy())
    # Right to left within a turn, so the offsets of the items still to replace stay valid.
    for turn_id, start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        row = position[turn_id]
        text = redacted[row]
        redacted[row] = text[:start] + f"[{kind.upper()}]" + text[end:]
    table = raw_turns[["trace_id", "turn", "role", "text", "sent_at"]].assign(text=redacted)
    return {
        "answers": {
            "pii_spans": [{"id": i, "start": s, "end": e} for i, s, e, _ in spans],
        },
        "suite_parameters": {"turn_rows": len(raw_turns)},
        # What a careful analyst delivers: every turn, each graded item replaced by its kind's
        # placeholder, everything else as in turns.csv.
        "tables": {"turns_redacted": table},
    }
