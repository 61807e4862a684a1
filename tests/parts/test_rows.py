"""The rows kind's settings: a key, compared columns with their comparison, a key share."""

import pytest

from datalit.errors import InvalidArgument
from datalit.grading.parts import get
from tests.parts._kit import part_from_toml

RAW = {"id": "rows", "kind": "rows", "points": 10, "output": "orders_clean", "key": "order_id",
       "columns": {"status": "text", "qty": {"compare": "number", "tolerance": 0.01}}}  # fmt: skip


def test_settings_and_the_columns_the_shift_proof_moves():
    part = part_from_toml(RAW)
    assert part.settings.key == "order_id"
    assert part.settings.key_share == 0.25
    assert [c.compare for c in part.settings.columns] == ["text", "number"]
    kind = get("rows")
    assert kind.true_table
    assert kind.shifted_columns(part) == ("status", "qty")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": ""}, "a rows part needs `key`"),
        ({"columns": {}}, "a rows part needs `columns`"),
        ({"columns": {"status": "fuzzy"}}, "must be compared as one of"),
        ({"columns": {"status": {"compare": "text", "tol": 1}}}, "unknown setting"),
        ({"columns": {"order_id": "text"}}, "is not also a compared column"),
        ({"key_share": 1.0}, r"key_share must be a number in \[0, 1\)"),
    ],
)
def test_bad_settings_are_refused(change, message):
    with pytest.raises(InvalidArgument, match=message):
        part_from_toml({**RAW, **change})
