"""The manual kind: graded by a reviewer, never automatically; its cell is the grade cell."""

from datalit.exercise import load_exercise
from datalit.grading.parts import ScoreInputs, get
from datalit.grading.results import NEEDS_MANUAL, Validation
from tests.parts._kit import part_from_toml


def test_a_written_answer_waits_for_the_reviewer():
    part = part_from_toml({"id": "finding", "kind": "manual", "points": 4, "cell": "answer"})
    kind = get("manual")
    assert not kind.auto
    assert not part.auto
    assert kind.reads is None
    assert part.cell == "answer"
    result = kind.score(part, ScoreInputs(None, None, Validation(()), {}))
    assert result.status == NEEDS_MANUAL
    assert result.points == 0.0
    assert result.details == {"cell": "answer"}


def test_every_exercise_keeps_its_manual_points_out_of_the_auto_total():
    ex = load_exercise("orders-cleanup")
    manual = sum(p.points for p in ex.parts if p.kind == "manual")
    assert manual > 0
    assert ex.max_auto_points == ex.max_points - manual
