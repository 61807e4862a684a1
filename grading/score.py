"""Score stage: points per part, from the suite results and the answer key.

Maxima always come from the exercise (`Part.points`), never from the submission. Candidate-facing
feedback never contains a true value, a true id or a true count: it says how many things the
candidate gave and, qualitatively, what kind of mistake was made. The numbers a reviewer needs
(precision, recall, the compared values) go into `PartScore.details`, which only the reviewer
view shows.

No candidate-visible text and no step in the points sits at a place set by a hidden value (the
clean row count, a true count, a hidden suite parameter): with immediate feedback a candidate
could resubmit to find the place and so the value. A threshold on what the candidate delivers is
measured against what they were given (the raw table's row count, which they can count
themselves); a word about their values is a share of their own rows. Points still measure
agreement with the truth, smoothly: that is the grade.

How each kind of part is scored is that kind's own module in `datalit.grading.parts` (suite,
rows, ids, numeric, spans, manual; docs/authoring.md lists them): this stage reads each part's
output and hands it to its kind.
"""

from __future__ import annotations

from datalit.exercise import Exercise
from datalit.grading.parts import ScoreInputs, kind_of
from datalit.grading.parts.registry import not_usable
from datalit.grading.results import Extracted, Score, Validation
from datalit.grading.rows import ExpectedTable


def score(
    exercise: Exercise,
    extracted: Extracted,
    validation: Validation,
    *,
    answers: dict,
    expected: dict[str, ExpectedTable] | None = None,
) -> Score:
    """Score every part of `exercise`.

    Args:
        exercise: The exercise: parts, their points and which output each part reads.
        extracted: The extract stage's result.
        validation: The validate stage's result (suite parts).
        answers: The true answers (keys/<candidate>/<exercise>/answers.json "answers").
        expected: The true tables of rows parts, by output name (keys/<c>/<ex>/expected/),
            with the row count of the raw table each is cleaned from (suite parts use it).

    Returns:
        One `PartScore` per part, in the exercise's order.

    Raises:
        InvalidArgument: the answer key lacks a value a part needs (a kit problem).
    """
    parts = []
    for part in exercise.parts:
        kind = kind_of(part)
        output = None
        if kind.reads is not None:
            output = extracted.outputs.get(part.output)
            if output is None or output.status != "ok":
                parts.append(not_usable(part, output))
                continue
        inputs = ScoreInputs(exercise, output, validation, answers, expected)
        parts.append(kind.score(part, inputs))
    return Score(parts=tuple(parts))
