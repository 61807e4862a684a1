"""Hostile submissions graded by the real `datalit grade` (issue 4's regression fixtures).

Every submission in `submissions/` (and the generated ones in conftest.py) is graded in one batch
(the module-scoped `batch` fixture). The rules every bad submission must satisfy are checked for
all of them at once; then each fixture's own test checks what its attack tried to achieve did
not happen, and that the score is not above the same work without the attack:

- the batch finishes, and each submission has exactly one result: a score, or an error status
  with a reason the candidate can read (never a grader error);
- the score is never higher than its baseline (the same work without the hostile part);
- no other candidate's rows change (the gradebook agrees with every candidate's own ledger);
- nothing a candidate can see holds a key value, a hidden check, or another candidate's data;
- grading the same input twice gives the same result;
- afterwards no process of the run is left and its work space is freed; the grader's own
  processes stayed within a memory bound.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from datalit.grading import sandbox
from tests.hostile.conftest import (
    BASELINES,
    GRADER_PEAK_BOUND,
    LIMITS,
    MAX_AUTO,
    MAX_TOTAL,
    NOTEBOOK,
    PARTS,
    PLACED_BY_HAND,
    RAW_SUBMISSIONS,
    REFUSED_AT_COLLECT,
    REGRADED,
    SLUG,
    MiB,
    fixtures,
    ledgers,
    run_cli,
)

BEFORE_REVENUE = ("clean_orders", "duplicate_orders", "orphan_orders", "duplicate_customers")
ERRORISH = {"cell_error", "cell_timeout", "total_timeout", "memory", "killed"}
PASSWD = "root:x:0:0"

GRADED = sorted(
    {*BASELINES, *fixtures(), *RAW_SUBMISSIONS, *PLACED_BY_HAND} - set(REFUSED_AT_COLLECT)
)


# --- the rules, for every submission ----------------------------------------------------------


def test_the_batch_finishes(batch):
    assert batch.grade.returncode == 0, batch.grade.stdout[-3000:] + batch.grade.stderr[-3000:]
    assert "Traceback" not in batch.grade.stderr, batch.grade.stderr[-5000:]
    print(f"graded {len(GRADED)} submissions in {batch.grade_seconds:.1f} s")


@pytest.mark.parametrize("candidate", GRADED)
def test_one_result_with_a_readable_reason(batch, candidate):
    ledger = batch.ledger(candidate)
    assert ledger["status"] != "grader_error", ledger["reason"]
    assert ledger["reason"].strip(), "every result says what happened"
    assert "Traceback" not in ledger["reason"]
    rows = batch.gradebook[candidate]
    assert sorted(rows) == sorted(PARTS), "one grade per part in nbgrader's gradebook"
    report = batch.report(candidate)
    assert report["status"] == ledger["status"]
    assert report["total"]["auto_points"] == ledger["auto_points"]
    for part in report["parts"]:
        if part["status"] in ("unreadable", "not_attempted"):
            assert part["feedback"].strip(), f"{part['id']} has no reason"
            assert "Traceback" not in part["feedback"]


@pytest.mark.parametrize("candidate", GRADED)
def test_maxima_come_from_the_exercise(batch, candidate):
    ledger = batch.ledger(candidate)
    assert ledger["max_auto_points"] == MAX_AUTO
    assert ledger["max_points"] == MAX_TOTAL
    assert {p["id"]: p["max_points"] for p in ledger["parts"]} == PARTS
    assert {cell: row[2] for cell, row in batch.gradebook[candidate].items()} == PARTS
    assert 0 <= ledger["auto_points"] <= MAX_AUTO


def test_the_gradebook_holds_exactly_the_ledgers(batch):
    """Nobody's rows were changed by anyone else: every gradebook row is what that candidate's
    own result says, and there is no row of anyone who did not submit."""
    assert set(batch.gradebook) == set(batch.ledgers)
    for candidate, rows in batch.gradebook.items():
        parts = batch.parts(candidate)
        for cell, (auto, manual, _) in rows.items():
            assert manual is None, f"{candidate}/{cell}: no manual grade was entered"
            if cell == "finding":
                assert auto is None
            else:
                assert auto == pytest.approx(parts[cell]["points"]), (candidate, cell)


def _key_strings(batch, candidate: str) -> list[str]:
    """Strings that would only appear if a key value leaked: every candidate's true revenue by
    country, runs of their true flagged ids, suite parameter names."""
    answers = json.loads(
        (batch.course / "keys" / candidate / SLUG / "answers.json").read_text(encoding="utf-8")
    )["answers"]
    found = []
    for value in answers["revenue_eur_by_country"].values():
        found += [f"{value:.2f}", f"{value:,.2f}"]
    for name in ("orphan_order_ids", "duplicate_order_ids", "duplicate_customer_ids"):
        ids = [str(i) for i in answers[name]]
        found += [", ".join(ids[:3]), ",".join(ids[:3]), "\n".join(ids[:3])]
    return found


@pytest.fixture(scope="module")
def key_strings(batch):
    every = set()
    for candidate in batch.candidates:
        every.update(_key_strings(batch, candidate))
    return sorted(every)


@pytest.fixture(scope="module")
def hidden_texts(batch):
    suite = json.loads((batch.home / "exercises" / SLUG / "suite.json").read_text())
    texts = ["$PARAMETER", "clean_order_rows", "suite_parameters"]
    for expectation in suite["expectations"]:
        if expectation["meta"].get("visibility") != "public":
            texts.append(expectation["meta"]["feedback"])
            texts.append(expectation["type"])
    return texts


@pytest.mark.parametrize("candidate", GRADED)
def test_nothing_candidate_visible_leaks(batch, candidate, key_strings, hidden_texts):
    """The candidate's feedback and executed notebook hold no key value (theirs or anyone
    else's), no content of /etc/passwd, and the feedback no hidden check."""
    files = batch.candidate_visible_files(candidate)
    assert files, "the candidate gets a report"
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert PASSWD not in text, path
        for value in key_strings:
            if value in text:  # a cheap test first: most files hold none of them
                pattern = rf"(?<![\w.,]){re.escape(value)}(?![\w])"
                assert not re.search(pattern, text), (path, value)
        if "feedback" in path.parts:
            for hidden in hidden_texts:
                assert hidden not in text, (path, hidden)


RACING_THE_CLOCK = ("h07-fork-bomb", "h19-total-timeout")
"""Outcomes decided by a race with a wall-clock limit: which cell was running when the total
timeout struck, whether a fork bomb's first process reports its failed fork before the per-cell
limit. Their points cannot depend on it (the files written before are the same)."""


def _stable(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "recorded_at"}


def test_grading_twice_gives_the_same_result(batch):
    assert batch.regrade.returncode == 0, batch.regrade.stdout + batch.regrade.stderr

    for candidate in REGRADED:
        before, after = batch.ledgers[candidate], batch.ledgers_after_regrade[candidate]
        if candidate in RACING_THE_CLOCK:
            assert after["parts"] == before["parts"]
            assert after["status"] == before["status"]
            continue
        assert _stable(after) == _stable(before), candidate
    others = set(batch.gradebook) - set(REGRADED)
    assert {c: batch.gradebook_after_regrade[c] for c in others} == {
        c: batch.gradebook[c] for c in others
    }


def test_nothing_of_the_run_is_left(batch):
    assert [p.name for p in batch.work_root.iterdir()], "the slots the run used are known"
    assert batch.leftover_processes == []
    leftovers = list(batch.work_root.rglob("*"))
    assert [p for p in leftovers if not (p.is_dir() and p.name.startswith("slot-"))] == []
    assert list(batch.tmpdir.iterdir()) == []
    with open("/proc/1/mountinfo") as f:  # the machine's mount table, not a private one
        assert "datalit-work" not in f.read()


def test_the_grader_stays_within_its_memory_bound(batch):
    assert batch.grader_peak_rss, "the grader's processes were sampled"
    peak = max(batch.grader_peak_rss.values())
    print(
        f"grader peak RSS per process: {peak / MiB:.0f} MiB; all grader processes: "
        f"{sum(batch.grader_peak_rss.values()) / MiB:.0f} MiB"
    )
    assert peak <= GRADER_PEAK_BOUND


def test_no_code_ran_outside_the_sandbox(batch):
    """Markers the fixtures try to leave on the host (unpickling, shadow modules imported by the
    grader, writes to host paths) do not exist; nothing was dropped into the course."""
    assert list(batch.markers.iterdir()) == []
    assert not list(batch.course.glob("pwned*"))


# --- interpreter tampering --------------------------------------------------------------------


def test_assert_to_pass_transformer_changes_nothing(batch):
    """Fixture 1: the transformer worked in its own kernel (a failing assert passed), but no
    check runs there: the score is the untouched release's."""
    assert "ASSERTS-DISABLED" in batch.printed("h01-assert-transformer")
    assert batch.points("h01-assert-transformer") <= batch.points("untouched")


def test_hidden_errors_are_still_errors(batch):
    """Fixture 2: showtraceback/set_custom_exc/excepthook patched; the failing cell still ends
    the run where the same notebook without the patch ends."""
    hostile, plain = batch.execution("h02-hide-errors"), batch.execution("b02-error-shown")
    assert plain["status"] == "cell_error"
    assert hostile["status"] == "cell_error"
    assert "RuntimeError" in hostile["reason"]
    assert hostile["failed_cell"] == plain["failed_cell"] + 1  # the patch cell comes first
    assert batch.points("h02-hide-errors") <= batch.points("b02-error-shown")


def test_objects_equal_to_anything_earn_nothing_extra(batch):
    """Fixture 3: AlwaysEqual objects, a DataFrame subclass whose equals() is True, patched
    comparison helpers: only the files count, and they hold the raw orders."""
    assert batch.points("h03-always-equal") <= batch.points("b-raw-copy")
    clean = batch.parts("h03-always-equal")["clean_orders"]
    assert clean["points"] == batch.parts("b-raw-copy")["clean_orders"]["points"]


def test_pickled_outputs_are_never_unpickled(batch):
    parts = batch.parts("h03-pickled-output")
    report = {p["id"]: p for p in batch.report("h03-pickled-output")["parts"]}
    for part in ("clean_orders", "duplicate_orders", "revenue_by_country"):
        assert parts[part]["status"] == "unreadable"
        assert "not UTF-8" in report[part]["feedback"]
    assert batch.points("h03-pickled-output") == 0
    assert not list(batch.markers.glob("unpickled-*"))


def test_shadow_modules_and_patched_builtins_change_nothing(batch):
    """Fixture 4: pandas.py, great_expectations/, sitecustomize.py, a .pth file in the work dir,
    builtins patched: the grader never imports from the work dir."""
    assert "shadow modules written" in batch.printed("h04-shadow-modules")
    assert batch.points("h04-shadow-modules") <= batch.points("b-raw-copy")
    assert not list(batch.markers.glob("imported-*"))
    assert not list(batch.markers.glob("pth-*"))


def test_runner_tampering_cannot_forge_the_executed_notebook(batch):
    """Forged markers, a patched json.dump rewriting the runner's notebook (HTML, scripts,
    extra cells, forged sources, 5 MB of text), a patched run_cell: the executed notebook is
    rebuilt from the submitted sources with text and PNG outputs only, within the budget."""
    candidate = "h21-runner-tamper"
    assert batch.points(candidate) <= batch.points("reference")
    text = batch.executed_text(candidate)
    nb = json.loads(text)
    submitted = json.loads(
        (batch.course / "submitted" / candidate / SLUG / NOTEBOOK).read_text(encoding="utf-8")
    )
    sources = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in submitted["cells"]
        if c["cell_type"] == "code"
    ]
    # Markdown cells come back too (sources only, for formgrader); code cells must be exactly the
    # submitted sources, whatever the notebook did to the runner.
    kept = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]
    assert kept == sources
    outputs = json.dumps([c["outputs"] for c in nb["cells"] if c["cell_type"] == "code"])
    for forbidden in ("text/html", "application/javascript", "<script", "\\u001b"):
        assert forbidden not in outputs
    assert len(kept) == len(sources), "no forged extra cell"
    markdown = json.dumps([c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"])
    assert "<script" not in markdown, "markdown cells keep no live HTML for formgrader"
    assert len(text.encode()) < 3 * MiB
    # Out-of-sequence markers (a cell past the end, an error for cell 1 while cell 5 runs) are
    # ignored; the cell the notebook really failed in is reported.
    assert "cell 1" not in batch.ledger(candidate)["reason"]


def test_forged_markers_never_make_a_failed_run_look_complete(batch):
    """The last cell wrote "cell-end N ok" and "done" to the marker pipe, then raised: the run
    is reported as tampered with (the runner's own markers came after the forged ones), never as
    "all cells ran"; its outputs, written before, are graded as written."""
    ledger = batch.ledger("h26-forged-success")
    assert not ledger["reason"].startswith("all"), ledger["reason"]
    assert "progress channel" in ledger["reason"], ledger["reason"]
    assert batch.execution("h26-forged-success")["status"] == "tampered"
    assert batch.points("h26-forged-success") == batch.points("reference")


def test_an_exception_with_a_non_ascii_name_is_reported_as_raised(batch):
    assert batch.execution("h26-unicode-exception")["status"] == "cell_error"
    assert "raised ДанныеНеверны" in batch.ledger("h26-unicode-exception")["reason"]


# --- reaching outside the work dir ------------------------------------------------------------


def test_the_answer_key_cannot_be_read(batch):
    """Fixture 5: relative climbs, the course's absolute path, a recursive glob, a walk of the
    file system and /proc found nothing, so nothing could be copied into the outputs."""
    printed = batch.printed("h05-read-keys")
    assert "walked files:" in printed, "the attack ran to its end"
    assert "LEAKED 0" in printed
    assert batch.points("h05-read-keys") <= batch.points("untouched")


def test_the_gradebook_cannot_be_written(batch):
    """Fixture 6: the gradebook and the course are not reachable; every forged write failed."""
    printed = batch.printed("h06-gradebook-write")
    assert "SUCCEEDED 0" in printed
    assert batch.points("h06-gradebook-write") <= batch.points("untouched")
    assert batch.points("reference") == MAX_AUTO
    assert not (batch.course / "pwned-by-h06-gradebook-write").exists()


def test_symlinked_outputs_are_not_followed(batch):
    """Outputs that are symlinks to /etc/passwd and to answer keys on the host are refused,
    and hard links to files outside the work dir cannot be made."""
    candidate = "h18-output-symlinks"
    report = {p["id"]: p for p in batch.report(candidate)["parts"]}
    for part in ("clean_orders", "duplicate_orders", "revenue_by_country"):
        assert report[part]["status"] == "unreadable"
        assert "symbolic link" in report[part]["feedback"]
    assert "hard link made" not in batch.printed(candidate)
    assert batch.points(candidate) == 0


def test_an_outputs_folder_linked_to_the_root_is_refused(batch):
    report = {p["id"]: p for p in batch.report("h18-outputs-dir-symlink")["parts"]}
    assert report["clean_orders"]["status"] == "unreadable"
    assert "outputs is a symbolic link" in report["clean_orders"]["feedback"]
    assert batch.points("h18-outputs-dir-symlink") == 0


def test_pipes_and_sockets_as_outputs_neither_block_nor_crash(batch):
    """FIFOs and a socket as outputs, the runner's notebook replaced by a folder."""
    candidate = "h18-fifo-outputs"
    assert batch.ledger(candidate)["status"] == "graded"
    report = {p["id"]: p for p in batch.report(candidate)["parts"]}
    assert "named pipe" in report["clean_orders"]["feedback"]
    assert "named pipe" in report["duplicate_orders"]["feedback"]
    assert report["revenue_by_country"]["status"] in ("unreadable", "not_attempted")
    assert batch.points(candidate) == 0


def test_symlinks_in_the_submission_are_refused_or_ignored(batch):
    """Fixture 14: collect refuses a folder or zip holding symlinks; a notebook that is a
    symlink counts as no notebook; symlinks next to a real notebook are never used."""
    out = batch.collect.stdout
    for candidate, item in (
        ("h14-symlink-folder", "'h14-symlink-folder'"),
        ("h14-symlink-zip", "'h14-symlink-zip.zip'"),
    ):
        line = next(line for line in out.splitlines() if item in line)
        assert "refused" in line
        assert "symbolic link" in line
        assert candidate not in batch.ledgers
    assert batch.ledger("h14-notebook-symlink")["status"] == "missing_notebook"
    assert batch.points("h14-notebook-symlink") == 0
    assert batch.points("h14-extras-symlinks") == batch.points("reference")


# --- exhausting resources ---------------------------------------------------------------------

INTERRUPTED = {
    # candidate: (allowed statuses, words of the reason)
    "h07-fork-bomb": (ERRORISH, "cell 4"),
    "h07-fork-bomb-resilient": ({"cell_timeout"}, "cell 4 ran longer than 5 s"),
    "h08-infinite-loop": ({"cell_timeout"}, "cell 4 ran longer than 5 s"),
    "h09-huge-alloc": ({"cell_error"}, "cell 4 ran out of memory"),
    "h10-huge-print": (ERRORISH, "cell 4"),
    "h10-print-flood": ({"cell_timeout"}, "cell 5 ran longer than 5 s"),
    "h11-os-exit": ({"killed"}, "exited (exit code 0) during cell 4"),
    "h11-kill-self": ({"killed"}, "killed by signal SIGKILL during cell 4"),
    "h19-total-timeout": ({"total_timeout"}, "longer than 20 s in total"),
}


@pytest.mark.parametrize("candidate", sorted(INTERRUPTED))
def test_an_interrupted_run_keeps_what_it_wrote_before(batch, candidate):
    """Fixtures 7-11: the hostile cell comes after the table and the flags were written and
    before the revenue: those parts earn what the reference earns, the revenue nothing, and the
    status says what stopped the run."""
    statuses, words = INTERRUPTED[candidate]
    execution = batch.execution(candidate)
    assert execution["status"] in statuses
    assert words in execution["reason"]
    parts = batch.parts(candidate)
    for part in BEFORE_REVENUE:
        assert parts[part]["points"] == PARTS[part], part
    assert parts["revenue_by_country"]["points"] == 0
    assert parts["revenue_by_country"]["status"] == "not_attempted"
    assert batch.points(candidate) <= batch.points("reference")


@pytest.mark.parametrize("candidate", ["h10-huge-print", "h10-print-flood", "h21-runner-tamper"])
def test_output_floods_are_capped(batch, candidate):
    assert len(batch.executed_text(candidate).encode()) < 3 * MiB
    tail = batch.reviewer(candidate)["execution"]["stream_tail"]
    assert len(tail.encode()) <= 1 * MiB
    if candidate == "h10-print-flood":
        assert "output truncated" in batch.printed(candidate)


def _printed_number(batch, candidate: str, label: str) -> int:
    """A number the notebook printed: from its executed notebook, or the captured stream (a
    notebook that fills its work dir leaves no room for the runner to save its last outputs)."""
    printed = batch.printed(candidate) + batch.reviewer(candidate)["execution"]["stream_tail"]
    match = re.search(rf"{label} (\d+)", printed)
    assert match, f"{candidate} did not report {label}"
    return int(match.group(1))


def test_the_work_dir_cannot_fill_the_disk(batch):
    """Bytes and files a notebook can store are bounded by the work dir's tmpfs; a 10 GB sparse
    file is refused by RLIMIT_FSIZE; the run still scores what it wrote before."""
    limits = sandbox.Limits()
    candidate = "h17-disk-fill"
    assert _printed_number(batch, candidate, "DISK_BYTES_WRITTEN") <= limits.max_disk_bytes
    assert _printed_number(batch, candidate, "FILES_CREATED") <= limits.max_files
    assert "SPARSE_OK" not in batch.printed(candidate)
    assert _printed_number(batch, candidate, "TMP_BYTES_WRITTEN") <= sandbox.SANDBOX_TMP_BYTES
    assert _printed_number(batch, candidate, "DEV_SHM_BYTES_WRITTEN") <= sandbox.SANDBOX_SHM_BYTES
    assert "filled its work dir" in batch.ledger(candidate)["reason"]
    assert batch.points(candidate) == batch.points("reference")


def test_a_work_dir_without_permissions_is_still_read_and_freed(batch):
    """chmod 000 on the outputs, the runner's folder and the work dir itself: the runner goes
    on without saving its notebook, the grader still reads the outputs and deletes it all."""
    assert batch.ledger("h20-chmod-workdir")["status"] == "graded"
    assert batch.points("h20-chmod-workdir") == batch.points("reference")


def test_escape_syscalls_are_refused(batch):
    """User namespaces, mount, chroot, ptrace, setuid, io_uring, bpf, keyctl, perf events,
    the network, raw devices, bwrap and su: none works inside the sandbox."""
    assert _printed_number(batch, "h24-escape-syscalls", "ESCAPES") == 0
    assert batch.points("h24-escape-syscalls") <= batch.points("untouched")


def test_sparse_files_and_hard_links_are_not_multiplied(batch):
    """Eight 500 MB sparse files and a 50 MB file under 100 names take little room on the
    tmpfs; copied back by size or by name they would be 9 GB on the grader's disk."""
    assert "sparse files and links made" in batch.printed("h17-sparse-and-links")
    assert batch.points("h17-sparse-and-links") == batch.points("reference")
    workers = 2
    assert batch.disk_peak_bytes <= workers * sandbox.Limits().max_disk_bytes + 2 * 1024**3


def test_a_deep_unremovable_tree_is_cleaned_up(batch):
    assert batch.ledger("h17-deep-tree")["status"] == "graded"
    assert batch.points("h17-deep-tree") == batch.points("reference")


def test_daemons_do_not_outlive_the_run(batch):
    """A setsid double-forked daemon meant to rewrite answers.json after the run: it was killed
    with the run, so the revenue still counts."""
    assert "daemons started" in batch.printed("h19-daemon")
    assert batch.points("h19-daemon") == batch.points("reference")
    assert batch.leftover_processes == []


def test_memory_is_bounded_across_processes(batch):
    """Four children taking 500 MiB each: together they stay within the run's memory budget
    (a memory cgroup), not just each within the per-process limit."""
    if not sandbox.memory_cgroup_available():
        pytest.skip("no writable memory cgroup on this machine: processes are bounded one by one")
    budget = LIMITS["memory_mb"] * MiB + sandbox.Limits().max_disk_bytes
    held = _printed_number(batch, "h23-memory-many-processes", "HELD_AT_ONCE")
    # The others were killed by the cgroup's OOM killer, or are still waiting for memory the
    # kernel is reclaiming for them (which on a busy machine takes longer than the cells).
    assert held * 500 * MiB <= budget


# --- malformed input --------------------------------------------------------------------------

NOT_NOTEBOOKS = {
    "h12-invalid-json": "is not valid JSON",
    "h12-utf16": "is not UTF-8 text",
    "h12-empty": "is empty",
    "h12-binary": "is not UTF-8 text",
    "h12-json-list": "not a Jupyter notebook",
    "h12-cells-not-list": "not a Jupyter notebook",
    "h12-source-not-text": "source is not text",
    "h12-cell-without-type": "has no cell type",
    "h12-nbformat3": "notebook format version 3",
    "h12-lone-surrogate": "not valid Unicode (U+D800",
    "h12-deep-nesting": "nested too deeply",
    "h12-many-cells": "more than 5000 code cells",
    "h12-huge-cell-placed": "larger than 20 MB",
}


@pytest.mark.parametrize("candidate", sorted(NOT_NOTEBOOKS))
def test_a_submission_that_is_not_a_notebook_is_invalid(batch, candidate):
    """Fixture 12: status invalid_notebook, a reason naming the problem, every part 0."""
    ledger = batch.ledger(candidate)
    assert ledger["status"] == "invalid_notebook"
    assert ledger["reason"].startswith("the submitted notebook ")
    assert NOT_NOTEBOOKS[candidate] in ledger["reason"]
    assert ledger["auto_points"] == 0
    for part in ledger["parts"]:
        assert part["status"] in ("unreadable", "needs_manual")


def test_an_odd_but_valid_notebook_runs(batch):
    """Duplicate cell ids, unknown fields and cell types, a future minor version: lenient."""
    assert batch.ledger("h12-schema-quirks")["status"] == "graded"
    assert batch.execution("h12-schema-quirks")["status"] == "cell_error"
    assert batch.points("h12-schema-quirks") == batch.points("untouched")


def test_an_oversize_notebook_is_refused_at_collect(batch):
    line = next(line for line in batch.collect.stdout.splitlines() if "h12-huge-cell.ipynb" in line)
    assert "refused" in line
    assert "20.0 MB" in line
    assert "h12-huge-cell" not in batch.ledgers


def test_odd_file_names_in_the_work_dir_change_nothing(batch):
    assert batch.ledger("h22-odd-names")["status"] == "graded"
    assert batch.points("h22-odd-names") == batch.points("reference")


# --- forged metadata and outputs --------------------------------------------------------------


def test_forged_nbgrader_metadata_raises_neither_maximum_nor_score(batch):
    """Fixture 13: points 500, other parts' grade_ids, locked false, a forged notebook score and
    forged stored outputs: maxima come from the exercise, outputs from this run."""
    candidate = "h13-forged-metadata"
    assert batch.points(candidate) <= batch.points("b-raw-copy")
    assert batch.ledger(candidate)["max_auto_points"] == MAX_AUTO
    assert sorted(batch.gradebook[candidate]) == sorted(PARTS)
    text = batch.executed_text(candidate)
    assert "FORGED-STORED-OUTPUT" not in text
    assert "text/html" not in text
    assert '"points": 500' not in text


def _csv_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_formula_injection_is_data_and_every_export_escapes_it(batch):
    """Fixture 15: the injected values reach the reviewer as the literal data they are, every
    CSV we export escapes cells a spreadsheet would run, and no page holds live markup."""
    candidate = "h15-formula-injection"
    assert batch.ledger(candidate)["status"] == "graded"
    reviewer = json.dumps(batch.reviewer(candidate))
    assert "=HYPERLINK(" in reviewer, "the value is kept, as data"
    assert "<script>alert('xss-status')</script>" in reviewer
    csvs = sorted((batch.course / "reports" / SLUG).glob("*.csv"))
    assert any(p.stem == candidate for p in csvs)
    assert any(p.stem == "cohort" for p in csvs)
    for path in csvs:
        for cell in _csv_cells(path):
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
            if cell.startswith("-"):
                float(cell)  # a negative number is data; anything else must be escaped
    reviewer_html = (batch.course / "reports" / SLUG / f"{candidate}.html").read_text()
    assert "&lt;script&gt;alert(" in reviewer_html or "&lt;script&gt;" in reviewer_html
    pages = [
        *(batch.course / "reports").rglob("*.html"),
        *(batch.course / "feedback").rglob("*.html"),
    ]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), page
        # The candidate's markup appears only escaped (as text), never as a tag.
        for live in ("<img", "<b onmouseover", "\x1b", "\u202e"):
            assert live not in html, (page, live)
    executed = batch.executed_text(candidate)
    for forbidden in ("text/html", "application/javascript", "image/svg+xml", "text/markdown"):
        assert forbidden not in executed
    assert "\x1b" not in executed


WRONG_FILES = {
    # candidate: {part: (status, words of its feedback)}
    "h16-bom": {
        "clean_orders": ("scored", "5 of 5 public checks passed"),
        "duplicate_orders": ("scored", "none were missed"),
    },
    "h16-latin1": {
        "clean_orders": ("unreadable", "Latin-1"),
        "duplicate_orders": ("unreadable", "UTF-16"),
    },
    "h16-ragged-rows": {
        "clean_orders": ("unreadable", "wrong number of fields"),
        "revenue_by_country": ("unreadable", "NaN"),
    },
    "h16-short-rows": {
        "clean_orders": ("unreadable", "row 4 has 8 fields, expected 9"),
        "duplicate_orders": ("unreadable", "nested more than"),
    },
    "h16-duplicate-columns": {
        "clean_orders": ("unreadable", "appears twice"),
        "revenue_by_country": ("scored", "Not a number"),
    },
    "h16-missing-column": {
        "clean_orders": ("scored", "exactly the raw orders' columns"),
        "duplicate_orders": ("unreadable", "write a list of ids"),
        "orphan_orders": ("unreadable", "write a list of ids"),
        "duplicate_customers": ("unreadable", "every id must be text"),
    },
    "h16-wrong-dtypes": {
        "orphan_orders": ("scored", "not problems"),
        "revenue_by_country": ("scored", "Not a number"),
    },
    "h16-empty-files": {
        "clean_orders": ("unreadable", "empty file"),
        "duplicate_orders": ("unreadable", "holds a list"),
        "revenue_by_country": ("unreadable", "empty file"),
    },
    "h16-header-only": {
        "clean_orders": ("scored", "The table has no rows"),
        "revenue_by_country": ("unreadable", "holds a number"),
    },
    "h16-oversize": {"clean_orders": ("unreadable", "larger than the 50.0 MB limit")},
    "h16-long-field": {"clean_orders": ("unreadable", "has a row longer than 1.0 MB")},
    "h25-json-padding": {
        "duplicate_orders": ("unreadable", "more than the 100,000 limit"),
        "orphan_orders": ("unreadable", "more than the 100,000 limit"),
        "revenue_by_country": ("unreadable", "larger than the 1.0 MB limit"),
    },
}


@pytest.mark.parametrize("candidate", sorted(WRONG_FILES))
def test_ordinary_wrong_files_get_reasons_not_crashes(batch, candidate):
    """Fixture 16: BOM, Latin-1, UTF-16, ragged and short rows, duplicate or missing columns,
    wrong types, empty and over-size files, NaN: each part fails (or passes) with a message
    the candidate can act on; a short row is refused, never read as NaN."""
    assert batch.ledger(candidate)["status"] == "graded"
    report = {p["id"]: p for p in batch.report(candidate)["parts"]}
    for part, (status, words) in WRONG_FILES[candidate].items():
        assert report[part]["status"] == status, (part, report[part]["feedback"])
        assert words in report[part]["feedback"], (part, report[part]["feedback"])
    assert batch.points(candidate) <= batch.points("reference")


def test_an_empty_table_does_not_outscore_the_raw_data(batch):
    """Checks of each row's values pass on a table without rows; they earn nothing for it, so
    writing the header alone earns less than copying the raw orders."""
    empty = batch.parts("h16-header-only")["clean_orders"]["points"]
    assert empty <= batch.parts("b-raw-copy")["clean_orders"]["points"]


def test_the_bom_is_harmless(batch):
    assert batch.points("h16-bom") == batch.points("reference")


def test_a_short_row_is_never_padded(batch):
    """pandas' C reader turns a short row into NaNs without a word; the grader refuses the
    file, so no check ever sees a value the candidate did not write."""
    parts = batch.parts("h16-short-rows")
    assert parts["clean_orders"]["points"] == 0
    assert parts["clean_orders"]["status"] == "unreadable"


# --- slow: everything twice -------------------------------------------------------------------


@pytest.mark.slow
def test_every_submission_grades_the_same_twice(batch):
    """All of the batch regraded (`--regrade`): every ledger comes out the same. Runs last: it
    rewrites the course the other tests read."""
    again = run_cli(
        "grade", SLUG, "--course", str(batch.course), "--jobs", "2", "--regrade", env=batch.env
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = ledgers(batch.course)
    assert set(after) == set(batch.ledgers)
    for candidate, before in batch.ledgers.items():
        if candidate in RACING_THE_CLOCK:
            assert after[candidate]["parts"] == before["parts"], candidate
        else:
            assert _stable(after[candidate]) == _stable(before), candidate
