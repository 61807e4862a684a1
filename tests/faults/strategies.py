"""Hypothesis strategies for hostile and broken submissions: notebooks (as the bytes a candidate
hands in) and output files (as the bytes their notebook writes).

Notebooks: schema-invalid cells, missing keys, cells of unknown type, non-string sources, duplicate
cell ids, forged nbgrader metadata, wrong nbformat versions, huge or deeply nested JSON, wrong
encodings, truncation, binary garbage, and valid notebooks whose cells raise, exit or kill their
own process. None of them writes an output file, so every one must score 0 auto points.

Outputs: the bytes of a correct output mutated (truncated, re-encoded, bytes flipped, rows made
ragged, columns duplicated or dropped, a BOM, formula prefixes), JSON with wrong types, huge or
deeply nested values, and Parquet bytes, whole or broken.
"""

from __future__ import annotations

import io
import json

from hypothesis import strategies as st

# Code cells a candidate might write to break the run (none writes an output file, none loops).
SNIPPETS = (
    "x = 1",
    "print('hello')",
    "1/0",
    "raise SystemExit(3)",
    "import sys; sys.exit(0)",
    "exit()",
    "raise KeyboardInterrupt",
    "raise BaseException('boom')",
    "import os; os._exit(0)",
    "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    "def f():\n    return f()\nf()",
    "del __builtins__",
    "import pandas as pd\npd.read_csv('data/orders.csv').head()",
    "!echo shell",
    "%time 1 + 1",
    "%%bash\necho cell magic",
    "get_ipython().ast_transformers.clear()",
    "import sys; sys.stdout = None",
    "print('x' * 100_000)",
    "import gc; gc.disable()",
    "import threading; threading.Thread(target=lambda: None).start()",
    "open('outputs', 'w').write('a file where a folder belongs')",
    "syntax error here (",
    "\tindented wrongly",
    "import nonexistent_module_xyz",
    "",
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
junk = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

sources = st.one_of(
    st.sampled_from(SNIPPETS),
    st.lists(st.sampled_from(SNIPPETS).map(lambda s: s + "\n"), max_size=3),
    st.text(max_size=60),
    junk,
)
nbgrader_metadata = st.fixed_dictionaries(
    {},
    optional={
        "grade": st.booleans(),
        "solution": st.booleans(),
        "locked": st.booleans(),
        "grade_id": st.sampled_from(["finding", "clean_orders", "cell-1", ""]) | junk,
        "points": st.sampled_from([500, -3, 1e308]) | junk,
        "schema_version": st.integers(-1, 5),
    },
)
metadata = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"nbgrader": nbgrader_metadata}),
    junk,
)
cell_types = st.one_of(
    st.sampled_from(["code", "code", "code", "markdown", "raw"]),
    st.sampled_from(["widget", "Code", "", "heading"]),
    junk,
)
cell_ids = st.one_of(st.sampled_from(["a", "a", "cell-1", ""]), st.text(max_size=70), junk)
cells = st.one_of(
    st.fixed_dictionaries(
        {"cell_type": cell_types},
        optional={
            "id": cell_ids,
            "source": sources,
            "metadata": metadata,
            "outputs": junk,
            "execution_count": junk,
            "attachments": junk,
        },
    ),
    junk,
)
versions = st.one_of(st.just(4), st.integers(-1, 6), st.sampled_from(["4", 4.0, None, True]), junk)


@st.composite
def notebook_dicts(draw) -> dict:
    """A notebook-shaped JSON object with any key missing, wrong or forged."""
    doc = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "cells": st.lists(cells, max_size=5) | junk,
                "nbformat": versions,
                "nbformat_minor": st.integers(-1, 10) | junk,
                "metadata": metadata,
                "worksheets": junk,
            },
        )
    )
    if draw(st.booleans()):  # most examples keep the keys, so the cells themselves get tested
        doc.setdefault("cells", draw(st.lists(cells, max_size=5)))
        doc.setdefault("nbformat", 4)
        doc.setdefault("nbformat_minor", 5)
        doc.setdefault("metadata", {})
    return doc


@st.composite
def runnable_notebooks(draw) -> dict:
    """A valid nbformat 4 notebook whose code cells raise, exit, kill themselves or print; cell
    ids may repeat."""
    code = st.builds(
        lambda src, cid: {
            "cell_type": "code",
            "id": cid,
            "source": src,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
        st.sampled_from(SNIPPETS),
        st.sampled_from(["a", "a", "b"]),
    )
    markdown = st.builds(
        lambda src: {"cell_type": "markdown", "id": "a", "source": src, "metadata": {}},
        st.text(max_size=40),
    )
    return {
        "cells": draw(st.lists(st.one_of(code, code, markdown), min_size=1, max_size=5)),
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _dumps(doc) -> bytes:
    return json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def encoded(draw, docs) -> bytes:
    """A JSON document's bytes, sometimes damaged: truncated, re-encoded, garbage around it."""
    data = _dumps(draw(docs))
    how = draw(
        st.sampled_from(
            ["plain", "plain", "plain", "truncate", "utf16", "latin1", "bom", "prefix", "nul"]
        )
    )
    if how == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif how == "utf16":
        data = data.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
    elif how == "latin1":
        data = data.replace(b'"', b'"\xe9', 1)
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    elif how == "prefix":
        data = draw(st.binary(min_size=1, max_size=8)) + data
    elif how == "nul":
        data = data + b"\x00"
    return data


@st.composite
def deep_json(draw) -> bytes:
    """JSON nested far deeper than any notebook (or than Python's recursion limit)."""
    depth = draw(st.sampled_from([50, 500, 990, 1200, 100_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + "1" + closer * depth
    wrapper = draw(st.sampled_from(["top", "metadata", "source"]))
    if wrapper == "top":
        return inner.encode()
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}
    text = json.dumps({"cells": [cell], "nbformat": 4, "nbformat_minor": 5, "metadata": {}})
    if wrapper == "metadata":
        return text.replace('"metadata": {}, "outputs"', f'"metadata": {inner}, "outputs"').encode()
    return text.replace('"source": "x = 1"', f'"source": {inner}').encode()


@st.composite
def big_numbers(draw) -> bytes:
    """Numbers JSON allows and Python may not: more digits than int() converts, 1e999."""
    value = draw(st.sampled_from(["1" * 5000, "1e999", "-1e999", "1" * 400 + ".5"]))
    place = draw(st.sampled_from(["nbformat_minor", "execution_count", "metadata"]))
    cell = '{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], '
    cell += f'"execution_count": {value if place == "execution_count" else "null"}}}'
    meta = f'{{"n": {value}}}' if place == "metadata" else "{}"
    minor = value if place == "nbformat_minor" else "5"
    return f'{{"cells": [{cell}], "nbformat": 4, "nbformat_minor": {minor}, "metadata": {meta}}}'.encode()


def lone_surrogates() -> st.SearchStrategy[bytes]:
    """A code cell holding an escaped lone surrogate (valid JSON, not encodable as UTF-8)."""
    return st.sampled_from(["\\ud800", "\\udfff", "x = '\\ud83d'"]).map(
        lambda s: (
            '{"cells": [{"cell_type": "code", "source": "' + s + '", "metadata": {}, '
            '"outputs": []}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}'
        ).encode()
    )


def notebook_bytes() -> st.SearchStrategy[bytes]:
    """Everything above, as the bytes of a submitted .ipynb."""
    return st.one_of(
        encoded(notebook_dicts()),
        encoded(runnable_notebooks()),
        runnable_notebooks().map(_dumps),
        deep_json(),
        big_numbers(),
        lone_surrogates(),
        st.binary(max_size=512),
        st.sampled_from([b"", b" ", b"null", b"[]", b"{}", b'"cells"', b"\xff\xfe\x00"]),
    )


# --- output files ---------------------------------------------------------------------------


@st.composite
def mutated_bytes(draw, original: bytes) -> bytes:
    """`original` damaged the ways files get damaged."""
    how = draw(
        st.sampled_from(
            ["truncate", "flip", "utf16", "latin1", "bom", "append", "empty", "garbage", "same"]
        )
    )
    if how == "truncate":
        return original[: draw(st.integers(0, max(0, len(original) - 1)))]
    if how == "flip":
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 8))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "utf16":
        return original.decode("utf-8", "replace").encode("utf-16")
    if how == "latin1":
        return original.decode("utf-8", "replace").encode("latin-1", "replace") + b"caf\xe9"
    if how == "bom":
        return b"\xef\xbb\xbf" + original
    if how == "append":
        return original + draw(st.binary(min_size=1, max_size=64))
    if how == "empty":
        return b""
    if how == "garbage":
        return draw(st.binary(max_size=2048))
    return original


@st.composite
def mutated_csv(draw, original: bytes) -> bytes:
    """A CSV changed row- and column-wise (ragged and short rows, duplicate, dropped or renamed
    columns, formula prefixes, quotes left open), then maybe damaged byte-wise."""
    lines = original.decode("utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    how = draw(
        st.sampled_from(
            ["ragged", "short", "dup_column", "drop_column", "rename", "formula", "quote", "none"]
        )
    )
    if how == "ragged" and rows:
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] += ",extra,cells"
    elif how == "short" and rows:
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i].rsplit(",", 2)[0]
    elif how == "dup_column":
        first = header.split(",")[0]
        header = f"{header},{first}"
        rows = [f"{r},{r.split(',')[0]}" for r in rows]
    elif how == "drop_column":
        header = ",".join(header.split(",")[1:])
        rows = [",".join(r.split(",")[1:]) for r in rows]
    elif how == "rename":
        header = header.replace("order_id", "Order ID", 1)
    elif how == "formula" and rows:
        prefix = draw(st.sampled_from(["=", "+", "-", "@", "\t", "\r"]))
        rows = [prefix + r if k % 3 == 0 else r for k, r in enumerate(rows)]
    elif how == "quote" and rows:
        rows[0] = '"' + rows[0]
    data = ("\n".join([header, *rows]) + "\n").encode("utf-8")
    if draw(st.booleans()):
        data = draw(mutated_bytes(data))
    return data


@st.composite
def hostile_json(draw, original: bytes) -> bytes:
    """A JSON output with the right shape and wrong contents, or no longer JSON at all."""
    doc = json.loads(original)
    how = draw(
        st.sampled_from(
            ["junk_values", "junk_doc", "deep", "huge_list", "nan", "dup_keys", "bytes"]
        )
    )
    if how == "junk_values" and isinstance(doc, dict):
        for key in list(doc):
            if draw(st.booleans()):
                doc[key] = draw(junk)
        return json.dumps(doc).encode()
    if how == "junk_doc":
        return json.dumps(draw(junk)).encode()
    if how == "deep":
        depth = draw(st.sampled_from([100, 2000, 100_000]))
        return ("[" * depth + "]" * depth).encode()
    if how == "huge_list" and isinstance(doc, dict):
        key = draw(st.sampled_from(sorted(doc))) if doc else "x"
        doc[key] = list(range(draw(st.sampled_from([10_000, 300_000]))))
        return json.dumps(doc).encode()
    if how == "nan":
        return original.replace(b"1", b"NaN", 1).replace(b"2", b"Infinity", 1)
    if how == "dup_keys":
        return b'{"a": 1, "a": 2, ' + original.lstrip()[1:]
    return draw(mutated_bytes(original))


@st.composite
def parquet_bytes(draw, csv_original: bytes) -> bytes:
    """The cleaned table written as Parquet (plain or with odd types), sometimes damaged."""
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(csv_original), dtype=str, keep_default_na=False)
    how = draw(st.sampled_from(["plain", "numbers", "nested", "empty"]))
    if how == "numbers" and len(frame.columns):
        frame[frame.columns[0]] = range(len(frame))
    elif how == "nested" and len(frame.columns):
        frame[frame.columns[-1]] = [[1, 2]] * len(frame)
    elif how == "empty":
        frame = frame.iloc[0:0]
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    if draw(st.booleans()):
        data = draw(mutated_bytes(data))
    return data
