"""Practice mode: what a practice release adds to the assessment release.

An assessment release (hiring) ships no checks beyond `check_outputs.py`, and the grader holds
each candidate's feedback until a reviewer releases it (`datalit release-feedback`). A practice
release (courses, workshops) also ships, in `practice/`:

- `public_checks.json`: the public expectations of the exercise's GX suite, as suite.json holds
  them (with their feedback and escalating hints), and the values of the parameters those
  expectations use for this candidate. Hidden expectations never leave the grader.
- `checks.py`: runs those expectations with great_expectations on the candidate's table output;
- `table_typing.py`: the grader's own typing module, copied verbatim, so a table is typed as the
  grader types it. The public checks are the grader's checks, not a second implementation.

The notebook gets a last cell that runs the checks, and requirements.txt pins great-expectations.
Feedback is written for the candidate as soon as a submission is graded.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from datalit.exercise import Exercise

MODES = ("assessment", "practice")
PRACTICE_DIR = "practice"
TEMPLATES = Path(__file__).resolve().parent / "templates"
CHECK_CELL = """\
# Practice mode: run the public checks on your outputs. Run this cell again after a fix: a check
# that keeps failing shows a more specific hint each time. (The grader does not run it.)
try:
    from practice.checks import run_checks
except ImportError:
    run_checks = None
if run_checks is not None:
    run_checks()
"""


def public_checks(exercise: Exercise, suite: dict, parameters: dict) -> dict:
    """The public part of `suite` with the parameter values its expectations use."""
    from datalit.grading.table_typing import parameter_names
    from datalit.grading.validate import table_output_name

    public = [
        e for e in suite["expectations"] if (e.get("meta") or {}).get("visibility") == "public"
    ]
    used = set().union(*(parameter_names(e.get("kwargs", {})) for e in public)) if public else set()
    return {
        "name": f"{exercise.slug}-public",
        "table_path": exercise.output(table_output_name(exercise, suite)).path,
        "expectations": [
            {**e, "meta": {k: v for k, v in e["meta"].items() if k != "anomaly"}} for e in public
        ],
        "parameters": {name: parameters[name] for name in sorted(used)},
    }


def practice_files(exercise: Exercise, suite: dict, parameters: dict) -> dict[str, str]:
    """The files of `practice/` for one candidate, by name."""
    typing_source = (Path(__file__).resolve().parent / "table_typing.py").read_text("utf-8")
    checks = public_checks(exercise, suite, parameters)
    return {
        "__init__.py": "",
        "checks.py": (TEMPLATES / "practice_checks.py").read_text(encoding="utf-8"),
        "table_typing.py": typing_source,
        "public_checks.json": json.dumps(checks, indent=2, sort_keys=True) + "\n",
    }


def practice_notebook(release_notebook: bytes) -> bytes:
    """The release notebook with a last cell that runs the public checks."""
    nb = nbformat.reads(release_notebook.decode("utf-8"), as_version=4)
    intro = nbformat.v4.new_markdown_cell(
        "## Practice checks\n\nThe public checks of this exercise, with hints that get more "
        "specific each time a check fails again. Passing them all is not full marks: hidden "
        "checks, the flagged ids and the numbers are graded too.",
        id="practice-intro",
    )
    cell = nbformat.v4.new_code_cell(CHECK_CELL, id="practice-checks")
    nb.cells.extend([intro, cell])
    return (nbformat.writes(nb) + "\n").encode("utf-8")
