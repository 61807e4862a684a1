"""Driving nbgrader's formgrader as a reviewer does: a real `jupyter server` started in the
course folder (as docs/grading.md says; as root here, hence --allow-root) on a free loopback
port, called through the HTTP API that formgrader's pages use."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

BIN = Path(sys.executable).parent
TOKEN = "datalit-test-token"

Call = Callable[..., object]


@contextlib.contextmanager
def running_formgrader(course: Path) -> Iterator[Call]:
    """Yields call(path, body=None): GET, or PUT `body` as JSON; formgrader API answers are
    parsed, pages returned as text. The server is stopped on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            str(BIN / "jupyter"),
            *("server", "--no-browser", "--allow-root", "--ip", "127.0.0.1"),
            *(f"--port={port}", f"--IdentityProvider.token={TOKEN}"),
        ],
        cwd=course,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def call(path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "PUT",
            headers={"Authorization": f"token {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return json.loads(text) if path.startswith("/formgrader/api") else text

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call("/formgrader/api/status")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("formgrader did not start") from None
                time.sleep(0.5)
        yield call
    finally:
        server.terminate()
        server.wait(timeout=30)


def grade_in_formgrader(
    call: Call, exercise: str, candidate: str, score: float, comment: str, part: str = "finding"
) -> None:
    """What formgrader's grading page does when a reviewer scores a written part and types a
    comment: PUT the Grade's manual_score and the Comment's manual_comment."""
    notebooks = call(f"/formgrader/api/submitted_notebooks/{exercise}/{exercise}")
    (submission,) = [n for n in notebooks if n["student"] == candidate]
    grades = call(f"/formgrader/api/grades?submission_id={submission['id']}")
    (grade,) = [g for g in grades if g["name"] == part]
    call(f"/formgrader/api/grade/{grade['id']}", {"manual_score": score})
    comments = call(f"/formgrader/api/comments?submission_id={submission['id']}")
    (box,) = [c for c in comments if c["name"] == part]
    call(f"/formgrader/api/comment/{box['id']}", {"manual_comment": comment})
