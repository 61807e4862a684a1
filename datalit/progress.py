"""A progress display for multi-step commands (rich; drawn only on a terminal, on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Steps:
    """Context manager: `advance(name)` after each finished step shows what is running."""

    def __init__(self, title: str):
        self.title = title
        self.count = 0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("[dim]{task.completed} steps"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )

    def __enter__(self) -> Steps:
        self._progress.__enter__()
        self._task = self._progress.add_task(self.title, total=None)
        return self

    def advance(self, name: str) -> None:
        self.count += 1
        self._progress.update(self._task, advance=1, description=f"{self.title}: {name}")

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)
