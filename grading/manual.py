"""Manual grades: what reviewers gave in formgrader, read back from nbgrader's gradebook.

datalit writes the auto-graded parts into `COURSE/gradebook.db` (record/); a reviewer grades
the manual parts (the written finding) in nbgrader's formgrader, which writes `manual_score` on
the part's Grade row and the reviewer's text on the Comment row of its solution cell. This
module only reads: the database is opened read-only (SQLite `mode=ro`), so nothing here can
change or lock a gradebook formgrader is using.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.exercise import Exercise

GRADEBOOK = "gradebook.db"

# nbgrader's schema: a Grade belongs to a submitted notebook and a grade cell; the reviewer's
# comment is on the Comment of the solution cell with the same name (nbgrader creates both).
_QUERY = """
SELECT sa.student_id, bc.name, gc.max_score, g.manual_score,
       (SELECT c.manual_comment FROM comment c JOIN base_cell sc ON sc.id = c.cell_id
         WHERE c.notebook_id = sn.id AND sc.name = bc.name AND sc.type = 'SolutionCell')
FROM grade g
JOIN submitted_notebook sn ON sn.id = g.notebook_id
JOIN submitted_assignment sa ON sa.id = sn.assignment_id
JOIN assignment a ON a.id = sa.assignment_id
JOIN base_cell bc ON bc.id = g.cell_id
JOIN grade_cells gc ON gc.id = bc.id
WHERE a.name = ?
"""


@dataclass(frozen=True)
class ManualGrade:
    """One manual part of one candidate, as the gradebook holds it."""

    part: str
    """The part's id in exercise.toml."""
    max_points: float
    points: float | None
    """The reviewer's score; None until someone grades it."""
    comment: str
    """What the reviewer typed in formgrader's comment box ("" if nothing)."""


def manual_grades(course: Path, exercise: Exercise) -> dict[str, list[ManualGrade]]:
    """Every recorded candidate's manual parts of `exercise`, by candidate id (candidates with no
    recorded submission are absent)."""
    manual = {p.cell or p.id: p for p in exercise.parts if not p.auto}
    db = Path(course) / GRADEBOOK
    if not manual or not db.is_file():
        return {}
    try:
        # as_uri() percent-encodes the path: a course folder named with ? or # stays a path.
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute(_QUERY, (exercise.slug,)).fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise InvalidArgument(f"cannot read the manual grades in {db}: {exc}") from None
    grades: dict[str, list[ManualGrade]] = {}
    for candidate, cell, max_points, points, comment in rows:
        part = manual.get(cell)
        if part is not None:
            grades.setdefault(candidate, []).append(
                ManualGrade(part.id, float(max_points), points, comment or "")
            )
    return grades


def ungraded(course: Path, exercise: Exercise, candidates: list[str]) -> list[str]:
    """Those of `candidates` with a manual part nobody has graded yet (or not yet recorded)."""
    grades = manual_grades(course, exercise)
    if all(p.auto for p in exercise.parts):
        return []
    return [c for c in candidates if c not in grades or any(g.points is None for g in grades[c])]
