"""The texts every release folder shares, made from the exercise: the candidate's README
(the brief plus a generated "Grading environment"), requirements.txt and
requirements-jupyterlab.txt (the grader's pins), and the check_outputs.py self-check with the
declared outputs filled in. Nothing from the suite or the answer key goes into them."""

from __future__ import annotations

import platform
import pprint
from importlib import metadata
from pathlib import Path

from datalit.exercise import Exercise

TEMPLATES = Path(__file__).parent.with_name("templates")
CHECK_SCRIPT = "check_outputs.py"
GRADER_LIBRARIES = ("pandas", "numpy", "pyarrow")


def _library_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in GRADER_LIBRARIES}


def _json_fields(exercise: Exercise) -> dict[str, dict[str, tuple[str, str]]]:
    """For each JSON output, the keys the exercise's parts read from it: (the shape the
    self-check tests, what the README says it holds), from the part's kind."""
    from datalit.grading.parts import kind_of

    fields: dict[str, dict[str, tuple[str, str]]] = {
        o.name: {} for o in exercise.outputs if o.kind == "json"
    }
    for part in exercise.parts:
        described = kind_of(part).json_field(part)
        if described and part.output in fields and described[0]:
            key, shape, text = described
            fields[part.output][key] = (shape, text)
    return fields


def _declared_outputs(exercise: Exercise) -> list[dict]:
    fields = _json_fields(exercise)
    return [
        {
            "path": o.path,
            "kind": o.kind,
            "columns": list(o.columns),
            "fields": {k: shape for k, (shape, _) in fields.get(o.name, {}).items()},
            "max_bytes": o.max_bytes,
            "max_rows": o.max_rows,
        }
        for o in exercise.outputs
    ]


def check_outputs_script(exercise: Exercise) -> str:
    """The candidate's self-check script: the template with the declared outputs filled in.

    Only the output paths, columns, JSON keys and size limits go in: nothing from the suite or
    the answer key."""
    template = (TEMPLATES / CHECK_SCRIPT).read_text(encoding="utf-8")
    marker = "DECLARED_OUTPUTS: list[dict] = []\n"
    if template.count(marker) != 1:
        raise RuntimeError(f"{TEMPLATES / CHECK_SCRIPT} lost its DECLARED_OUTPUTS line")
    literal = pprint.pformat(_declared_outputs(exercise), width=96, sort_dicts=True)
    return template.replace(marker, f"DECLARED_OUTPUTS: list[dict] = {literal}\n")


def requirements_text(mode: str = "assessment") -> str:
    """requirements.txt: the versions of the libraries the grader runs notebooks with (and, in
    practice mode, the great-expectations that runs the public checks)."""
    pins = "".join(f"{name}=={v}\n" for name, v in _library_versions().items())
    text = f"# The versions the grader runs (Python {platform.python_version()}).\n{pins}"
    if mode == "practice":
        gx = metadata.version("great-expectations")
        text += f"# For practice/checks.py (the public checks).\ngreat-expectations=={gx}\n"
    return text


LAB_REQUIREMENTS = "requirements-jupyterlab.txt"


def lab_requirements_text() -> str:
    """requirements-jupyterlab.txt: what a candidate installs to open and run the notebook:
    the grader's pins plus the JupyterLab (and its Python kernel) this datalit was tested with."""
    lab = metadata.version("jupyterlab")
    kernel = metadata.version("ipykernel")
    return (
        '# What you need to open and run the notebook (see README.md, "Opening the notebook").\n'
        "-r requirements.txt\n"
        f"jupyterlab=={lab}\n"
        f"ipykernel=={kernel}\n"
    )


def readme_text(exercise: Exercise, mode: str = "assessment") -> str:
    """The candidate's README: the exercise brief plus a generated "Grading environment"."""
    brief_path = exercise.folder / "README.md"
    brief = brief_path.read_text(encoding="utf-8").rstrip() if brief_path.is_file() else ""
    if not brief:
        brief = f"# {exercise.title}"
    limits = exercise.limits
    versions = _library_versions()
    fields = _json_fields(exercise)
    rows = []
    for o in exercise.outputs:
        if o.kind == "table":
            what = f"table ({Path(o.path).suffix[1:].upper()}), columns: {', '.join(o.columns)}"
        else:
            keys = fields.get(o.name, {})
            listed = "; ".join(f"`{k}`: {text}" for k, (_, text) in keys.items())
            what = "JSON object" + (f" with {listed}" if listed else "")
        rows.append(f"| `{o.path}` | {what} | {o.max_bytes // 1024**2} MB |")
    parts = [
        f"| {p.title} | {p.points:g}{'' if p.auto else ' (read by a person)'} |"
        for p in exercise.parts
    ]
    library_list = ", ".join(f"{name} {v}" for name, v in versions.items())
    section = f"""

## Grading environment

This section is generated for the release; it describes the machine that runs your notebook.

- Python {platform.python_version()} with {library_list} (pinned in
  `requirements.txt`) and the standard library; nothing else is installed.
- No network. Only `data/` is next to your notebook; write your outputs with relative paths.
- Memory: {limits.memory_mb:,} MB.
- Time: {limits.cell_timeout_s:g} s per cell, {limits.total_timeout_s:g} s for the whole notebook.
- Files must be UTF-8 (pandas' `to_csv` writes UTF-8; open JSON files with `encoding="utf-8"`).

The files your notebook must write (paths relative to the notebook):

| file | what | size limit |
|---|---|---|
{chr(10).join(rows)}

`python {CHECK_SCRIPT}` checks that these files exist and have this shape. It does not score them.
{_mode_text(mode)}
## Opening the notebook

In this folder, with Python {platform.python_version().rsplit(".", 1)[0]} or newer:

```
python -m venv .venv
.venv/bin/pip install -r {LAB_REQUIREMENTS}
.venv/bin/jupyter lab {exercise.notebook}
```

(On Windows: `.venv\\Scripts\\pip` and `.venv\\Scripts\\jupyter`.)

JupyterLab is not needed for grading: the grader runs the notebook with the libraries of
`requirements.txt` only.

## Parts and points

| part | points |
|---|---|
{chr(10).join(parts)}
| **total** | **{exercise.max_points:g}** |
"""
    return brief + section


def _mode_text(mode: str) -> str:
    if mode == "practice":
        return """
This is a practice release: the last cell of the notebook (or `python practice/checks.py`) runs
the public checks of the grader on your table, with hints that get more specific when a check
keeps failing. Hidden checks, flagged ids and numbers are graded too. You see your feedback as
soon as your submission is graded.
"""
    return """
Your feedback is released when the reviewers have finished grading.
"""
