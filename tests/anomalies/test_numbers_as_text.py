import io

import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.numbers_as_text import formats
from datalit.generators.text import text_list
from tests.anomalies._helpers import call, plant


def read_back(text: str) -> float:
    """The number a person reads in `text`, whatever the locale's separators or currency."""
    body = text.replace("$", "").removesuffix(" EUR").replace("\u00a0", "")
    comma, dot = body.rfind(","), body.rfind(".")
    if comma > dot:  # the decimal comma of European locales
        return float(body.replace(".", "").replace(",", "."))
    return float(body.replace(",", ""))


def not_a_number(text: str) -> bool:
    parsed = pd.read_csv(io.StringIO(f'v\n"{text}"\n'))["v"]
    return not pd.api.types.is_numeric_dtype(parsed)


@pytest.mark.parametrize(
    ("table", "column"),
    [("orders", "unit_price"), ("orders", "quantity"), ("products", "price_eur")],
)
def test_formatted_numbers_read_back_to_the_same_number_but_not_as_numbers(table, column):
    clean, raw, key = plant("numbers_as_text", table=table, column=column, fraction=0.5)
    assert len(key) == round(0.5 * len(clean[table]))
    assert K.verify(clean, raw, key) == []
    for before, after in zip(key["before"], key["after"], strict=True):
        assert read_back(after) == float(before), (before, after)
        assert not_a_number(after), after
    untouched = raw[table].drop(index=key["row"])[column]
    assert text_list(untouched) == text_list(clean[table][column].drop(index=key["row"]))


def test_the_forms_of_money_and_counts():
    assert formats(1234.5, "1234.5") == [
        "1,234.50",
        "1.234,50",
        "1\u00a0234,50",
        "$1,234.50",
        "1234.5 EUR",
    ]
    assert formats(-3.0, "-3") == ["-3,00", "-$3.00", "-3 EUR"]
    assert formats(2, "2") == ["2,00"]
    assert formats(1234, "1234") == ["1,234", "1\u00a0234", "1.234,00"]


def test_every_form_occurs_on_prices():
    _, _, key = plant("numbers_as_text", table="orders", column="unit_price", fraction=1.0)
    afters = list(key["after"])
    assert any(a.startswith("$") for a in afters)
    assert any(a.endswith(" EUR") for a in afters)
    assert any("," in a and "$" not in a for a in afters)


def test_numbers_already_held_as_text_qualify():
    col = pd.Series(["12.5", "N/A", "7", None, "007", "-3"], dtype="str")
    planted = REGISTRY["numbers_as_text"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(0),
        table="t",
        column="c",
        fraction=1.0,
    )
    assert sorted(planted.key["row"]) == [0, 2, 5]
    for before, after in zip(planted.key["before"], planted.key["after"], strict=True):
        assert read_back(after) == float(before)


def test_text_columns_without_numbers_are_refused():
    with pytest.raises(InvalidArgument, match="with a number in 'name'"):
        call("numbers_as_text", table="customers", column="name", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "unit_price", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("numbers_as_text", **args)
