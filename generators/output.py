"""Writing a generation run to disk: complete or not at all.

```
DIR/data/<table>.csv|.parquet   the raw tables a candidate sees
DIR/key/answer_key.csv          one row per planted change (datalit.generators.key)
DIR/key/clean/<table>.parquet   the clean tables, typed
DIR/key/rows/<table>.csv        the row identity of each raw row, in file order
DIR/key/truth/<table>.csv       instructor-only tables (e.g. spans of personal data)
DIR/key/answers.json            true answers computed on the clean tables
DIR/key/manifest.json           recipe, seed, plants, counts, versions, file checksums
```
Everything is written into a temporary sibling folder and renamed into place at the end, so an
interrupted or failed run leaves no half-written DIR. Same seed and versions -> identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datalit.errors import InvalidArgument
from datalit.generators.engine import Generated
from datalit.generators.text import to_text

FORMATS = ("csv", "parquet")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write `df` (index dropped) as CSV in the canonical text form, with Arrow's fast writer."""
    table = pa.table({str(c): to_text(df[c]) for c in df.columns})
    pa_csv.write_csv(table, path)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    # Categorical text columns (see `pools.categorical`) are written as plain strings: the files
    # hold what the text form says, whatever the columns' in-memory storage.
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            values = table.column(i).combine_chunks().dictionary_decode()
            table = table.set_column(i, pa.field(field.name, values.type), values)
    # No pandas metadata blob: it is not needed to read the file back and keeps bytes stable.
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="snappy")


def _versions() -> dict[str, str]:
    names = ("datalit", "faker", "numpy", "pandas", "pyarrow")
    return {n: metadata.version(n) for n in names}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(g: Generated) -> dict:
    counts = (
        g.key.groupby(["anomaly_id", "anomaly", "table", "change"], sort=True)
        .size()
        .reset_index(name="count")
    )
    return {
        "recipe": g.recipe,
        "seed": g.seed,
        "rows": g.rows,
        "plants": [
            {"id": f"p{i:02d}", "anomaly": p.anomaly, **p.args}
            for i, p in enumerate(g.plants, start=1)
        ],
        "planted": counts.to_dict(orient="records"),
        "tables": {
            name: {
                "clean_rows": len(g.clean[name]),
                "raw_rows": len(df),
                "columns": list(df.columns),
            }
            for name, df in g.raw.items()
        },
        "versions": _versions(),
    }


def check_target(out: Path, *, overwrite: bool) -> None:
    """Refuse a target folder that is a file, or holds something we must not replace."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidArgument(f"--out {out} is a file; give a folder path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InvalidArgument(
            f"--out {out} already exists and is not empty; choose another folder or pass --overwrite"
        )
    if (
        out.is_dir()
        and overwrite
        and not (out / "key" / "manifest.json").exists()
        and any(out.iterdir())
    ):
        raise InvalidArgument(
            f"--out {out} is not a folder datalit wrote (no key/manifest.json); "
            "refusing to overwrite it"
        )


def write_generated(
    g: Generated,
    out: Path,
    *,
    fmt: str = "csv",
    overwrite: bool = False,
    on_file: Callable[[str], None] | None = None,
    answers: dict | None = None,
) -> Path:
    """Write `g` to `out` atomically; `on_file(name)` is called after each file (progress).
    `answers` replaces the recipe's true answers in key/answers.json (an exercise's truth.py)."""
    if fmt not in FORMATS:
        raise InvalidArgument(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out)
    check_target(out, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    done = on_file or (lambda name: None)
    try:
        for sub in ("data", "key/clean", "key/rows", "key/truth"):
            (tmp / sub).mkdir(parents=True)
        for name, df in g.raw.items():
            if fmt == "csv":
                write_csv(df, tmp / "data" / f"{name}.csv")
            else:
                write_parquet(df, tmp / "data" / f"{name}.parquet")
            pd.DataFrame({"row": df.index.to_numpy()}).to_csv(
                tmp / "key" / "rows" / f"{name}.csv", index=False
            )
            done(f"data/{name}")
        for name, df in g.clean.items():
            write_parquet(df, tmp / "key" / "clean" / f"{name}.parquet")
            done(f"key/clean/{name}")
        for name, df in g.truth.items():
            write_csv(df, tmp / "key" / "truth" / f"{name}.csv")
        write_csv(g.key, tmp / "key" / "answer_key.csv")
        (tmp / "key" / "answers.json").write_text(
            json.dumps(g.answers if answers is None else answers, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        info = manifest(g)
        info["files"] = {
            str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        (tmp / "key" / "manifest.json").write_text(
            json.dumps(info, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        done("key")
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def read_raw(folder: Path) -> dict[str, pd.DataFrame]:
    """Read a written dataset's raw tables back as text, indexed by row identity (for checks)."""
    folder = Path(folder)
    tables = {}
    for path in sorted((folder / "data").iterdir()):
        name = path.stem
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, compression=None)
        else:
            df = pd.read_parquet(path)
        rows = pd.read_csv(folder / "key" / "rows" / f"{name}.csv")["row"].to_numpy()
        tables[name] = df.set_axis(pd.Index(rows), axis=0)
    return tables


def read_key(folder: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Read a written dataset's clean tables and answer key."""
    folder = Path(folder) / "key"
    clean = {p.stem: pd.read_parquet(p) for p in sorted((folder / "clean").glob("*.parquet"))}
    key = pd.read_csv(folder / "answer_key.csv", dtype=str, keep_default_na=False, compression=None)
    key["row"] = key["row"].astype("int64")
    key["source_row"] = pd.to_numeric(key["source_row"].replace("", None)).astype("Int64")
    return clean, key
