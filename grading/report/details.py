"""The reviewer's details of one result, a part of `_Facts` (facts.py): each check by its title
with its kwargs, observed values, failing samples and the values the candidate's data required
(their suite parameters), the table of checks, and the written finding of a manual part."""

from __future__ import annotations

import functools
import html
import json
from typing import Any

from datalit.errors import InvalidArgument
from datalit.grading.bounded import (
    bounds,
)
from datalit.grading.report.suite import _type_title
from datalit.grading.report.text import _cell_text, _number, _plain, _text
from datalit.grading.table_typing import resolve_parameter

MAX_FINDING = 20_000
"""Characters kept of a written finding in the reviewer view."""


class _Details:
    """The reviewer-only facts of `_Facts` (which sets exercise, result, course, checks, tags
    and check_titles)."""

    def _titled(self, value: Any) -> Any:
        """Part details with each check cited by its title rather than its id."""
        if isinstance(value, list):
            return [self._titled(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: self._titled(v) for k, v in value.items()}
        if isinstance(out.get("id"), str) and out["id"] in self.check_titles:
            out = {"check": _text(self.check_titles[out.pop("id")]), **out}
        return out

    def finding(self, part) -> dict[str, Any]:
        """The candidate's written answer to a manual part: the markdown cell with the part's
        grade_id, read from the autograded notebook (candidate text: shown escaped)."""
        cell = part.cell or ""
        notebook = self._autograded_notebook()
        if notebook is None:
            return {"cell": cell, "text": None, "note": "the graded notebook was not found"}
        for c in notebook.get("cells") or []:
            meta = c.get("metadata") if isinstance(c, dict) else None
            nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
            if isinstance(nbgrader, dict) and nbgrader.get("grade_id") == cell:
                source = c.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                # autograded/ holds it made inert with character references (`4&#46;`): shown
                # as text (escaped again by the template), it reads as the candidate wrote it.
                text = html.unescape(text)
                return {"cell": cell, "text": _text(text, limit=MAX_FINDING), "note": ""}
        return {"cell": cell, "text": None, "note": f"no cell {cell!r} in the graded notebook"}

    def _autograded_notebook(self) -> dict | None:
        """COURSE/autograded/<candidate>/<exercise>/<notebook> (written just before the report),
        else the executed notebook the result carries."""
        texts = []
        if self.course is not None:
            from datalit.grading.course import Course

            try:
                path = (
                    Course(self.course).autograded_dir(self.result.candidate, self.exercise.slug)
                    / self.exercise.notebook
                )
                if path.stat().st_size <= bounds().autograded_bytes:
                    texts.append(path.read_text(encoding="utf-8", errors="replace"))
            except (OSError, InvalidArgument):  # an id no course folder can hold has none
                pass
        if self.result.executed_notebook:
            texts.append(self.result.executed_notebook)
        for text in texts:
            try:
                notebook = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(notebook, dict):
                return notebook
        return None

    @functools.cached_property
    def parameters(self) -> dict[str, Any] | None:
        """This candidate's suite parameters (COURSE/keys/<c>/<ex>/answers.json), or None."""
        if self.course is None:
            return None
        from datalit.grading.course import Course

        try:
            path = Course(self.course).keys_dir(self.result.candidate, self.exercise.slug)
            answers = json.loads((path / "answers.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError, InvalidArgument):
            return None
        values = answers.get("suite_parameters") if isinstance(answers, dict) else None
        return values if isinstance(values, dict) else None

    def _required(self, kwargs: dict) -> list[dict[str, Any]]:
        """The kwargs filled from this candidate's data ($PARAMETERs), with their values
        (resolved as validate does); reviewer view only, as these are hidden values."""
        out = []
        for name, value in (kwargs or {}).items():
            if not (isinstance(value, dict) and set(value) == {"$PARAMETER"}):
                continue
            parameter = str(value["$PARAMETER"])
            known = self.parameters is not None and parameter in self.parameters
            out.append(
                {
                    "kwarg": _text(name, 200),
                    "parameter": _text(parameter, 200),
                    "value": _plain(resolve_parameter(value, self.parameters)) if known else None,
                    "found": known,
                }
            )
        return out

    def _check(self, r) -> dict[str, Any]:
        return {
            "id": r.id,
            "title": _text(self.check_titles.get(r.id) or _type_title(r.type, r.kwargs)),
            "type": _text(r.type),
            "visibility": "public" if r.public else "hidden",
            "anomaly": self.tags.get(r.id),
            "kwargs": _plain(r.kwargs),
            "required": self._required(r.kwargs),
            "feedback": _text(r.feedback),
            "passed": bool(r.success),
            "points": _number(r.points),
            "observed": _plain(r.observed),
            "unexpected_count": _plain(r.unexpected_count),
            "unexpected_sample": _plain(list(r.unexpected_sample)),
            "error": _text(r.error),
        }

    def check_rows(self) -> list[dict[str, Any]]:
        rows = []
        for r in self.checks:
            c = self._check(r)
            rows.append(
                {
                    "part": r.part,
                    "check_id": c["id"],
                    "title": c["title"],
                    "type": c["type"],
                    "visibility": c["visibility"],
                    "anomaly": c["anomaly"] or "",
                    "passed": c["passed"],
                    "points": c["points"],
                    "unexpected_count": ""
                    if c["unexpected_count"] is None
                    else c["unexpected_count"],
                    "unexpected_sample": " | ".join(_cell_text(v) for v in c["unexpected_sample"]),
                    "observed": _cell_text(c["observed"]),
                    "error": c["error"],
                    "feedback": c["feedback"],
                    "required": " | ".join(
                        f"{q['kwarg']}={_cell_text(q['value']) if q['found'] else '?'}"
                        for q in c["required"]
                    ),
                }
            )
        return rows
