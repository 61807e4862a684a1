"""The real command line, as the end-to-end tests run it: `.venv/bin/datalit` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def datalit(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run `datalit ARGS` and return what it did (never raises on a non-zero exit)."""
    return subprocess.run(
        [str(BIN / "datalit"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
