"""The extract stage against real files in a real work dir: hostile outputs get a status and a
reason, never an exception, and good outputs come back exactly as written, as text."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import Output, load_exercise
from datalit.generators.engine import generate
from datalit.generators.output import write_csv
from datalit.grading.extract import MAX_JSON_DEPTH, extract, extract_output

CSV = Output(name="orders_clean", path="outputs/orders_clean.csv", kind="table")
JSON = Output(name="flags", path="outputs/flags.json", kind="json")
PARQUET = Output(name="t", path="outputs/t.parquet", kind="table")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "outputs").mkdir(parents=True)
    return work


def put(workdir: Path, output: Output, data: bytes) -> Path:
    path = workdir / output.path
    path.write_bytes(data)
    return path


def read(workdir: Path, output: Output, data: bytes | None = None):
    if data is not None:
        put(workdir, output, data)
    return extract_output(output, workdir)


# --- whole exercise ---------------------------------------------------------------------------


def test_a_generated_table_comes_back_cell_for_cell_as_text(workdir):
    exercise = load_exercise("orders-cleanup")
    g = generate("orders", seed=3, rows=300)
    write_csv(g.raw["orders"], workdir / "outputs" / "orders_clean.csv")
    (workdir / "outputs" / "flags.json").write_text('{"orphan_order_ids": [100001]}')

    extracted = extract(exercise, workdir)

    table = extracted.outputs["orders_clean"]
    assert table.status == "ok"
    assert list(table.table.columns) == list(g.raw["orders"].columns)
    assert all(str(dtype) == "str" for dtype in table.table.dtypes)
    # Byte-exact: the same text the kit's CSV writer produced, "" for a missing delivery date.
    expected = pd.read_csv(
        workdir / "outputs" / "orders_clean.csv",
        dtype=str,
        keep_default_na=False,
        compression=None,
    )
    pd.testing.assert_frame_equal(table.table, expected, check_dtype=False)
    assert (table.table["delivered_at"] == "").any()
    assert not table.table.isna().any().any()
    data = (workdir / "outputs" / "orders_clean.csv").read_bytes()
    assert table.sha256 == hashlib.sha256(data).hexdigest()
    assert extracted.outputs["flags"].data == {"orphan_order_ids": [100001]}
    assert extracted.outputs["answers"].status == "missing"
    assert "not attempted" in extracted.outputs["answers"].reason


def test_a_work_dir_that_does_not_exist_is_a_grader_error(tmp_path):
    with pytest.raises(InvalidArgument, match="does not exist"):
        extract(load_exercise("orders-cleanup"), tmp_path / "nowhere")


def test_missing_file_and_missing_folder_are_not_attempted(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    result = extract_output(CSV, work)  # no outputs/ folder at all
    assert (result.status, result.reason) == (
        "missing",
        "outputs/orders_clean.csv was not written (not attempted)",
    )
    (work / "outputs").mkdir()
    assert extract_output(CSV, work).status == "missing"


# --- CSV content ------------------------------------------------------------------------------


def test_formula_injection_cells_come_back_as_literal_text(workdir):
    result = read(workdir, CSV, b'a,b,c,d\n=1+2,+1,@SUM(A1),"=HYPERLINK(""x"")"\nNA,null,,NaN\n')
    assert result.status == "ok"
    assert result.table.iloc[0].tolist() == ["=1+2", "+1", "@SUM(A1)", '=HYPERLINK("x")']
    # Nothing is guessed to be missing: the words stay words and the empty cell stays "".
    assert result.table.iloc[1].tolist() == ["NA", "null", "", "NaN"]


def test_quoted_commas_and_newlines_are_one_field(workdir):
    result = read(workdir, CSV, b'a,b\n"x, y","line1\nline2"\n')
    assert result.table.to_dict("list") == {"a": ["x, y"], "b": ["line1\nline2"]}


def test_blank_lines_before_the_header_and_between_rows_are_skipped(workdir):
    result = read(workdir, CSV, b"\n\na,b\n1,2\n\n3,4\n")
    assert result.table.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}


def test_a_utf8_bom_is_dropped(workdir):
    result = read(workdir, CSV, b"\xef\xbb\xbfa,b\n1,caf\xc3\xa9\n")
    assert result.status == "ok"
    assert list(result.table.columns) == ["a", "b"]
    assert result.table["b"].tolist() == ["café"]


def test_a_short_row_is_refused_with_its_row_number(workdir):
    result = read(workdir, CSV, b"a,b,c\n1,2,3\n4,5\n7,8,9\n")
    assert result.status == "unreadable"
    assert "row 3 has 2 fields, expected 3" in result.reason
    assert "counting the header as row 1" in result.reason
    assert result.table is None


def test_a_long_row_is_refused(workdir):
    result = read(workdir, CSV, b"a,b\n1,2\n3,4,5\n")
    assert result.status == "unreadable"
    assert "row 3 has 3 fields, expected 2" in result.reason


def test_every_row_one_field_too_many_is_refused_not_silently_truncated(workdir):
    # pandas' C engine drops the extra last field of every row here; we must not.
    result = read(workdir, CSV, b"a,b\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n11,12,13\n")
    assert result.status == "unreadable"
    assert "row 2 has 3 fields, expected 2" in result.reason
    assert "and 2 more rows" in result.reason


@pytest.mark.parametrize(
    ("encoded", "looks_like"),
    [
        ("order_id,city\n1,Besançon\n".encode("latin-1"), "Latin-1 / Windows-1252"),
        ("order_id,city\n1,Besançon\n".encode("utf-16"), "UTF-16"),
        ("order_id,city\n1,Besançon\n".encode("utf-16-le"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x81\x82", "binary"),
    ],
    ids=["latin-1", "utf-16-bom", "utf-16-no-bom", "binary"],
)
def test_text_that_is_not_utf8_is_refused_saying_what_it_looks_like(workdir, encoded, looks_like):
    result = read(workdir, CSV, encoded)
    assert result.status == "unreadable"
    assert result.reason.startswith("outputs/orders_clean.csv is not UTF-8 text (looks like ")
    assert looks_like in result.reason
    assert "save it as UTF-8" in result.reason


def test_duplicate_column_names_are_refused_rather_than_renamed(workdir):
    result = read(workdir, CSV, b"order_id,status,status\n1,a,b\n")
    assert result.status == "unreadable"
    assert "column 'status' appears twice" in result.reason


def test_an_unnamed_index_column_is_kept_under_its_empty_name(workdir):
    # df.to_csv(path) without index=False: readable; the suite's column check then fails it.
    result = read(workdir, CSV, b",order_id\n0,100001\n")
    assert result.status == "ok"
    assert list(result.table.columns) == ["", "order_id"]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n  \n"], ids=["zero", "bom", "blank"])
def test_an_empty_file_is_unreadable(workdir, data):
    result = read(workdir, CSV, data)
    assert result.status == "unreadable"
    assert "empty file" in result.reason


def test_a_header_only_file_is_an_empty_table(workdir):
    result = read(workdir, CSV, b"order_id,status\n")
    assert result.status == "ok"
    assert list(result.table.columns) == ["order_id", "status"]
    assert len(result.table) == 0


def test_too_many_rows_are_refused(workdir):
    small = dataclasses.replace(CSV, max_rows=3)
    assert read(workdir, small, b"a\n1\n2\n3\n").status == "ok"
    result = read(workdir, small, b"a\n1\n2\n3\n4\n")
    assert result.status == "unreadable"
    assert "4 rows, more than the 3 limit" in result.reason


# --- hostile files ----------------------------------------------------------------------------


def test_an_oversized_file_is_refused_without_being_read(workdir):
    small = dataclasses.replace(CSV, max_bytes=1000)
    assert read(workdir, small, b"a\n" + b"1\n" * 499).status == "ok"  # exactly 1000 bytes
    result = read(workdir, small, b"a\n" + b"1\n" * 500)
    assert result.status == "unreadable"
    assert "larger than the 1000 bytes limit" in result.reason


def test_a_symlink_to_a_file_outside_the_work_dir_is_not_followed(workdir, tmp_path):
    secret = tmp_path / "answers.json"
    secret.write_text("order_id\nSECRET\n")
    os.symlink(secret, workdir / CSV.path)
    result = extract_output(CSV, workdir)
    assert result.status == "unreadable"
    assert result.reason == "outputs/orders_clean.csv is a symbolic link; write a regular file"
    assert result.table is None


def test_a_symlinked_folder_on_the_path_is_not_followed(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "orders_clean.csv").write_text("order_id\n1\n")
    os.symlink(outside, work / "outputs")
    result = extract_output(CSV, work)
    assert result.status == "unreadable"
    assert "outputs is a symbolic link, not a folder" in result.reason


def test_a_fifo_is_refused_without_blocking(workdir):
    os.mkfifo(workdir / CSV.path)
    box = {}
    reader = threading.Thread(target=lambda: box.update(r=extract_output(CSV, workdir)))
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the thread before failing, so pytest can exit
        with open(workdir / CSV.path, "wb"):
            pass
        pytest.fail("reading a FIFO output blocked")
    assert box["r"].status == "unreadable"
    assert "named pipe" in box["r"].reason


def test_a_folder_named_like_the_output_is_refused(workdir):
    (workdir / CSV.path).mkdir()
    result = extract_output(CSV, workdir)
    assert result.status == "unreadable"
    assert result.reason == "outputs/orders_clean.csv is a folder; write a regular file"


def test_a_file_where_the_output_folder_should_be_is_refused(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "outputs").write_text("not a folder")
    result = extract_output(CSV, work)
    assert result.status == "unreadable"
    assert result.reason == (
        "outputs is a file, not a folder; write outputs/orders_clean.csv into a real folder"
    )


def test_extract_never_raises_on_a_hostile_work_dir(tmp_path):
    exercise = load_exercise("orders-cleanup")
    work = tmp_path / "w"
    (work / "outputs").mkdir(parents=True)
    os.mkfifo(work / "outputs" / "orders_clean.csv")
    os.symlink("/etc/passwd", work / "outputs" / "flags.json")
    (work / "outputs" / "answers.json").mkdir()
    extracted = extract(exercise, work)
    assert {o.status for o in extracted.outputs.values()} == {"unreadable"}
    assert all(o.reason for o in extracted.outputs.values())


# --- JSON -------------------------------------------------------------------------------------


def test_json_is_parsed_to_plain_values(workdir):
    data = {"duplicate_order_ids": [100001, "100002"], "revenue": {"FR": 12.5}}
    result = read(workdir, JSON, b"\xef\xbb\xbf" + json.dumps(data).encode())
    assert (result.status, result.data) == ("ok", data)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"x": NaN}', "contains NaN, which is not valid JSON"),
        (b'{"x": [Infinity]}', "contains Infinity"),
        (b'{"x": 1, "x": 2}', "key 'x' appears twice"),
        (b'{"x": [1, 2}', "is not valid JSON (Expecting"),
        (b"", "empty file"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested more than"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
        (b"1" * 5000, "thousands of digits"),
        (b'"\\ud800"', "unpaired surrogate"),
        ('{"x": "é"}'.encode("latin-1"), "not UTF-8 text (looks like Latin-1"),
    ],
    ids=[
        "nan",
        "infinity",
        "duplicate-key",
        "syntax",
        "empty",
        "deep",
        "very-deep",
        "huge-int",
        "surrogate",
        "latin-1",
    ],
)
def test_bad_json_is_unreadable_with_a_reason(workdir, text, reason):
    result = read(workdir, JSON, text)
    assert result.status == "unreadable"
    assert reason in result.reason
    assert result.data is None


def test_json_at_the_depth_limit_is_accepted(workdir):
    text = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert read(workdir, JSON, text).status == "ok"


def read_measured(workdir: Path, output: Output, data: bytes):
    """`read`, and the peak memory (tracemalloc) the extract stage took for it."""
    tracemalloc.start()
    try:
        result = read(workdir, output, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_json_padded_with_millions_of_values_is_refused_before_it_is_built(workdir):
    """Millions of `{}` under an ignored key cost the trusted worker gigabytes once parsed:
    the values are counted first, and the file is refused without being built."""
    padded = b'{"duplicate_order_ids": [1], "pad": [' + b"{}," * 3_000_000 + b"{}]}"
    result, peak = read_measured(workdir, JSON, padded)
    assert result.status == "unreadable"
    assert "more than the 100,000 limit" in result.reason
    # Copies of the text (bytes read, decoded, strings blanked) and the bracket steps: a few
    # times the file's size. Building the 3 million objects would take over 200 MB (24 times).
    assert peak < 8 * len(padded)


def test_json_at_the_item_limit_is_parsed_within_a_bounded_memory(workdir):
    """The worst JSON an exercise accepts by default (1 MB, and a count just under 100,000 of
    the costliest value, empty objects: each counts its bracket and its comma) costs the worker
    a few MB, not gigabytes."""
    exercise = load_exercise("orders-cleanup")
    answers = exercise.output("answers")
    assert (answers.max_bytes, answers.max_items) == (1024**2, 100_000)
    worst = b"[" + b"{}," * 49_990 + b"{}]"
    assert len(worst) < answers.max_bytes
    result, peak = read_measured(workdir, answers, worst)
    assert result.status == "ok"
    assert peak < 32 * 1024**2


def test_brackets_and_commas_inside_strings_are_not_values(workdir):
    text = json.dumps({"note": "[{,}]" * 50_000, "deep": "[" * 1000}).encode()
    result = read(workdir, dataclasses.replace(JSON, max_items=10), text)
    assert result.status == "ok", result.reason


def test_an_exercise_can_raise_its_json_limits(tmp_path):
    exercise = load_exercise("orders-cleanup")
    flags = exercise.output("flags")
    assert flags.max_bytes == 1024**2
    raised = dataclasses.replace(flags, max_items=10_000_000, max_bytes=50 * 1024**2)
    work = tmp_path / "w"
    (work / "outputs").mkdir(parents=True)
    padded = b'{"pad": [' + b"0," * 200_000 + b"0]}"
    assert read(work, flags, padded).status == "unreadable"
    assert read(work, raised, padded).status == "ok"


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_columns_come_back_in_the_kits_text_form(workdir):
    frame = pd.DataFrame(
        {
            "order_id": [100001, 100002, 100003],
            "quantity": [1.0, None, 2.5],
            "customer_id": ["C000001", None, "=1+2"],
            "ordered_at": pd.to_datetime(
                ["2024-01-01 10:00:00.250", None, "2024-02-03 04:05:06"], format="ISO8601"
            ),
            "paid": [True, False, None],
        }
    )
    frame.to_parquet(workdir / PARQUET.path)  # with pandas' metadata blob: never interpreted
    result = extract_output(PARQUET, workdir)
    assert result.status == "ok"
    assert all(str(dtype) == "str" for dtype in result.table.dtypes)
    assert result.table.to_dict("list") == {
        "order_id": ["100001", "100002", "100003"],
        "quantity": ["1", "", "2.5"],
        "customer_id": ["C000001", "", "=1+2"],
        "ordered_at": ["2024-01-01 10:00:00", "", "2024-02-03 04:05:06"],
        "paid": ["true", "false", ""],
    }


@pytest.mark.parametrize(
    "table",
    [
        pa.table({"ids": pa.array([[1, 2], [3]])}),
        pa.table({"s": pa.array([{"a": 1}])}),
        pa.table({"b": pa.array([b"\x00\x01"], type=pa.binary())}),
        pa.table({"u": pa.array([b"0123456789abcdef"], type=pa.uuid())}),
    ],
    ids=["list", "struct", "binary", "extension"],
)
def test_parquet_columns_without_a_plain_text_form_are_refused(workdir, table):
    pq.write_table(table, workdir / PARQUET.path)
    result = extract_output(PARQUET, workdir)
    assert result.status == "unreadable"
    assert "not plain numbers, text, dates or true/false" in result.reason


def test_parquet_duplicate_columns_and_garbage_are_refused(workdir):
    dup = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    pq.write_table(dup, workdir / PARQUET.path)
    assert "column 'a' appears twice" in extract_output(PARQUET, workdir).reason
    result = read(workdir, PARQUET, b"PAR1 this is not parquet PAR1")
    assert result.status == "unreadable"
    assert "not a readable Parquet file" in result.reason


def test_parquet_that_decodes_to_far_more_than_its_size_is_refused(workdir):
    # One long string repeated: a few KB on disk, 200 MB once decoded.
    pq.write_table(pa.table({"s": ["x" * 100_000] * 2000}), workdir / PARQUET.path)
    small = dataclasses.replace(PARQUET, max_bytes=100_000)
    assert (workdir / PARQUET.path).stat().st_size < small.max_bytes
    result = extract_output(small, workdir)
    assert result.status == "unreadable"
    assert "decodes to more than" in result.reason


def test_parquet_row_limit_is_checked_from_the_footer(workdir):
    pq.write_table(pa.table({"a": list(range(10))}), workdir / PARQUET.path)
    result = extract_output(dataclasses.replace(PARQUET, max_rows=9), workdir)
    assert result.status == "unreadable"
    assert "10 rows, more than the 9 limit" in result.reason


@pytest.mark.parametrize("line", ["max_items = 0", 'max_mb = "big"', "max_rows = -5"])
def test_a_bad_output_limit_in_exercise_toml_is_a_clear_error(tmp_path, line):
    import shutil

    from datalit.exercise import repo_root

    home = tmp_path / "exercises" / "orders-cleanup"
    shutil.copytree(repo_root() / "exercises" / "orders-cleanup", home)
    toml = home / "exercise.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('path = "outputs/flags.json"\n', f'path = "outputs/flags.json"\n{line}\n')
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidArgument, match=f"{line.split()[0]} must be a positive number"):
        load_exercise("orders-cleanup", tmp_path)
