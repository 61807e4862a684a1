import json
import re

import numpy as np
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import vocab
from datalit.generators import vocab_llm as V
from datalit.generators.engine import plant_all
from datalit.generators.recipes.chat_traces import PII_PATTERNS, luhn_valid
from datalit.generators.spec import Plant
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables

ITEM = {
    "email": PII_PATTERNS["email"],
    "phone": V.PHONE_PATTERN,
    "name": r"[A-Z][a-z]+ [A-Z][a-z]+",
    "card": "|".join(re.escape(c) for c in V.FORMATTED_CARDS),
    "address": r"\d{1,3} [A-Z][a-z]+ [A-Z][a-z]+, [A-Z][A-Za-z ]+ [A-Z0-9]{2,5}",
}


@pytest.mark.parametrize(
    ("recipe", "table", "column"),
    [("chat_traces", "turns", "text"), ("eval_runs", "runs", "output")],
)
def test_detail_spans_match_the_new_text(recipe, table, column):
    clean, raw, key = plant("pii_in_text", recipe=recipe, table=table, column=column, fraction=0.5)
    assert len(key) == round(0.5 * len(clean[table]))
    kinds = set()
    for row, before, after, detail in zip(
        key["row"], key["before"], key["after"], key["detail"], strict=True
    ):
        info = json.loads(detail)
        assert set(info) == {"kind", "start", "end"}
        value = after[info["start"] : info["end"]]
        assert re.fullmatch(ITEM[info["kind"]], value), (info, value)
        # Appended: the old text (and any span in it) is unchanged at the start.
        assert after.startswith(before)
        assert before == clean[table].loc[row, column]
        assert raw[table].loc[row, column] == after
        kinds.add(info["kind"])
    assert kinds == set(V.PII_KINDS)


def test_planted_data_is_never_real():
    _, _, key = plant(
        "pii_in_text", recipe="chat_traces", table="turns", column="text", fraction=0.6
    )
    for after, detail in zip(key["after"], key["detail"], strict=True):
        info = json.loads(detail)
        value = after[info["start"] : info["end"]]
        if info["kind"] == "email":
            assert value.split("@")[1] in vocab.EMAIL_DOMAINS
        elif info["kind"] == "card":
            digits = re.sub(r"\D", "", value)
            assert digits in vocab.TEST_CARD_NUMBERS
            assert luhn_valid(np.array([[int(c) for c in digits]]))[0]


def test_kinds_restricts_what_is_planted():
    _, _, key = plant(
        "pii_in_text",
        recipe="chat_traces",
        table="turns",
        column="text",
        fraction=0.3,
        kinds=["card", "phone"],
    )
    assert {json.loads(d)["kind"] for d in key["detail"]} == {"card", "phone"}


def test_missing_text_is_not_eligible():
    clean = small_tables("chat_traces", 0, 400)
    _, key = plant_all(
        clean,
        [
            Plant("missing_mcar", {"table": "turns", "column": "text", "fraction": 0.5}),
            Plant("pii_in_text", {"table": "turns", "column": "text", "fraction": 1.0}),
        ],
        np.random.default_rng(3),
    )
    planted = key[key["anomaly"] == "pii_in_text"]
    blanked = set(key.loc[key["anomaly"] == "missing_mcar", "row"])
    assert len(planted) == len(clean["turns"]) - len(blanked)
    assert not blanked & set(planted["row"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "turns", "column": "turn"}, "'column'"),
        ({"table": "turns", "column": "text", "kinds": ["email", "ssn"]}, "'kinds'"),
        ({"table": "turns", "column": "text", "kinds": []}, "'kinds'"),
        ({"table": "turns", "column": "text", "fraction": 2}, "'fraction'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("pii_in_text", recipe="chat_traces", **args)
