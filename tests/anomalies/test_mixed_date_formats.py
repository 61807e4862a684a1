import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from datalit.errors import InvalidArgument
from datalit.generators import key as K
from datalit.generators.anomalies.mixed_date_formats import EXCEL_EPOCH, FORMATS
from datalit.generators.engine import plant_all
from datalit.generators.spec import Plant
from tests.anomalies._helpers import call, plant
from tests.conftest import small_tables

PARSE = {
    "m/d/Y": "%m/%d/%Y",
    "d/m/Y": "%d/%m/%Y",
    "ISO 8601": "%Y-%m-%dT%H:%M:%SZ",
    "d Mon Y": "%d %b %Y",
    "YYYYMMDD": "%Y%m%d",
}


def test_each_value_reads_back_as_its_date_in_the_format_the_key_names():
    _, _, key = plant("mixed_date_formats", table="orders", column="ordered_at", fraction=0.5)
    assert len(key) == 200
    for before, after, detail in zip(key["before"], key["after"], key["detail"], strict=True):
        fmt = json.loads(detail)["format"]
        clean = datetime.strptime(before, "%Y-%m-%d %H:%M:%S")
        if fmt == "Excel serial":
            read = EXCEL_EPOCH + pd.Timedelta(days=float(after))
            assert abs(read - pd.Timestamp(clean)) <= pd.Timedelta(seconds=1)
        else:
            read = datetime.strptime(after, PARSE[fmt])
            same = read == clean if fmt == "ISO 8601" else read.date() == clean.date()
            assert same, (before, after, fmt)


def test_all_formats_occur_and_every_chosen_value_changes():
    _, raw, key = plant("mixed_date_formats", table="orders", column="ordered_at", fraction=1.0)
    assert len(key) == 400
    assert {json.loads(d)["format"] for d in key["detail"]} == set(FORMATS)
    assert not raw["orders"]["ordered_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").any()


def test_untouched_cells_keep_their_canonical_text():
    clean, raw, key = plant(
        "mixed_date_formats", table="customers", column="signup_date", fraction=0.3
    )
    assert raw["customers"]["signup_date"].dtype == "str"
    assert K.verify(clean, raw, key) == []


def test_dates_left_in_a_column_an_earlier_plant_made_text_are_still_rewritten():
    clean = small_tables("orders", 0, 400)
    plants = [
        Plant("disguised_missing", {"table": "orders", "column": "ordered_at", "fraction": 0.2}),
        Plant("mixed_date_formats", {"table": "orders", "column": "ordered_at", "fraction": 1.0}),
    ]
    raw, key = plant_all(clean, plants, np.random.default_rng(0))
    assert K.verify(clean, raw, key) == []
    mixed = key[key["anomaly"] == "mixed_date_formats"]
    placeholders = key.loc[key["anomaly"] == "disguised_missing", "after"]
    assert len(mixed) == 400 - len(placeholders)
    assert not set(mixed["before"]) & set(placeholders)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table": "orders", "column": "ordered_at", "fraction": 1.5}, "'fraction'"),
        ({"table": "orders", "column": "quantity"}, "'column'"),
        ({"table": "orders", "column": "nope"}, "'column'"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(InvalidArgument, match=message):
        call("mixed_date_formats", **args)
