"""A candidate can open and run their release with what it ships: a fresh virtual environment,
`pip install -r requirements-jupyterlab.txt` as the release README says, then JupyterLab's
own tools run the reference solution in the release folder and the outputs it declares are
written. Slow (it installs JupyterLab and pandas from the package index): `make test-slow`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EX = "orders-cleanup"


def run(*args, cwd: Path | None = None, timeout: int = 1200) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )
    assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-4000:])
    return r


def test_the_release_requirements_install_jupyterlab_and_run_the_notebook(tmp_path):
    (tmp_path / "roster.csv").write_text("id\nann\n", encoding="utf-8")
    run(BIN / "datalit", "release", EX, "--course", tmp_path / "course",
        "--roster", tmp_path / "roster.csv")  # fmt: skip
    folder = tmp_path / "course" / "release" / "ann" / EX
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/pip install -r requirements-jupyterlab.txt" in readme

    # What the README tells the candidate, with the interpreter the grader runs.
    base = Path(getattr(sys, "_base_executable", sys.executable))
    run(base, "-m", "venv", folder / ".venv")
    pip = folder / ".venv" / "bin" / "pip"
    run(pip, "install", "--quiet", "--disable-pip-version-check", "-r",
        "requirements-jupyterlab.txt", cwd=folder)  # fmt: skip
    jupyter = folder / ".venv" / "bin" / "jupyter"
    version = run(jupyter, "lab", "--version").stdout.strip()
    assert version == metadata.version("jupyterlab")

    # The reference solution, opened and run in the candidate's environment.
    shutil.copyfile(REPO / "solutions" / EX / f"{EX}.ipynb", folder / f"{EX}.ipynb")
    run(jupyter, "nbconvert", "--to", "notebook", "--execute", "--inplace", f"{EX}.ipynb",
        cwd=folder)  # fmt: skip
    executed = json.loads((folder / f"{EX}.ipynb").read_text(encoding="utf-8"))
    assert not any(
        o.get("output_type") == "error" for c in executed["cells"] for o in c.get("outputs", [])
    )
    # check_outputs.py exits non-zero and prints PROBLEM for a missing or malformed output.
    check = run(folder / ".venv" / "bin" / "python", "check_outputs.py", cwd=folder)
    assert "PROBLEM" not in check.stdout
    assert (folder / "outputs" / "orders_clean.csv").is_file()
