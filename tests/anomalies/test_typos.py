import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.typos import QWERTY_NEIGHBOURS, SUBSTITUTE, SWAP, mistype
from tests.anomalies._helpers import call, plant


def damerau(a: str, b: str) -> int:
    """Optimal string alignment distance (edits: insert, delete, substitute, swap adjacent)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def typed_letters(before: str, after: str) -> list[tuple[str, str]]:
    """For a same-length edit that is not a swap: (intended, typed) letter pairs."""
    return [(x, y) for x, y in zip(before, after, strict=True) if x != y]


def test_every_changed_value_is_one_keyboard_edit_away():
    clean, raw, key = plant("typos", table="customers", column="name", fraction=0.5)
    assert len(key) == round(0.5 * len(clean["customers"]))
    assert K.verify(clean, raw, key) == []
    for before, after in zip(key["before"], key["after"], strict=True):
        assert damerau(before, after) == 1, (before, after)
        pairs = typed_letters(before, after) if len(before) == len(after) else []
        if len(pairs) == 1:  # a substitution: the typed key touches the intended one
            intended, typed = pairs[0]
            assert typed.lower() in QWERTY_NEIGHBOURS[intended.lower()]
            assert typed.isupper() == intended.isupper()


def test_all_four_kinds_of_typo_occur():
    _, _, key = plant("typos", table="orders", column="status", fraction=1.0)
    assert len(key) == 400
    kinds = set()
    for before, after in zip(key["before"], key["after"], strict=True):
        if len(after) > len(before):
            kinds.add("insert")
        elif len(after) < len(before):
            kinds.add("delete")
        elif sorted(after) == sorted(before):
            kinds.add("swap")
        else:
            kinds.add("substitute")
    assert kinds == {"insert", "delete", "swap", "substitute"}


def test_only_values_with_two_letters_are_eligible():
    col = pd.Series(["a", "", "7", "a1", None, "ab", "12 B c"], dtype="str")
    tables = {"t": pd.DataFrame({"c": col})}
    planted = REGISTRY["typos"](
        tables, rng=np.random.default_rng(1), table="t", column="c", fraction=1.0
    )
    assert sorted(planted.key["row"]) == [5, 6]
    assert planted.tables["t"]["c"].iloc[:5].equals(col.iloc[:5])
    with pytest.raises(InvalidArgument, match="two or more letters"):
        REGISTRY["typos"](
            {"t": pd.DataFrame({"c": col.iloc[:5]})},
            rng=np.random.default_rng(1),
            table="t",
            column="c",
            fraction=0.5,
        )


def test_a_swap_without_two_different_adjacent_letters_becomes_a_substitution():
    u = np.array([0.0, 0.0, 0.0])
    assert mistype("aa", SWAP, u) == mistype("aa", SUBSTITUTE, u) == "qa"
    assert mistype("ab", SWAP, u) == "ba"


def test_the_keyboard_map_covers_every_letter_and_is_symmetric():
    assert sorted(QWERTY_NEIGHBOURS) == list("abcdefghijklmnopqrstuvwxyz")
    for key, neighbours in QWERTY_NEIGHBOURS.items():
        for other in neighbours:
            assert key in QWERTY_NEIGHBOURS[other], (key, other)


def test_numbers_are_not_text_to_mistype():
    with pytest.raises(InvalidArgument, match="'quantity'"):
        call("typos", table="orders", column="quantity", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "name", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
        ({"table": "nope", "column": "name"}, "'table'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("typos", **args)
