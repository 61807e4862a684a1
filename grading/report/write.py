"""Writing views within their bounds: the Jinja environment and rendering, a view written as
JSON and as its page (cut to a short view of the same shape when over its bound), atomic writes
that skip unchanged files, and where a held candidate view waits."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

from datalit.grading.bounded import (
    file_notice,
    fit_strings,
    page_size,
    size_text,
)
from datalit.grading.record import write_atomic
from datalit.grading.report.anomalies import anomaly_title
from datalit.grading.report.text import _fmt, _json
from datalit.grading.results import NEEDS_MANUAL

# The package's logger keeps the name the single module had.
log = logging.getLogger(__package__)

# The templates stay in grading/templates/ (package data of datalit.grading), beside this package.
TEMPLATES = Path(__file__).parent.with_name("templates")
STATUS_WORDS = {
    "scored": "scored",
    "not_attempted": "not attempted",
    "unreadable": "unreadable",
    NEEDS_MANUAL: "graded by a reviewer",
}


def held_feedback_dir(course: Path, slug: str, candidate: str) -> Path:
    """Where an assessment's candidate view waits for the reviewer to release it."""
    return Path(course) / "reports" / slug / "held" / candidate


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped; only our SVG plots are Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pts"] = _fmt
    env.filters["words"] = lambda status: STATUS_WORDS.get(status, status.replace("_", " "))
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True)
    env.filters["compact"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    env.filters["anomaly_title"] = anomaly_title
    # kwargs without their $PARAMETERs: the reviewer view shows those as the values they took
    env.filters["fixed"] = lambda kwargs: {
        k: v
        for k, v in (kwargs or {}).items()
        if not (isinstance(v, dict) and set(v) == {"$PARAMETER"})
    }
    env.filters["percent"] = lambda v: "–" if v is None else f"{v:.0%}"
    return env


def _render(template: str, view: dict, **extra: Any) -> str:
    return _environment().get_template(template).render(view=view, **extra)


def _write_view(
    view: dict,
    json_path: Path,
    html_path: Path,
    render,
    *,
    text_bytes: int,
    file_bytes: int,
    what: str,
) -> dict:
    """Write a view as JSON and as its page, both bounded (see the module docstring); returns
    the view written."""
    view = fit_strings(view, text_bytes, page_size)
    as_json, page = _json(view), render(view)
    if max(len(as_json.encode()), len(page.encode())) > file_bytes:
        log.warning("%s is over its bound of %s: written cut", what, size_text(file_bytes))
        view = _cut_view(view, file_notice(what, file_bytes))
        as_json, page = _json(view), render(view)
    _write(json_path, as_json)
    _write(html_path, page)
    return view


def _cut_view(view: dict, message: str) -> dict:
    """A view of the same shape without its long lists (parts, checks, anomalies, the cohort's
    candidates) and without the output tail, saying it was cut. Totals, statuses and the
    reviewer's summary (which cohort reports read back) are kept."""
    short = {**view, "cut": message}
    for key in ("parts", "anomalies", "candidates"):
        if key in short:
            short[key] = []
    if isinstance(short.get("execution"), dict) and "stream_tail" in short["execution"]:
        short["execution"] = {
            **short["execution"],
            "stream_tail": "",
            "stream_tail_truncated": True,
        }
    if "validation_skipped_reason" in short:
        short["validation_skipped_reason"] = ""
    return short


def _write(path: Path, text: str) -> None:
    """Atomic write, skipped when the file already holds exactly `text`."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    write_atomic(path, text)
