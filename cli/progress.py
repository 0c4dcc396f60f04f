"""Progress display: rich bars on a terminal, one plain line per stage elsewhere (CI, pipes)."""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class Reporter:
    """Callable ``(stage, fraction, message)`` the library reports progress through."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True)
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._started: dict[str, float] = {}

    def __enter__(self) -> Reporter:
        if interactive() and not self.quiet:
            self._progress = Progress(
                TextColumn("[bold]{task.description:<10}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}"),
                console=self.console,
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, stage: str, fraction: float, message: str = "") -> None:
        if stage not in self._started:
            self._started[stage] = time.monotonic()
        if self._progress is not None:
            if stage not in self._tasks:
                self._tasks[stage] = self._progress.add_task(stage, total=1.0, note="")
            self._progress.update(self._tasks[stage], completed=min(1.0, fraction), note=escape(message[:60]))
        elif fraction >= 1.0 and not self.quiet:
            took = time.monotonic() - self._started[stage]
            print(f"{stage}: {message or 'done'} ({took:.1f} s)", file=sys.stderr, flush=True)
