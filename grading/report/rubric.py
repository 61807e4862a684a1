"""The rubric: solutions/<slug>/reviewer-notes.md copied next to the reviewer views, with a page
of it that every reviewer view links to."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from datalit.exercise import Exercise
from datalit.grading.report.text import _text
from datalit.grading.report.write import _render, _write

RUBRIC_MD, RUBRIC_HTML = "reviewer-notes.md", "reviewer-notes.html"
"""The rubric (solutions/<slug>/reviewer-notes.md) as copied next to the reviewer views."""


def write_rubric(*, course: Path, exercise: Exercise) -> Path | None:
    """Copy the exercise's rubric (solutions/<slug>/reviewer-notes.md) to
    COURSE/reports/<exercise>/reviewer-notes.md with a page of it, reviewer-notes.html, that
    every reviewer view links to. Returns the page, or None when the exercise has no rubric."""
    text = _rubric(exercise)
    if text is None:
        return None
    folder = Path(course) / "reports" / exercise.slug
    _write(folder / RUBRIC_MD, text)
    page = _render(
        "rubric.html.j2",
        {"exercise": {"slug": exercise.slug, "title": _text(exercise.title)}},
        rubric=_markdown_html(text),
    )
    _write(folder / RUBRIC_HTML, page)
    return folder / RUBRIC_HTML


def _rubric(exercise: Exercise) -> str | None:
    try:
        return (exercise.solution_folder / RUBRIC_MD).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def _markdown_html(text: str) -> Markup:
    """The rubric's markdown as HTML, raw HTML in it escaped (it is trusted text, but a page of
    ours runs nothing)."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table"])
    return Markup(render(_text(text, limit=len(text))))
