"""Benchmark: generating 1,000,000 orders with planted anomalies and the full answer key,
against the anchor, a plain Faker row-by-row loop building the same order columns.

Each of 5 runs is a fresh process (nothing cached between runs: Faker pools, recipe, plants and
key are all rebuilt from a new seed). Reported: medians. File writing is timed separately.
Last line: `generate: R rows/s end-to-end; faker row loop: F rows/s; ratio X`.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_generate.py [--runs N]`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 1_000_000
FAKER_SAMPLE = 2_000

# At least six anomaly types, planted where a real export would have them.
PLANTS = [
    ("exact_duplicates", {"table": "orders", "fraction": 0.01}),
    ("missing_mcar", {"table": "orders", "column": "quantity", "fraction": 0.01}),
    (
        "orphans",
        {
            "table": "orders",
            "column": "customer_id",
            "parent": "customers",
            "parent_column": "customer_id",
            "fraction": 0.005,
        },
    ),
    ("scale_error", {"table": "orders", "column": "unit_price", "fraction": 0.005}),
    ("near_duplicates", {"table": "customers", "column": "email", "fraction": 0.01}),
    ("disguised_missing", {"table": "customers", "column": "phone", "fraction": 0.02}),
    ("typos", {"table": "customers", "column": "name", "fraction": 0.01}),
    ("fan_out", {"table": "products", "column": "product_id", "fraction": 0.01}),
]


def child(seed: int) -> dict:
    """One fresh-process run: imports, then build in memory, then write (timed apart)."""
    t0 = time.perf_counter()
    from datalit.generators.engine import generate
    from datalit.generators.output import write_generated
    from datalit.generators.spec import Plant

    t1 = time.perf_counter()
    g = generate("orders", seed=seed, rows=ROWS, plants=[Plant(a, k) for a, k in PLANTS])
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_generated(g, Path(tmp) / "out")
        t3 = time.perf_counter()
    return {
        "import_s": t1 - t0,
        "build_s": t2 - t1,
        "write_s": t3 - t2,
        "key_rows": len(g.key),
        "types": len(set(g.key["anomaly"])),
        "tables": {name: len(df) for name, df in g.raw.items()},
    }


def faker_row_loop(seed: int, n: int) -> float:
    """The anchor: the same order columns, one Faker call per value per row. Returns rows/s."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    statuses = ["delivered", "shipped", "cancelled", "returned"]
    start = time.perf_counter()
    rows = []
    for i in range(n):
        ordered = fake.date_time_between(start_date="-3y", end_date="-30d")
        rows.append(
            {
                "order_id": 100_001 + i,
                "customer_id": f"C{fake.random_int(1, 100_000):06d}",
                "product_id": f"P{fake.random_int(1, 5_000):05d}",
                "quantity": fake.random_int(1, 8),
                "unit_price": float(fake.pydecimal(left_digits=3, right_digits=2, positive=True)),
                "currency": fake.currency_code(),
                "ordered_at": ordered,
                "delivered_at": fake.date_time_between(start_date=ordered, end_date="now"),
                "status": fake.random_element(statuses),
                # the customer columns a per-row generator would fill alongside
                "name": fake.name(),
                "email": fake.email(),
                "phone": fake.phone_number(),
            }
        )
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    runs = []
    for i in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(1000 + i)],
            capture_output=True,
            text=True,
            check=True,
        )
        run = json.loads(out.stdout)
        runs.append(run)
        print(
            f"run {i + 1}: build {run['build_s']:.3f} s, write {run['write_s']:.3f} s, "
            f"imports {run['import_s']:.2f} s, {run['key_rows']:,} key rows, "
            f"{run['types']} anomaly types, tables {run['tables']}"
        )
    faker_rates = [faker_row_loop(seed, FAKER_SAMPLE) for seed in range(3)]
    build = statistics.median(r["build_s"] for r in runs)
    write = statistics.median(r["write_s"] for r in runs)
    rate = ROWS / build
    faker_rate = statistics.median(faker_rates)
    print(f"median build (in memory, from a fresh seed): {build:.3f} s for {ROWS:,} orders")
    print(f"median file writing (CSV raw + Parquet clean + key): {write:.3f} s")
    print(
        f"generate: {rate:,.0f} rows/s end-to-end; faker row loop: {faker_rate:,.0f} rows/s; "
        f"ratio {rate / faker_rate:,.0f}"
    )


if __name__ == "__main__":
    main()
