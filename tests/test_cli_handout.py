"""Hand-out and return as they happen, through the real command line: `release` writes one
zip per candidate (the id in the README and the notebook's metadata) and a mail-merge CSV;
`collect` takes back what candidates really send (any file name, matched by the stamped id;
a name differing in case; a folder holding several exercises), refuses what cannot be
attributed, keeps the submission's own time and says who was late."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.cli import datalit as _datalit

EX = "orders-cleanup"
NOTEBOOK = f"{EX}.ipynb"
IDS = ("ann", "bob", "carol", "dave", "erin", "fay")


def datalit(*args: str) -> subprocess.CompletedProcess:
    return _datalit(*args, env={"TZ": "UTC"})  # the test's times are UTC


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("handout")
    roster = top / "roster.csv"
    rows = "".join(f"{c},{c.title()} Person,{c}@example.org\n" for c in IDS)
    roster.write_text("id,name,email\n" + rows + "mallory,=1+1,m@example.org\n", encoding="utf-8")
    r = datalit(
        "release", EX, "--course", str(top / "course"), "--roster", str(roster),
        "--due", "2026-06-01T12:00Z",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "hand-out: one zip per candidate" in r.stdout
    return top / "course"


def zip_of(course: Path, candidate: str) -> Path:
    return course / "handout" / EX / f"{EX}-{candidate}.zip"


def unpacked_notebook(course: Path, candidate: str) -> dict:
    with zipfile.ZipFile(zip_of(course, candidate)) as zf:
        return json.loads(zf.read(f"{EX}/{NOTEBOOK}"))


def test_each_candidate_gets_a_zip_of_their_own_release(course):
    for c in IDS:
        with zipfile.ZipFile(zip_of(course, c)) as zf:
            names = set(zf.namelist())
            assert {f"{EX}/{NOTEBOOK}", f"{EX}/README.md", f"{EX}/data/orders.csv"} <= names
            assert not any("key" in n.split("/")[1] for n in names if "/" in n)  # no keys
            release = course / "release" / c / EX
            assert zf.read(f"{EX}/data/orders.csv") == (release / "data/orders.csv").read_bytes()
            assert f"Candidate id: `{c}`" in zf.read(f"{EX}/README.md").decode()
        assert unpacked_notebook(course, c)["metadata"]["datalit"] == {
            "candidate": c,
            "exercise": EX,
        }


def test_the_mail_merge_lists_everyone_and_is_safe_in_a_spreadsheet(course):
    with (course / "handout" / EX / "mail-merge.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == sorted([*IDS, "mallory"])
    ann = rows[0]
    assert ann == {
        "id": "ann",
        "name": "Ann Person",
        "email": "ann@example.org",
        "due": "2026-06-01T12:00:00Z",
        "zip": str(zip_of(course, "ann").resolve()),
    }
    assert next(r for r in rows if r["id"] == "mallory")["name"] == "'=1+1"


def test_releasing_again_rewrites_no_zip_and_a_new_due_time_keeps_the_data(course):
    before = {c: zip_of(course, c).read_bytes() for c in IDS}
    r = datalit(
        "release", EX, "--course", str(course), "--roster", str(course.parent / "roster.csv"),
        "--due", "2026-06-02",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "(0 written now)" in r.stdout
    assert "set the due time 2026-06-02T23:59:59Z for ann, bob" in r.stdout
    assert {c: zip_of(course, c).read_bytes() for c in IDS} == before
    answers = json.loads((course / "keys" / "ann" / EX / "answers.json").read_text())
    assert answers["due"] == "2026-06-02T23:59:59Z"
    # Back to the first due time for the tests below.
    r = datalit(
        "release", EX, "--course", str(course), "--roster", str(course.parent / "roster.csv"),
        "--due", "2026-06-01T12:00Z",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


def write_zip(path: Path, files: dict[str, bytes], when=(2026, 5, 30, 9, 15, 0)) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)


def notebook_bytes(nb: dict) -> bytes:
    return json.dumps(nb).encode("utf-8")


def collect(course: Path, incoming: Path) -> subprocess.CompletedProcess:
    return datalit("collect", EX, str(incoming), "--course", str(course))


def test_collect_matches_what_candidates_really_send(course, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    # bob: the zip saved under a name of its own, matched by the id in the notebook.
    write_zip(
        incoming / "Submission (1).zip",
        {f"{EX}/{NOTEBOOK}": notebook_bytes(unpacked_notebook(course, "bob"))},
    )
    # ann: her id in capitals.
    write_zip(incoming / "ANN.zip", {NOTEBOOK: notebook_bytes(unpacked_notebook(course, "ann"))})
    # carol: a folder holding two exercises' work.
    folder = incoming / "carol"
    (folder / EX).mkdir(parents=True)
    (folder / EX / NOTEBOOK).write_bytes(notebook_bytes(unpacked_notebook(course, "carol")))
    (folder / "churn-features").mkdir()
    (folder / "churn-features" / "churn-features.ipynb").write_text("{}", encoding="utf-8")
    # dave sent erin's notebook: named for dave, stamped for erin.
    write_zip(incoming / "dave.zip", {NOTEBOOK: notebook_bytes(unpacked_notebook(course, "erin"))})
    # A notebook with no stamp under a name that is nobody's.
    plain = unpacked_notebook(course, "fay")
    del plain["metadata"]["datalit"]
    write_zip(incoming / "homework.zip", {NOTEBOOK: notebook_bytes(plain)})
    # fay twice: her own zip and her notebook under another name.
    write_zip(incoming / "fay.zip", {NOTEBOOK: notebook_bytes(unpacked_notebook(course, "fay"))})
    (incoming / "final_v2.ipynb").write_bytes(notebook_bytes(unpacked_notebook(course, "fay")))

    r = collect(course, incoming)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "collected 3 submission(s)" in out
    for c in ("ann", "bob", "carol"):
        assert (course / "submitted" / c / EX / NOTEBOOK).is_file(), out
    assert "bob: matched 'Submission (1).zip' to 'bob' by the id in its notebook" in out
    assert "ann: matched 'ANN.zip' to 'ann' (ignoring case)" in out
    assert "carol: took the folder orders-cleanup/" in out
    assert not (course / "submitted" / "carol" / EX / "churn-features").exists()
    assert "named for 'dave' but its notebook was released to 'erin'" in out
    assert "unknown candidate 'homework'" in out
    assert "carries no candidate id" in out
    assert "several submissions for 'fay' (fay.zip, final_v2.ipynb)" in out
    for nobody in ("dave", "erin", "fay"):
        assert not (course / "submitted" / nobody).exists()


def test_collect_keeps_the_submissions_own_time_and_says_who_was_late(course, tmp_path):
    incoming = tmp_path / "late"
    incoming.mkdir()
    notebook = notebook_bytes(unpacked_notebook(course, "erin"))
    write_zip(incoming / "erin.zip", {NOTEBOOK: notebook, "notes.txt": b"x"})  # before the due
    r = collect(course, incoming)
    assert r.returncode == 0, r.stderr
    stamp = (course / "submitted" / "erin" / EX / "timestamp.txt").read_text().strip()
    assert stamp == "2026-05-30 09:15:00.000000 UTC"  # the zip's newest file, not its arrival
    assert "late" not in r.stdout

    write_zip(incoming / "erin.zip", {NOTEBOOK: notebook + b" "}, when=(2026, 6, 3, 14, 0, 0))
    os.utime(incoming / "erin.zip", (dt.datetime(2026, 6, 4, tzinfo=dt.UTC).timestamp(),) * 2)
    r = collect(course, incoming)
    assert r.returncode == 0, r.stderr
    assert "1 late submission(s):" in r.stdout
    assert (
        "erin: submitted 2026-06-03T14:00:00Z, 2 d 2 h after the due time 2026-06-01T12:00:00Z"
        in r.stdout
    )

    # File times later than the zip's own arrival cannot be right: the arrival counts.
    write_zip(incoming / "erin.zip", {NOTEBOOK: notebook + b"  "}, when=(2030, 1, 1, 0, 0, 0))
    os.utime(incoming / "erin.zip", (dt.datetime(2026, 6, 1, 11, tzinfo=dt.UTC).timestamp(),) * 2)
    r = collect(course, incoming)
    assert r.returncode == 0, r.stderr
    assert "times later than it arrived" in r.stdout
    stamp = (course / "submitted" / "erin" / EX / "timestamp.txt").read_text().strip()
    assert stamp == "2026-06-01 11:00:00.000000 UTC"
    assert "late submission" not in r.stdout


def test_a_bad_due_time_is_refused_with_the_accepted_forms(course):
    r = datalit(
        "release", EX, "--course", str(course), "--roster", str(course.parent / "roster.csv"),
        "--due", "next friday",
    )  # fmt: skip
    assert r.returncode == 2
    assert "--due 'next friday' is not a date and time" in r.stderr
    assert "Traceback" not in r.stderr
