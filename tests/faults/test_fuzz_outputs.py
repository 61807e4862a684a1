"""Fuzzing the grader with malformed output files (strategies in `strategies.py`).

The correct outputs are made once by running the reference solution in the sandbox; each example
then mutates them (CSV, JSON, Parquet bytes: random, truncated, re-encoded, ragged, wrong types,
huge, deeply nested) and grades a notebook whose only cell writes those bytes, through
`grade_one` (the real sandbox, extract, GX validate and score), then records the result.

For every example: no exception; status `graded` (the notebook ran), never `grader_error`; every
part's points within [0, max] with a known status and, where the output was unusable, a reason;
a part whose output was left intact keeps its full points (what one bad file does stays in its
own parts); exactly one result recorded (ledger == gradebook); no work dir left. Some examples
are graded twice: the same input gives the same points.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalit.exercise import load_exercise
from datalit.grading import grader
from datalit.grading.grader import Job, grade_one
from datalit.grading.record import record
from datalit.grading.sandbox import Limits, execute
from tests.faults import strategies as fs
from tests.faults._helpers import (
    EXERCISE,
    REFERENCE,
    assert_record_consistent,
    build_course,
    ledgers,
    leftover_work,
    submission_counts,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root")

CANDIDATE = "fuzz"
PART_STATUSES = {"scored", "not_attempted", "unreadable"}
PATHS = {o.name: o.path for o in EXERCISE.outputs}


class OutputsCourse:
    """One released candidate, the reference outputs of their data, and two exercise copies:
    the real one (orders_clean as CSV) and one declaring orders_clean as Parquet."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.course = build_course(base / "course", {CANDIDATE: "reference"})
        self.data = self.course / "release" / CANDIDATE / EXERCISE.slug / "data"
        self.answers = self.course / "keys" / CANDIDATE / EXERCISE.slug / "answers.json"
        self.work = base / "work"
        self.roots = {"csv": base / "root-csv", "parquet": base / "root-parquet"}
        for kind, root in self.roots.items():
            shutil.copytree(EXERCISE.folder, root / "exercises" / EXERCISE.slug)
            if kind == "parquet":
                toml = root / "exercises" / EXERCISE.slug / "exercise.toml"
                text = toml.read_text(encoding="utf-8")
                toml.write_text(text.replace("orders_clean.csv", "orders_clean.parquet"))
        self.exercises = {k: load_exercise(EXERCISE.slug, r) for k, r in self.roots.items()}
        self.reference = self._reference_outputs()
        self._n = 0

    def _reference_outputs(self) -> dict[str, bytes]:
        workdir = grader.slots._new_workdir("reference")
        try:
            inputs = {f"data/{p.name}": p for p in sorted(self.data.iterdir())}
            run = execute(
                REFERENCE,
                workdir=workdir,
                inputs=inputs,
                limits=Limits(),
                slot=grader.slots._own_slot(),
            )
            assert run.status == "completed", run.reason
            return {name: (workdir / path).read_bytes() for name, path in PATHS.items()}
        finally:
            grader.remove_tree(workdir)

    def notebook_writing(self, files: dict[str, bytes]) -> Path:
        """A submission whose one code cell writes `files` (path -> bytes) and nothing else."""
        lines = ["import base64, os", "os.makedirs('outputs', exist_ok=True)"]
        for path, data in files.items():
            blob = base64.b64encode(data).decode("ascii")
            lines.append(f"open({path!r}, 'wb').write(base64.b64decode({blob!r}))")
        cell = {
            "cell_type": "code",
            "source": "\n".join(lines),
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
        doc = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
        self._n += 1
        path = self.base / "submissions" / str(self._n) / EXERCISE.notebook
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    def grade(self, kind: str, files: dict[str, bytes]):
        job = Job(
            EXERCISE.slug,
            CANDIDATE,
            self.notebook_writing(files),
            self.data,
            self.answers,
            True,
            self.roots[kind],
        )
        return grade_one(job)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz-outputs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATALIT_WORK_ROOT", str(base / "work"))
        yield OutputsCourse(base)


@st.composite
def output_sets(draw, oc: OutputsCourse):
    """(exercise kind, {path: bytes}, names of the outputs left intact)."""
    kind = draw(st.sampled_from(["csv", "csv", "parquet"]))
    exercise = oc.exercises[kind]
    ref = oc.reference
    files, intact = {}, set()
    for output in exercise.outputs:
        fate = draw(st.sampled_from(["intact", "mutated", "mutated", "missing"]))
        if fate == "missing":
            continue
        if output.name == "orders_clean":
            if kind == "parquet":
                data = draw(fs.parquet_bytes(ref["orders_clean"]))
                fate = "mutated"
            elif fate == "intact":
                data = ref["orders_clean"]
            else:
                data = draw(
                    st.one_of(fs.mutated_csv(ref["orders_clean"]), st.binary(max_size=4096))
                )
        elif fate == "intact":
            data = ref[output.name]
        else:
            data = draw(fs.hostile_json(ref[output.name]))
        files[output.path] = data
        if fate == "intact":
            intact.add(output.name)
    return kind, files, intact


def check_result(oc: OutputsCourse, kind: str, result, intact: set[str]) -> None:
    exercise = oc.exercises[kind]
    assert result.status == "graded", (result.status, result.reason)
    by_id = {p.id: p for p in result.score.parts}
    assert list(by_id) == [p.id for p in exercise.parts]
    for spec in exercise.parts:
        part = by_id[spec.id]
        assert part.max_points == spec.points
        assert 0 <= part.points <= spec.points, (spec.id, part.points)
        if spec.kind == "manual":
            continue
        assert part.status in PART_STATUSES, (spec.id, part.status)
        if part.status == "unreadable":
            assert part.feedback, (spec.id, "an unusable output needs a reason")
        # A part whose output is intact is not dragged down by another file's damage (the clean
        # table part depends on its table alone; parts of an intact JSON file on that file).
        if spec.output in intact and spec.kind in ("ids", "numeric"):
            assert part.points == spec.points, (spec.id, part.feedback)
        if spec.output in intact and spec.kind == "suite":
            assert part.points == spec.points, (spec.id, part.feedback)
    record(course=oc.course, exercise=exercise, result=result)
    entry = ledgers(oc.course)[CANDIDATE]
    assert entry["auto_points"] == round(result.score.auto_points, 6)
    assert submission_counts(oc.course) == {CANDIDATE: 1}
    assert_record_consistent(oc.course)
    assert leftover_work(oc.work) == []


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_the_reference_outputs_score_full_marks(outputs):
    """The baseline the mutations start from (and the oracle for intact files)."""
    files = {PATHS[name]: data for name, data in outputs.reference.items()}
    result = outputs.grade("csv", files)
    assert result.score.auto_points == EXERCISE.max_auto_points, result.reason
    check_result(outputs, "csv", result, set(PATHS))


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_fuzzed_outputs_get_one_result_each_and_never_crash_the_grader(outputs, data):
    kind, files, intact = data.draw(output_sets(outputs))
    result = outputs.grade(kind, files)
    check_result(outputs, kind, result, intact)
    if data.draw(st.booleans(), label="grade twice"):
        again = outputs.grade(kind, files)
        assert [p.points for p in again.score.parts] == [p.points for p in result.score.parts]
        assert [p.status for p in again.score.parts] == [p.status for p in result.score.parts]


@pytest.mark.slow
@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_fuzzed_outputs_many(outputs, data):
    kind, files, intact = data.draw(output_sets(outputs))
    check_result(outputs, kind, outputs.grade(kind, files), intact)
