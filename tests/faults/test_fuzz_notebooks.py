"""Fuzzing the grader with malformed notebooks (strategies in `strategies.py`).

Function level (most examples): `grade_one` (the real sandbox, extract, GX validate, score) on a
shared course whose exercise copy has short time limits, then `record` into a real gradebook.
For every example: no exception; the status is `graded` (the notebook ran, whatever its cells
did) or `invalid_notebook` (with a reason), never `grader_error` or `sandbox_error`; 0 auto points
(none of these notebooks writes an output) with the exercise's maxima whatever the notebook's
metadata says; exactly one result recorded (ledger == gradebook); no process of the slot's uid
and no work dir left. Invalid notebooks are graded twice: the same result.

CLI level: one `datalit grade` batch over a handful of fuzzed notebooks, one of each kind.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from datalit.exercise import load_exercise
from datalit.grading import grader
from datalit.grading.grader import Job, grade_one
from datalit.grading.record import record
from tests.faults import strategies as fs
from tests.faults._helpers import (
    EXERCISE,
    assert_record_consistent,
    build_course,
    grade_env,
    ledgers,
    leftover_work,
    processes,
    run_grade,
    submission_counts,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root")

ACCEPTED = {"graded", "invalid_notebook"}
CANDIDATE = "fuzz"
_counter = itertools.count()


class FuzzCourse:
    """One released candidate, an exercise copy with short limits, a private work folder."""

    def __init__(self, base: Path) -> None:
        self.course = build_course(base / "course", {CANDIDATE: "untouched"})
        self.root = base / "exercises-root"
        shutil.copytree(EXERCISE.folder, self.root / "exercises" / EXERCISE.slug)
        toml = self.root / "exercises" / EXERCISE.slug / "exercise.toml"
        text = toml.read_text(encoding="utf-8")
        text = text.replace("cell_timeout_s = 60", "cell_timeout_s = 5")
        text = text.replace("total_timeout_s = 600", "total_timeout_s = 30")
        assert "cell_timeout_s = 5" in text
        toml.write_text(text, encoding="utf-8")
        self.exercise = load_exercise(EXERCISE.slug, self.root)
        self.work = base / "work"
        self.submissions = base / "submissions"

    def grade(self, data: bytes):
        folder = self.submissions / str(next(_counter))
        folder.mkdir(parents=True)
        notebook = folder / EXERCISE.notebook
        notebook.write_bytes(data)
        job = Job(
            EXERCISE.slug,
            CANDIDATE,
            notebook,
            self.course / "release" / CANDIDATE / EXERCISE.slug / "data",
            self.course / "keys" / CANDIDATE / EXERCISE.slug / "answers.json",
            True,
            self.root,
        )
        return grade_one(job)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATALIT_WORK_ROOT", str(base / "work"))
        yield FuzzCourse(base)


def check_result(fuzz: FuzzCourse, result, data: bytes) -> None:
    """The rules every fuzzed notebook must satisfy (see the module docstring)."""
    assert result.status in ACCEPTED, (result.status, result.reason, data[:300])
    assert result.reason, "every result says why"
    if result.status == "invalid_notebook":
        assert "notebook" in result.reason
    assert [p.id for p in result.score.parts] == [p.id for p in fuzz.exercise.parts]
    for part, spec in zip(result.score.parts, fuzz.exercise.parts, strict=True):
        assert part.max_points == spec.points  # never from the notebook's metadata
        assert part.points == 0, (part.id, part.status, data[:300])
    assert result.score.auto_points == 0
    # Recorded once: the ledger says what the result says, the gradebook agrees.
    record(course=fuzz.course, exercise=fuzz.exercise, result=result)
    entry = ledgers(fuzz.course)[CANDIDATE]
    assert (entry["status"], entry["auto_points"]) == (result.status, 0)
    assert submission_counts(fuzz.course) == {CANDIDATE: 1}
    assert_record_consistent(fuzz.course)
    # Nothing of the run is left: no process of the slot's uid, no work dir.
    uid = 64000 + grader.slots._slot if grader.slots._slot is not None else None
    assert not [p for _, p in processes().values() if p.uid == uid]
    assert leftover_work(fuzz.work) == []


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(FUZZ, max_examples=40)
@given(data=fs.notebook_bytes())
def test_fuzzed_notebooks_get_one_result_each_and_never_crash_the_grader(fuzz, data):
    result = fuzz.grade(data)
    check_result(fuzz, result, data)
    if result.status == "invalid_notebook":  # cheap to repeat: the same input, the same result
        again = fuzz.grade(data)
        assert (again.status, again.reason) == (result.status, result.reason)


@pytest.mark.slow
@settings(FUZZ, max_examples=400)
@given(data=fs.notebook_bytes())
def test_fuzzed_notebooks_many(fuzz, data):
    check_result(fuzz, fuzz.grade(data), data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("over the 20 MB cap", b'{"cells": [], "x": "' + b"a" * (21 * 1024**2) + b'"}'),
        (
            "a 5 MB code cell",
            (
                '{"cells": [{"cell_type": "code", "source": "x = \'%s\'", "metadata": {}, '
                '"outputs": []}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}'
                % ("a" * 5 * 1024**2)
            ).encode(),
        ),
        ("100 000 levels deep", b"[" * 100_000 + b"]" * 100_000),
        ("6000 empty code cells", None),
        # Found by the fuzzer: JSON allows them, Python refuses them after json.loads.
        (
            "a 5000-digit number",
            b'{"cells": [], "nbformat": 4, "nbformat_minor": ' + b"1" * 5000 + b', "metadata": {}}',
        ),
        (
            "a lone surrogate in a code cell",
            b'{"cells": [{"cell_type": "code", "source": "x = \'\\ud800\'", "metadata": {}, '
            b'"outputs": []}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
        ),
    ],
)
def test_named_malformed_notebooks(fuzz, name, data):
    if data is None:
        cell = '{"cell_type": "code", "source": "", "metadata": {}, "outputs": []}'
        data = (
            '{"cells": [' + ",".join([cell] * 6000) + '], "nbformat": 4, '
            '"nbformat_minor": 5, "metadata": {}}'
        ).encode()
    check_result(fuzz, fuzz.grade(data), data)


# --- one CLI batch ------------------------------------------------------------------------------

CLI_KINDS = (
    fs.encoded(fs.notebook_dicts()),
    fs.runnable_notebooks().map(fs._dumps),
    fs.deep_json(),
    fs.big_numbers(),
    fs.lone_surrogates(),
    st.binary(max_size=256),
)


@settings(
    max_examples=1,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(notebooks=st.tuples(*CLI_KINDS))
def test_one_cli_batch_of_fuzzed_notebooks(tmp_path_factory, notebooks):
    base = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    kinds = {f"f{i}": data for i, data in enumerate(notebooks)}
    course = build_course(base / "course", kinds)
    work = base / "work"
    proc = run_grade(course, grade_env(work))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    entries = ledgers(course)
    assert set(entries) == set(kinds)
    for cand, entry in entries.items():
        assert entry["status"] in ACCEPTED, (cand, entry["status"], entry["reason"])
        assert entry["auto_points"] == 0
    assert submission_counts(course) == dict.fromkeys(kinds, 1)
    assert_record_consistent(course)
    assert leftover_work(work) == []
