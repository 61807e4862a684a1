"""Re-releasing through the real command line: unchanged is a stated no-op, a changed release
is refused naming who submitted, --force keeps the previous release and keys in a backup."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SLUG = "orders-cleanup"
NOTEBOOK = "orders-cleanup.ipynb"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), *args], capture_output=True, text=True, timeout=300, check=False
    )


def tree(course: Path) -> dict[str, str]:
    return {
        str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(course.rglob("*"))
        if p.is_file() and ".datalit" not in p.parts
    }


@pytest.fixture
def course(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nalice,Alice A\nbob,Bob B\n", encoding="utf-8")
    course = tmp_path / "course"
    r = run("release", SLUG, "--course", str(course), "--roster", str(roster))
    assert r.returncode == 0, r.stderr
    return course, roster


def submit(course: Path, tmp_path: Path, candidate: str) -> None:
    returned = tmp_path / "returned"
    returned.mkdir(exist_ok=True)
    notebook = course / "release" / candidate / SLUG / NOTEBOOK
    (returned / f"{candidate}.ipynb").write_bytes(notebook.read_bytes())
    r = run("collect", SLUG, str(returned), "--course", str(course))
    assert r.returncode == 0, r.stdout + r.stderr
    (returned / f"{candidate}.ipynb").unlink()


def test_unchanged_rerelease_says_so_and_writes_nothing(course):
    course, roster = course
    before = tree(course)
    mtimes = {p: p.stat().st_mtime_ns for p in (course / "release").rglob("*")}
    r = run("release", SLUG, "--course", str(course), "--roster", str(roster))
    assert r.returncode == 0, r.stderr
    assert f"{SLUG}: release unchanged for 2 candidates" in r.stdout
    assert "released orders-cleanup to" not in r.stdout
    assert tree(course) == before
    assert {p: p.stat().st_mtime_ns for p in (course / "release").rglob("*")} == mtimes


def test_a_new_candidate_leaves_the_others_byte_identical(course):
    course, roster = course
    before = tree(course)
    roster.write_text("id,name\nalice,Alice A\nbob,Bob B\ncarol,Carol C\n", encoding="utf-8")
    r = run("release", SLUG, "--course", str(course), "--roster", str(roster))
    assert r.returncode == 0, r.stderr
    assert "released orders-cleanup to 1 candidate(s)" in r.stdout
    assert f"{SLUG}: release unchanged for 2 candidates" in r.stdout
    after = tree(course)
    merge = "handout/orders-cleanup/mail-merge.csv"  # gains carol's row
    assert {k: v for k, v in after.items() if "carol" not in k and k != merge} == {
        k: v for k, v in before.items() if k != merge
    }
    assert "carol,Carol C," in (course / merge).read_text(encoding="utf-8")
    assert (course / "release" / "carol" / SLUG / NOTEBOOK).is_file()


@pytest.mark.parametrize(
    ("extra", "what"),
    [
        (["--mode", "practice"], "mode assessment → practice"),
        (["--secret-file", "SECRET"], "secret"),
    ],
)
def test_a_changed_release_after_a_submission_is_refused(course, tmp_path, extra, what):
    course, roster = course
    submit(course, tmp_path, "alice")
    secret = tmp_path / "secret.txt"
    secret.write_text("s" * 40 + "\n", encoding="utf-8")
    extra = [str(secret) if a == "SECRET" else a for a in extra]
    before = tree(course)
    r = run("release", SLUG, "--course", str(course), "--roster", str(roster), *extra)
    assert r.returncode == 2, r.stdout + r.stderr
    assert what in r.stderr
    assert "Already submitted: alice." in r.stderr
    assert "Nothing was changed" in r.stderr
    assert "--force" in r.stderr
    assert tree(course) == before
    assert not (course / "backups").exists()


def test_force_keeps_the_previous_release_and_keys_in_a_backup(course, tmp_path):
    course, roster = course
    submit(course, tmp_path, "alice")
    old_keys = tree(course / "keys")
    old_data = (course / "release" / "bob" / SLUG / "data" / "orders.csv").read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("s" * 40 + "\n", encoding="utf-8")
    r = run(
        "release", SLUG, "--course", str(course), "--roster", str(roster),
        "--secret-file", str(secret), "--force",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    backups = list((course / "backups").iterdir())
    assert len(backups) == 1
    assert backups[0].name.startswith(f"release-{SLUG}-")
    backup = backups[0]
    assert f"their previous release and keys are kept in {backup}" in r.stdout
    assert "the submissions of alice were made on the old data" in r.stdout
    assert tree(backup / "keys") == old_keys
    assert (backup / "release" / "bob" / SLUG / "data" / "orders.csv").read_bytes() == old_data
    assert (backup / "submitted" / "alice" / SLUG / NOTEBOOK).is_file()
    assert not (course / "submitted" / "alice" / SLUG).exists()
    assert backup.stat().st_mode & 0o077 == 0
    new_data = (course / "release" / "bob" / SLUG / "data" / "orders.csv").read_bytes()
    assert new_data != old_data
    answers = json.loads((course / "keys" / "bob" / SLUG / "answers.json").read_text())
    old_answers = json.loads((backup / "keys" / "bob" / SLUG / "answers.json").read_text())
    assert answers["seed"] != old_answers["seed"]
    # The new release is now the current one: the same command again changes nothing.
    r = run(
        "release", SLUG, "--course", str(course), "--roster", str(roster),
        "--secret-file", str(secret),
    )  # fmt: skip
    assert r.returncode == 0
    assert "release unchanged for 2 candidates" in r.stdout
