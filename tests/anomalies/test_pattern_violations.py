import json
import re

import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.pattern_violations import (
    EMAIL,
    EMAIL_VIOLATIONS,
    PHONE_VIOLATIONS,
)
from tests.anomalies._helpers import call, plant


def violations(key) -> list[str]:
    return [json.loads(d)["violation"] for d in key["detail"]]


def test_broken_emails_are_no_longer_well_formed():
    clean, raw, key = plant("pattern_violations", table="customers", column="email", fraction=0.5)
    assert len(key) == round(0.5 * len(clean["customers"]))
    assert K.verify(clean, raw, key) == []
    for before, after, how in zip(key["before"], key["after"], violations(key), strict=True):
        assert re.fullmatch(EMAIL, before)
        assert not re.fullmatch(EMAIL, after), (before, after)
        if how == "missing_at":
            assert "@" not in after
            assert after == before.replace("@", "")
        elif how == "double_at":
            assert after == before.replace("@", "@@")
        elif how == "space":
            assert after.replace(" ", "", 1) == before
        elif how == "trailing_dot":
            assert after == before + "."
        else:
            assert how == "missing_domain"
            assert after == before.split("@")[0] + "@"


def test_every_email_violation_occurs():
    _, _, key = plant("pattern_violations", table="customers", column="email", fraction=1.0)
    assert set(violations(key)) == set(EMAIL_VIOLATIONS)


def shape(text: str) -> str:
    return re.sub(r"[0-9]", "#", text)


def digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def test_broken_phone_numbers_have_a_shape_the_column_never_has():
    clean, raw, key = plant("pattern_violations", table="customers", column="phone", fraction=1.0)
    assert len(key) == len(clean["customers"])
    assert K.verify(clean, raw, key) == []
    shapes = {shape(p) for p in clean["customers"]["phone"]}
    for before, after, how in zip(key["before"], key["after"], violations(key), strict=True):
        assert shape(after) not in shapes, (before, after)
        if how == "too_few_digits":
            assert digits(after) == digits(before) - 1
        elif how == "too_many_digits":
            assert digits(after) == digits(before) + 1
        elif how == "letter":
            assert re.search("[A-Za-z]", after)
            assert len(after) == len(before)
        else:
            assert how == "wrong_separator"
            assert "/" in after
            assert after.replace("/", "") == re.sub(r"[ .-]", "", before)
    assert set(violations(key)) == set(PHONE_VIOLATIONS)


def test_only_well_formed_values_are_broken():
    col = pd.Series(
        ["a@b.org", "N/A", "x@y", None, "c.d@e.co.uk", "not an email", "f@g.test", "h-i@j.net"],
        dtype="str",
    )
    planted = REGISTRY["pattern_violations"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert sorted(planted.key["row"]) == [0, 4, 6, 7]


@pytest.mark.parametrize(("table", "column"), [("customers", "city"), ("orders", "quantity")])
def test_a_column_of_neither_emails_nor_phones_is_refused(table, column):
    with pytest.raises(InvalidArgument, match="argument 'column' must hold emails or phone"):
        call("pattern_violations", table=table, column=column, fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "email", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("pattern_violations", **args)
