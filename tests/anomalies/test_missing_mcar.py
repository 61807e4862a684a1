import pytest

from datalit.errors import InvalidArgument
from tests.anomalies._helpers import call, plant


def test_blanks_exactly_the_requested_share():
    clean, raw, key = plant("missing_mcar", table="orders", column="quantity", fraction=0.1)
    assert len(key) == 40
    assert raw["orders"]["quantity"].isna().sum() == 40
    assert set(key["after"]) == {""}
    assert clean["orders"]["quantity"].notna().all()


def test_other_cells_keep_their_text():
    _, raw, key = plant("missing_mcar", table="orders", column="quantity", fraction=0.1)
    untouched = raw["orders"].drop(index=key["row"])
    assert untouched["quantity"].notna().all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "quantity", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "nope"}, "'column'"),
        ({"table": "nope", "column": "quantity"}, "'table'"),
        ({"table": "orders", "column": "quantity", "colour": 1}, "no argument 'colour'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("missing_mcar", **args)
