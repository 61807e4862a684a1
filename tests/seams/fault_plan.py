"""The fault plan the tests install at the grader's seams (`datalit.grading.seams`).

A plan is JSON: {"kill_worker": candidate id, "pause_in_record": seconds, "bounds": {Bounds
fields}}. `plan_env(**plan)` is the environment that installs it in every Python process a
test starts (sitecustomize.py in this folder reads DATALIT_TEST_PLAN); `FaultPlan(**plan)` is
the same plan for `seams.install` in the test's own process.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

PLAN_ENV = "DATALIT_TEST_PLAN"
HERE = Path(__file__).resolve().parent


class FaultPlan:
    def __init__(self, kill_worker: str = "", pause_in_record: float = 0.0, bounds=None):
        self.kill_worker = kill_worker
        self.pause_in_record = float(pause_in_record)
        self.bounds = bounds

    def reach(self, point: str, **context: Any) -> None:
        from datalit.grading import seams

        if point == seams.WORKER_GRADING and context.get("candidate") == self.kill_worker:
            # What a native crash in a parsing library, or the kernel's OOM killer, does.
            os.kill(os.getpid(), signal.SIGKILL)
        if point == seams.IN_RECORD_TRANSACTION and self.pause_in_record:
            time.sleep(self.pause_in_record)

    def value(self, name: str, default: Any) -> Any:
        from datalit.grading import seams

        if name == seams.BOUNDS and self.bounds is not None:
            return self.bounds
        return default


def plan_env(**plan: Any) -> dict[str, str]:
    """Environment entries that install `plan` in the processes started with them."""
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, PLAN_ENV: json.dumps(plan)}


def install_from_environment() -> None:
    raw = os.environ.get(PLAN_ENV)
    if not raw:
        return
    from datalit.grading import seams

    seams.install(FaultPlan(**json.loads(raw)))


def lower_bounds(monkeypatch, **fields: int) -> None:
    """In the test's own process: the write bounds lowered to `fields` until the test ends."""
    from datalit.grading import seams

    monkeypatch.setattr(seams, "_plan", FaultPlan(bounds=fields))
