"""Course operations: roster, cohort secret, release (nothing secret reaches release/) and collect
(hostile archives and folders are refused with a reason, never a traceback)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest

from datalit.errors import InvalidArgument
from datalit.exercise import load_exercise
from datalit.grading.course import (
    Course,
    SubmissionLimits,
    cohort_secret,
    collect,
    load_roster,
    release,
)
from datalit.seeding import candidate_seed

SLUG = "orders-cleanup"
EXERCISE = load_exercise(SLUG)
CANDIDATES = ("alice", "bob.smith", "c-3_po")
NOTEBOOK = EXERCISE.notebook


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- roster -----------------------------------------------------------------------------------


def test_roster_reads_ids_names_and_emails(tmp_path):
    path = write(
        tmp_path / "r.csv",
        "\ufeffEmail, ID ,team,Name\na@x.test,alice,red,Alice A\n\n,bob.smith,blue,\n",
    )
    roster = load_roster(path)
    assert [(c.id, c.name, c.email) for c in roster] == [
        ("alice", "Alice A", "a@x.test"),
        ("bob.smith", "", ""),
    ]


def test_roster_with_only_ids(tmp_path):
    assert [c.id for c in load_roster(write(tmp_path / "r.csv", "id\nx1\nx_2\n"))] == ["x1", "x_2"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id\nalice\nbad id\n", r"row 3: the id 'bad id' contains ' '"),
        ("id\nalice\na/../x\n", r"row 3: the id 'a/../x' contains '/'"),
        ("id\n.hidden\n", r"row 2: the id '.hidden' starts with '.'"),
        ("id\n" + "a" * 65 + "\n", r"row 2: the id is 65 characters long"),
        ("id,name\n,Nobody\n", r"row 2: the id is empty"),
        ("id\nalice\nbob\nAlice\n", r"row 4: the id 'Alice' repeats row 2"),
        ("id\nalicé\n", r"row 2: the id 'alicé' contains 'é'"),
        ("name,email\nA,a@x\n", r"has no `id` column \(header: name, email\)"),
        ("id\n\n", r"lists no candidates"),
        ("", r"is empty"),
    ],
)
def test_roster_problems_name_the_row(tmp_path, body, message):
    with pytest.raises(InvalidArgument, match=message):
        load_roster(write(tmp_path / "r.csv", body))


def test_roster_not_utf8(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("id\nj\xf6rg\n".encode("latin-1"))
    with pytest.raises(InvalidArgument, match="not UTF-8"):
        load_roster(path)


def test_roster_missing_file(tmp_path):
    with pytest.raises(InvalidArgument, match="cannot read the roster"):
        load_roster(tmp_path / "nope.csv")


def test_course_paths_refuse_unsafe_names(tmp_path):
    course = Course(tmp_path)
    assert course.release_dir("alice", SLUG) == tmp_path / "release" / "alice" / SLUG
    for bad in ("../x", ".", "..", "a/b", ""):
        with pytest.raises(InvalidArgument, match="not usable as a folder name"):
            course.keys_dir(bad, SLUG)


# --- cohort secret ----------------------------------------------------------------------------


def test_secret_is_created_once_private_and_reused(tmp_path):
    course = Course(tmp_path)
    secret, path, created = cohort_secret(course)
    assert created
    assert path == tmp_path / ".datalit" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) == 64
    int(secret, 16)
    again, _, created_again = cohort_secret(course)
    assert (again, created_again) == (secret, False)


def test_secret_file_option(tmp_path):
    path = write(tmp_path / "s.txt", "  correct horse battery staple  \n")
    secret, where, created = cohort_secret(Course(tmp_path / "c"), path)
    assert (secret, where, created) == ("correct horse battery staple", path, False)
    assert not (tmp_path / "c" / ".datalit" / "secret").exists()
    with pytest.raises(InvalidArgument, match="at least 16"):
        cohort_secret(Course(tmp_path), write(tmp_path / "short.txt", "abc\n"))
    with pytest.raises(InvalidArgument, match="cannot read --secret-file"):
        cohort_secret(Course(tmp_path), tmp_path / "missing.txt")


def test_empty_stored_secret_is_refused(tmp_path):
    write(tmp_path / ".datalit" / "secret", "\n")
    with pytest.raises(InvalidArgument, match="empty or unreadable"):
        cohort_secret(Course(tmp_path))


# --- release ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    roster = write(base / "roster.csv", "id,name\n" + "".join(f"{c},{c}\n" for c in CANDIDATES))
    course = base / "course"
    summary = release(exercise=EXERCISE, course=course, roster=roster)
    return summary, course, roster


def test_release_layout(released):
    summary, course, _ = released
    assert summary.count == len(CANDIDATES)
    assert summary.secret_created
    assert "released orders-cleanup to 3 candidate(s)" in summary.describe()
    for cand in CANDIDATES:
        rel = course / "release" / cand / SLUG
        assert sorted(str(p.relative_to(rel)) for p in rel.rglob("*")) == [
            "README.md",
            "check_outputs.py",
            "data",
            "data/customers.csv",
            "data/fx_rates.csv",
            "data/orders.csv",
            "data/products.csv",
            NOTEBOOK,
            "requirements-jupyterlab.txt",
            "requirements.txt",
        ]
        keys = course / "keys" / cand / SLUG
        stored = json.loads((keys / "answers.json").read_text(encoding="utf-8"))
        assert set(stored) >= {"answers", "suite_parameters", "seed"}
        assert stored["suite_parameters"]["clean_order_rows"] > 0
        assert (keys / "key" / "answer_key.csv").is_file()
        assert (keys / "key" / "clean" / "orders.parquet").is_file()
        # The exercise's release notebook, cells unchanged, stamped with whose it is.
        released_nb = json.loads((rel / NOTEBOOK).read_text(encoding="utf-8"))
        source_nb = json.loads((EXERCISE.folder / NOTEBOOK).read_text(encoding="utf-8"))
        assert released_nb["cells"] == source_nb["cells"]
        assert released_nb["metadata"].pop("datalit") == {"candidate": cand, "exercise": SLUG}
        assert released_nb["metadata"] == source_nb["metadata"]
        assert f"Candidate id: `{cand}`" in (rel / "README.md").read_text(encoding="utf-8")
    assert stat.S_IMODE((course / "keys").stat().st_mode) == 0o700


def test_release_seeds_come_from_the_cohort_secret(released):
    summary, course, _ = released
    secret = (course / ".datalit" / "secret").read_text(encoding="utf-8").strip()
    seeds = {r.id: r.seed for r in summary.released}
    for cand in CANDIDATES:
        assert seeds[cand] == candidate_seed(SLUG, cand, secret)
        stored = json.loads((course / "keys" / cand / SLUG / "answers.json").read_text())
        assert stored["seed"] == seeds[cand]
    orders = {
        cand: (course / "release" / cand / SLUG / "data" / "orders.csv").read_bytes()
        for cand in CANDIDATES
    }
    assert len(set(orders.values())) == len(CANDIDATES)


def hidden_feedback() -> list[str]:
    suite = json.loads(EXERCISE.suite_path.read_text(encoding="utf-8"))
    texts = [
        e["meta"]["feedback"]
        for e in suite["expectations"]
        if e.get("meta", {}).get("visibility") == "hidden"
    ]
    assert texts
    return texts


def secret_values(course: Path) -> list[str]:
    """Text forms of every candidate's true answers, as they could leak."""
    values = []
    for cand in CANDIDATES:
        stored = json.loads((course / "keys" / cand / SLUG / "answers.json").read_text())
        answers, params = stored["answers"], stored["suite_parameters"]
        for name in ("orphan_order_ids", "duplicate_order_ids", "duplicate_customer_ids"):
            values += [json.dumps(answers[name]), ", ".join(map(str, answers[name]))]
        revenue = answers["revenue_eur_by_country"]
        values.append(json.dumps(revenue))
        values += [f"{v:.2f}" for v in revenue.values()]
        values += [repr(v) for v in revenue.values()]
        values.append(json.dumps(params["customer_ids"]))
    return values


def test_nothing_secret_reaches_release(released):
    _, course, _ = released
    files = [p for p in (course / "release").rglob("*") if p.is_file()]
    assert files
    forbidden_names = {"answer_key.csv", "answers.json", "manifest.json", "secret", "truth.py"}
    secret = (course / ".datalit" / "secret").read_text(encoding="utf-8").strip()
    leaks = [secret, "BEGIN SOLUTION", "END SOLUTION", "$PARAMETER", *hidden_feedback()]
    leaks += secret_values(course)
    for path in files:
        rel = path.relative_to(course / "release")
        assert path.name not in forbidden_names, rel
        assert path.suffix != ".parquet", rel
        assert not {"key", "clean", "rows", "truth"} & set(rel.parts[:-1]), rel
        text = path.read_bytes().decode("utf-8", "replace")
        for leak in leaks:
            assert leak not in text, (rel, leak[:60])


def test_release_readme_describes_the_grading_environment(released):
    _, course, _ = released
    readme = (course / "release" / "alice" / SLUG / "README.md").read_text(encoding="utf-8")
    brief = (EXERCISE.folder / "README.md").read_text(encoding="utf-8").rstrip()
    title, _, body = brief.partition("\n")
    stamp = "*Candidate id: `alice`. It is recorded in the notebook too"
    assert readme.startswith(title + "\n\n" + stamp)  # the id right under the title
    assert body in readme
    assert "## Grading environment" in readme
    for name in ("pandas", "numpy", "pyarrow"):
        assert f"{name} {metadata.version(name)}" in readme
    assert f"{EXERCISE.limits.memory_mb:,} MB" in readme
    assert f"{EXERCISE.limits.cell_timeout_s:g} s per cell" in readme
    assert "UTF-8" in readme
    for output in EXERCISE.outputs:
        assert f"`{output.path}`" in readme
    assert ", ".join(EXERCISE.output("orders_clean").columns) in readme
    assert "`orphan_order_ids`: a list of ids" in readme
    requirements = (course / "release" / "alice" / SLUG / "requirements.txt").read_text()
    pins = [line for line in requirements.splitlines() if not line.startswith("#")]
    assert pins == [f"{n}=={metadata.version(n)}" for n in ("pandas", "numpy", "pyarrow")]
    lab = (course / "release" / "alice" / SLUG / "requirements-jupyterlab.txt").read_text()
    assert [line for line in lab.splitlines() if not line.startswith("#")] == [
        "-r requirements.txt",
        f"jupyterlab=={metadata.version('jupyterlab')}",
        f"ipykernel=={metadata.version('ipykernel')}",
    ]
    assert "pip install -r requirements-jupyterlab.txt" in readme


def test_rerelease_is_idempotent_and_replaces_whole_folders(released):
    summary, course, roster = released
    before = {part: tree_hashes(course / part) for part in ("release", "keys")}
    stray = write(course / "release" / "alice" / SLUG / "outputs" / "old.csv", "x\n")
    again = release(exercise=EXERCISE, course=course, roster=roster)
    assert not again.secret_created
    assert [r.seed for r in again.released] == [r.seed for r in summary.released]
    assert not stray.exists()
    assert {part: tree_hashes(course / part) for part in ("release", "keys")} == before
    staging = course / ".datalit" / "staging"
    assert list(staging.iterdir()) == []
    leftovers = list((course / "release").rglob(".*"))
    assert leftovers == []


def test_release_with_a_secret_file(tmp_path):
    roster = write(tmp_path / "roster.csv", "id\nalice\n")
    secret = write(tmp_path / "secret.txt", "s" * 40 + "\n")
    summary = release(exercise=EXERCISE, course=tmp_path / "c", roster=roster, secret_file=secret)
    assert summary.released[0].seed == candidate_seed(SLUG, "alice", "s" * 40)
    assert summary.secret_file == secret
    assert not (tmp_path / "c" / ".datalit" / "secret").exists()


def test_bad_roster_writes_nothing(tmp_path):
    roster = write(tmp_path / "roster.csv", "id\nok\nnot ok\n")
    with pytest.raises(InvalidArgument, match="row 3"):
        release(exercise=EXERCISE, course=tmp_path / "c", roster=roster)
    assert not (tmp_path / "c").exists()


# --- check_outputs.py -------------------------------------------------------------------------

GOOD_CSV = (
    ",".join(EXERCISE.output("orders_clean").columns)
    + "\n100001,C000001,P00001,1,9.5,EUR,2024-01-01 10:00:00,,shipped\n"
)


def run_check(released, folder: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    _, course, _ = released
    script = (course / "release" / "alice" / SLUG / "check_outputs.py").read_text()
    write(folder / "check_outputs.py", script)
    for name, text in files.items():
        write(folder / name, text)
    return subprocess.run(
        [sys.executable, "check_outputs.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_outputs_accepts_well_formed_outputs(released, tmp_path):
    done = run_check(
        released,
        tmp_path,
        {
            "outputs/orders_clean.csv": GOOD_CSV,
            "outputs/flags.json": json.dumps(
                {
                    "duplicate_order_ids": [1],
                    "orphan_order_ids": [],
                    "duplicate_customer_ids": ["C1"],
                }
            ),
            "outputs/answers.json": json.dumps({"revenue_eur_by_country": {"FR": 1.5}}),
        },
    )
    assert done.returncode == 0, done.stdout
    assert "All 3 output files" in done.stdout
    assert "does not say whether" in done.stdout


def test_check_outputs_reports_problems(released, tmp_path):
    done = run_check(
        released,
        tmp_path,
        {
            "outputs/orders_clean.csv": "order_id,status,extra\n1,shipped\n",
            "outputs/flags.json": '{"duplicate_order_ids": "1", "orphan_order_ids": [NaN]}',
            "outputs/answers.json": '{"revenue_eur_by_country": {"FR": "12"}}',
        },
    )
    assert done.returncode == 1
    out = done.stdout
    assert "lacks column(s) customer_id" in out
    assert "not asked for: extra" in out
    assert "1 row(s) do not have 3 fields (first: line 2)" in out
    assert "NaN is not valid JSON" in out
    assert "every value of 'revenue_eur_by_country' must be a number" in out
    assert "3 of 3 output file(s) need attention" in out


def test_check_outputs_reports_missing_symlinked_and_non_utf8(released, tmp_path):
    write(tmp_path / "elsewhere.json", "{}")
    (tmp_path / "outputs").mkdir()
    os.symlink(tmp_path / "elsewhere.json", tmp_path / "outputs" / "flags.json")
    (tmp_path / "outputs" / "orders_clean.csv").write_bytes(GOOD_CSV.encode() + b"\xe9\n")
    done = run_check(released, tmp_path, {})
    assert done.returncode == 1
    assert "is a symbolic link" in done.stdout
    assert "is not UTF-8" in done.stdout
    assert "not found: run the notebook" in done.stdout


def test_check_outputs_flags_missing_json_keys(released, tmp_path):
    done = run_check(
        released,
        tmp_path,
        {
            "outputs/orders_clean.csv": GOOD_CSV,
            "outputs/flags.json": '{"duplicate_order_ids": [], "duplicate_order_ids": []}',
            "outputs/answers.json": "[]",
        },
    )
    assert done.returncode == 1
    assert "appears twice" in done.stdout
    assert "must hold a JSON object" in done.stdout


# --- collect ----------------------------------------------------------------------------------


def notebook_text(marker: str = "") -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = 1  # {marker}")])
    return nbformat.writes(nb)


@pytest.fixture
def course(tmp_path):
    """A course where CANDIDATES have a release of the exercise (collect only needs that)."""
    root = tmp_path / "course"
    for cand in CANDIDATES:
        (root / "release" / cand / SLUG).mkdir(parents=True)
    return root


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def make_zip(path: Path, entries: dict, **kw) -> Path:
    with zipfile.ZipFile(path, "w", compression=kw.pop("compression", zipfile.ZIP_DEFLATED)) as zf:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, kw.get("content", b"x"))
            else:
                zf.writestr(name, data)
    return path


def submitted(course: Path, cand: str) -> Path:
    return course / "submitted" / cand / SLUG


def test_collect_notebook_zip_and_folder(course, source):
    write(source / "alice.ipynb", notebook_text("alice"))
    make_zip(
        source / "bob.smith.zip",
        {
            "orders-cleanup/orders-cleanup.ipynb": notebook_text("bob"),
            "orders-cleanup/outputs/answers.json": "{}",
            "orders-cleanup/timestamp.txt": "1999-01-01 00:00:00 UTC",
            "__MACOSX/orders-cleanup/._orders-cleanup.ipynb": "junk",
            "orders-cleanup/.ipynb_checkpoints/orders-cleanup-checkpoint.ipynb": "{}",
        },
    )
    write(source / "c-3_po" / "work" / "my analysis.ipynb", notebook_text("c3po"))
    write(source / "c-3_po" / "notes.txt", "hi")
    summary = collect(exercise=EXERCISE, course=course, source=source)
    assert summary.problems == ()
    assert sorted(c.candidate for c in summary.collected) == sorted(CANDIDATES)
    assert "alice" in (submitted(course, "alice") / NOTEBOOK).read_text()
    bob = submitted(course, "bob.smith")
    assert sorted(str(p.relative_to(bob)) for p in bob.rglob("*") if p.is_file()) == [
        NOTEBOOK,
        "outputs/answers.json",
        "timestamp.txt",
    ]
    # The candidate's own timestamp.txt is replaced by the file's time.
    assert not (bob / "timestamp.txt").read_text().startswith("1999")
    c3po = next(c for c in summary.collected if c.candidate == "c-3_po")
    assert c3po.notes == (f"used work/my analysis.ipynb as {NOTEBOOK}",)
    assert "c3po" in (submitted(course, "c-3_po") / NOTEBOOK).read_text()
    assert (submitted(course, "c-3_po") / "notes.txt").is_file()
    from nbgrader.utils import parse_utc

    parse_utc((submitted(course, "alice") / "timestamp.txt").read_text().strip())


def test_collect_reports_unknown_invalid_and_ambiguous_items(course, source):
    write(source / "mallory.ipynb", notebook_text())
    write(source / "Alice.ipynb", notebook_text())
    write(source / "bad name.ipynb", notebook_text())
    write(source / "bob.smith.ipynb", notebook_text())
    make_zip(source / "bob.smith.zip", {NOTEBOOK: notebook_text()})
    write(source / "readme.txt", "hello")
    write(source / ".DS_Store", "junk")
    os.symlink(source / "readme.txt", source / "c-3_po.ipynb")
    summary = collect(exercise=EXERCISE, course=course, source=source)
    # A name differing only in case is the candidate (roster ids are unique ignoring case).
    assert [c.candidate for c in summary.collected] == ["alice"]
    assert "matched 'Alice.ipynb' to 'alice' (ignoring case)" in summary.collected[0].notes
    reasons = {p.item: p.reason for p in summary.problems}
    assert "unknown candidate 'mallory'" in reasons["mallory.ipynb"]
    assert "carries no candidate id" in reasons["mallory.ipynb"]
    assert "unknown candidate 'bad name'" in reasons["bad name.ipynb"]
    assert "several submissions for 'bob.smith'" in reasons["bob.smith.zip"]
    assert "several submissions" in reasons["bob.smith.ipynb"]
    assert "is not a .zip, an .ipynb or a folder" in reasons["readme.txt"]
    assert "symbolic link" in reasons["c-3_po.ipynb"]
    assert ".DS_Store" not in reasons
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice"]
    assert "6 item(s) not collected" in summary.describe()


def test_collect_source_must_be_a_folder(course, tmp_path):
    with pytest.raises(InvalidArgument, match="not a folder"):
        collect(exercise=EXERCISE, course=course, source=tmp_path / "missing")


def patched_sizes(path: Path, size: int) -> Path:
    """Rewrite the uncompressed size in the central directory (what zipfile reports)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 24 : at + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("data/link.csv")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def fifo_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("pipe")
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    return info


def many_entries(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(NOTEBOOK, notebook_text())
        for i in range(10_000):
            zf.writestr(f"f/{i}.txt", b"")
    return path


def corrupted(path: Path) -> Path:
    make_zip(path, {NOTEBOOK: notebook_text("x" * 100)}, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"xxxxxxxxxx")
    data[at] = ord("y")
    path.write_bytes(bytes(data))
    return path


HOSTILE = {
    "traversal": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "../../evil.txt": "pwned"}),
        "points outside the submission",
    ),
    "absolute": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "/tmp/evil.txt": "pwned"}),
        "absolute path",
    ),
    "windows-absolute": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "C:\\evil.txt": "pwned"}),
        "absolute path",
    ),
    "backslash-traversal": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "..\\evil.txt": "pwned"}),
        "points outside the submission",
    ),
    "symlink": (
        lambda p: make_zip(
            p, {NOTEBOOK: notebook_text(), "link": symlink_entry()}, content=b"/etc/passwd"
        ),
        "is a symbolic link",
    ),
    "fifo": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "pipe": fifo_entry()}),
        "not a regular file or folder",
    ),
    "huge-declared-size": (
        lambda p: patched_sizes(make_zip(p, {"big.bin": b"x" * 10}), 0xF0000000),
        "one file may be at most",
    ),
    "ten-thousand-entries": (many_entries, "10,001 entries; at most 2,000"),
    "zip-bomb": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "data.csv": b"0" * (20 * 1024**2)}),
        "looks like a zip bomb",
    ),
    "not-a-zip": (lambda p: write(p, "this is not a zip file"), "not a readable zip archive"),
    "bad-crc": (corrupted, "not a readable zip archive"),
    "control-characters": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "a\x1b[2Jb.txt": "x"}),
        "control characters",
    ),
    "file-and-folder": (
        lambda p: make_zip(p, {NOTEBOOK: notebook_text(), "a": "x", "a/b": "y"}),
        "both a file and a folder",
    ),
    "no-notebook": (lambda p: make_zip(p, {"analysis.py": "print(1)"}), "contains no notebook"),
    "two-notebooks": (
        lambda p: make_zip(p, {"a.ipynb": notebook_text(), "b.ipynb": notebook_text()}),
        "contains 2 notebooks (a.ipynb, b.ipynb)",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_zip_is_refused_and_keeps_the_previous_submission(course, source, tmp_path, kind):
    write(source / "alice.ipynb", notebook_text("first"))
    collect(exercise=EXERCISE, course=course, source=source)
    (source / "alice.ipynb").unlink()
    build, reason = HOSTILE[kind]
    build(source / "alice.zip")
    summary = collect(exercise=EXERCISE, course=course, source=source)
    assert summary.collected == ()
    assert len(summary.problems) == 1
    problem = summary.problems[0]
    assert problem.candidate == "alice"
    assert problem.reason.startswith("refused: ")
    assert reason in problem.reason
    assert "first" in (submitted(course, "alice") / NOTEBOOK).read_text()
    assert sorted(p.name for p in submitted(course, "alice").iterdir()) == [
        NOTEBOOK,
        "timestamp.txt",
    ]
    assert not list(tmp_path.rglob("evil.txt"))
    assert list((course / ".datalit" / "staging").iterdir()) == []


def test_total_size_cap(course, source):
    make_zip(
        source / "alice.zip", {NOTEBOOK: notebook_text(), "a.bin": b"1" * 600, "b.bin": b"2" * 600}
    )
    limits = SubmissionLimits(max_total_bytes=1000)
    summary = collect(exercise=EXERCISE, course=course, source=source, limits=limits)
    assert "unpacks to more than" in summary.problems[0].reason


def test_oversized_notebook_is_refused(course, source):
    write(source / "alice.ipynb", notebook_text("x" * 5000))
    limits = SubmissionLimits(max_notebook_bytes=1000)
    summary = collect(exercise=EXERCISE, course=course, source=source, limits=limits)
    assert "at most" in summary.problems[0].reason
    assert not submitted(course, "alice").exists()


def test_folder_with_symlink_or_fifo_is_refused(course, source):
    write(source / "alice" / NOTEBOOK, notebook_text())
    os.symlink("/etc/passwd", source / "alice" / "passwd.csv")
    write(source / "bob.smith" / NOTEBOOK, notebook_text())
    os.mkfifo(source / "bob.smith" / "pipe")
    summary = collect(exercise=EXERCISE, course=course, source=source)
    reasons = {p.candidate: p.reason for p in summary.problems}
    assert "'passwd.csv' is a symbolic link" in reasons["alice"]
    assert "'pipe' is not a regular file" in reasons["bob.smith"]
    assert summary.collected == ()


def test_recollect_replaces_the_whole_submission(course, source):
    make_zip(source / "alice.zip", {NOTEBOOK: notebook_text("one"), "old.txt": "x"})
    collect(exercise=EXERCISE, course=course, source=source)
    assert (submitted(course, "alice") / "old.txt").exists()
    make_zip(source / "alice.zip", {NOTEBOOK: notebook_text("two")})
    summary = collect(exercise=EXERCISE, course=course, source=source)
    assert summary.count == 1
    assert not (submitted(course, "alice") / "old.txt").exists()
    assert "two" in (submitted(course, "alice") / NOTEBOOK).read_text()


def test_zip_with_many_entries_is_checked_before_parsing(course, source):
    # The end-of-central-directory count is read first; zipfile never parses 10,001 entries.
    path = many_entries(source / "alice.zip")
    data = path.read_bytes()
    assert int.from_bytes(data[data.rindex(b"PK\x05\x06") + 10 :][:2], "little") == 10_001
    summary = collect(exercise=EXERCISE, course=course, source=source)
    assert "10,001 entries" in summary.problems[0].reason


def test_collect_summary_is_plain_data(course, source):
    write(source / "alice.ipynb", notebook_text())
    summary = collect(exercise=EXERCISE, course=course, source=source)
    with pytest.raises(AttributeError):
        summary.collected = ()  # frozen
    assert summary.collected[0].files == 1
    assert summary.collected[0].bytes == len(notebook_text().encode())
    assert "collected 1 submission(s)" in summary.describe()
    assert io.StringIO(summary.describe()).read()


def test_mutated_archives_are_collected_or_refused_never_raised(course, source):
    """Random byte damage anywhere in an archive gives a collected submission or a reason."""
    import random

    good = make_zip(
        source / "template.bin",
        {"orders-cleanup/" + NOTEBOOK: notebook_text("m" * 200), "orders-cleanup/a.csv": "1,2\n"},
    ).read_bytes()
    (source / "template.bin").unlink()
    rng = random.Random(7)
    outcomes = set()
    for _ in range(150):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        (source / "alice.zip").write_bytes(bytes(data))
        summary = collect(exercise=EXERCISE, course=course, source=source)
        assert summary.count + len(summary.problems) == 1
        outcomes.add("collected" if summary.count else summary.problems[0].reason.split(" ")[0])
    assert outcomes <= {"collected", "refused:"}
    assert "refused:" in outcomes


def test_collect_into_a_course_without_releases_creates_nothing(tmp_path, source):
    write(source / "alice.ipynb", notebook_text())
    summary = collect(exercise=EXERCISE, course=tmp_path / "empty-course", source=source)
    assert "no candidate has a release of" in summary.problems[0].reason
    assert not (tmp_path / "empty-course").exists()
