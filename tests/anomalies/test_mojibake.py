import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies import REGISTRY
from datalit.generators.anomalies.mojibake import misdecode
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables

ACCENTED = ["Zoë Brontë", "José Núñez", "Ávila", "Søren Ørsted", "Chloé", "Łukasz Żak", "€5"]


def repair(text: str) -> str:
    """Undo the damage: each character back to its Windows-1252 byte (Latin-1 for the five
    bytes Windows-1252 leaves undefined), then decode the bytes as UTF-8."""
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            raw += ch.encode("latin-1")
    return raw.decode("utf-8")


def plant_on(values: list[str | None], fraction: float = 1.0, seed: int = 0):
    col = pd.Series(values, dtype="str")
    return REGISTRY["mojibake"](
        {"t": pd.DataFrame({"c": col})},
        rng=np.random.default_rng(seed),
        table="t",
        column="c",
        fraction=fraction,
    )


def test_textbook_examples():
    assert misdecode("Zoë") == "ZoÃ«"
    assert misdecode("it’s") == "itâ€™s"
    assert misdecode("café") == "cafÃ©"
    assert misdecode("New\u00a0York") == "NewÂ\u00a0York"
    # "Á" is C3 81 in UTF-8; 0x81 is undefined in Windows-1252 and passes through.
    assert misdecode("Ávila") == "Ã\x81vila"


def test_non_ascii_text_encodes_back_to_the_original():
    tables = small_tables("orders", 0, 400)
    customers = tables["customers"].copy()
    names = customers["name"].to_numpy(dtype=object)
    names[: len(ACCENTED)] = ACCENTED
    customers["name"] = pd.Series(names, index=customers.index, dtype="str")
    tables = {**tables, "customers": customers}
    planted = REGISTRY["mojibake"](
        tables, rng=np.random.default_rng(0), table="customers", column="name", fraction=1.0
    )
    key = planted.key
    assert len(key) == len(customers)
    assert K.verify(tables, {**tables, **planted.tables}, key) == []
    accented = key[key["row"] < len(ACCENTED)]
    assert list(accented["before"]) == ACCENTED
    for before, after in zip(accented["before"], accented["after"], strict=True):
        assert after != before
        assert repair(after) == before


def test_ascii_text_is_damaged_through_its_typographic_form():
    clean, raw, key = plant("mojibake", table="customers", column="name", fraction=0.5)
    assert len(key) == round(0.5 * len(clean["customers"]))
    assert K.verify(clean, raw, key) == []
    plain = [b.isascii() and "'" not in b for b in key["before"]]
    assert sum(plain) > 0
    for before, after in zip(key["before"][plain], key["after"][plain], strict=True):
        assert "Â\u00a0" in after
        stored = repair(after)
        assert stored.count("\u00a0") == 1
        assert stored.replace("\u00a0", " ") == before


def test_apostrophes_become_curly_then_damaged():
    planted = plant_on(["O'Brien", "D'Angelo Ros", "Ann"])
    assert list(planted.key["row"]) == [0, 1]
    assert list(planted.key["after"]) == ["Oâ€™Brien", "Dâ€™Angelo Ros"]


def test_text_that_cannot_show_damage_is_not_eligible():
    planted = plant_on(["plain", "a  b", " lead", None, "Zoë", "x y"])
    assert sorted(planted.key["row"]) == [4, 5]
    with pytest.raises(InvalidArgument, match="non-ASCII"):
        call("mojibake", table="customers", column="email", fraction=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "customers", "column": "name", "fraction": 1.5}, "'fraction'"),
        ({"table": "customers", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("mojibake", **args)
