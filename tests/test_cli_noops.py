"""Every command says when nothing happened: `grade`, `collect` and `release-feedback` on a
course that does not exist, an exercise never released there, no submissions, nothing to collect
or nothing to release exit 2 with a message naming the real problem, and create nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"


def datalit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "datalit"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder with a released practice course `released/`, an empty folder `bare/`, a roster
    and an incoming folder holding one good notebook."""
    top = tmp_path_factory.mktemp("noops")
    (top / "bare").mkdir()
    (top / "roster.csv").write_text("id\nana\nbo\n", encoding="utf-8")
    released = datalit(
        *("release", EX, "--course", "released", "--roster", "roster.csv"),
        *("--mode", "practice"),
        cwd=top,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    (top / "incoming").mkdir()
    shutil.copyfile(REPO / "solutions" / EX / f"{EX}.ipynb", top / "incoming" / "ana.ipynb")
    return top


def test_grade_on_a_missing_course_says_so_and_creates_nothing(place):
    refused(datalit("grade", EX, "--course", "nowhere", cwd=place), "nowhere does not exist")
    assert not (place / "nowhere").exists()


def test_grade_on_an_exercise_never_released_says_so(place):
    result = datalit("grade", EX, "--course", "bare", cwd=place)
    refused(result, f"{EX} was never released in bare", "datalit release")
    assert list((place / "bare").iterdir()) == []


def test_grade_without_submissions_says_to_collect_first(place):
    result = datalit("grade", EX, "--course", "released", cwd=place)
    refused(result, "no submissions of orders-cleanup", "datalit collect")
    assert "reports" not in result.stdout  # no paths to files that were never written


def test_collect_into_a_missing_course_says_so(place):
    result = datalit("collect", EX, "incoming", "--course", "nowhere", cwd=place)
    refused(result, "nowhere does not exist")
    assert not (place / "nowhere").exists()


def test_collecting_nothing_of_several_items_says_why(place, tmp_path):
    (tmp_path / "notes.txt").write_text("not a submission")
    shutil.copyfile(REPO / "solutions" / EX / f"{EX}.ipynb", tmp_path / "stranger.ipynb")
    result = datalit("collect", EX, str(tmp_path), "--course", "released", cwd=place)
    refused(result, "nothing collected: none of the 2 item(s)")
    assert "unknown candidate 'stranger'" in result.stdout  # each item's reason
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(datalit("collect", EX, str(empty), "--course", "released", cwd=place), "holds no")


def test_release_feedback_to_nobody_says_why(place, tmp_path):
    refused(
        datalit("release-feedback", EX, "--course", "released", cwd=place),
        "practice mode",
        "nothing to release",
    )
    assessment = tmp_path / "assessment"
    released = datalit(
        *("release", EX, "--course", str(assessment), "--roster", "roster.csv"), cwd=place
    )
    assert released.returncode == 0, released.stderr
    refused(
        datalit("release-feedback", EX, "--course", str(assessment), cwd=place),
        "no feedback of orders-cleanup is waiting",
        "datalit grade",
    )
    refused(datalit("release-feedback", EX, "--course", "nowhere", cwd=place), "does not exist")
