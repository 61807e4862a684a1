"""Written files hold plain text whatever the columns' storage in memory."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from datalit.generators.engine import generate
from datalit.generators.output import write_generated


def test_categorical_columns_are_written_as_plain_strings(tmp_path):
    g = generate("orders", seed=3, rows=300)
    assert g.clean["orders"]["status"].dtype == "category"  # codes in memory
    out = write_generated(g, tmp_path / "x", fmt="parquet")
    for path in (out / "key" / "clean" / "orders.parquet", out / "data" / "orders.parquet"):
        schema = pq.read_schema(path)
        assert schema.field("status").type == pa.large_string()
        assert schema.field("customer_id").type == pa.large_string()
    clean = pq.read_table(out / "key" / "clean" / "orders.parquet")
    assert clean["status"].to_pylist() == g.clean["orders"]["status"].tolist()
