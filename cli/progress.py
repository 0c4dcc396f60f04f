"""Progress display: rich bars on a terminal, one plain line per stage elsewhere (CI, pipes)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

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


class EpisodesReporter:
    """Callable ``(EpisodeEvent)``: one row per episode (its current stage and how far the whole
    episode is) on a terminal; elsewhere one plain line per finished stage and per result, in the
    order they happen. A new worker for an episode already started is shown as a retry."""

    def __init__(self, stages: tuple[str, ...], quiet: bool = False) -> None:
        self.stages = stages
        self.quiet = quiet
        self.console = Console(stderr=True)
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._started: dict[tuple[str, str], float] = {}
        self._worker: dict[str, str] = {}

    def __enter__(self) -> EpisodesReporter:
        if interactive() and not self.quiet:
            self._progress = Progress(
                TextColumn("[bold]{task.description:<28}"),
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

    def _say(self, line: str) -> None:
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False)
        elif not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def __call__(self, event: Any) -> None:
        name = Path(event.folder).name or str(event.folder)
        if event.worker and self._worker.get(name, event.worker) != event.worker:
            self._say(f"{name}: worker {self._worker[name]} lost; retrying on {event.worker}")
        if event.worker:
            self._worker[name] = event.worker
        if event.stage == "finished":
            self._update(name, 1.0, "failed" if event.message != "ok" else "done")
            return
        self._started.setdefault((name, event.stage), time.monotonic())
        if event.stage in self.stages:
            overall = (self.stages.index(event.stage) + min(1.0, event.fraction)) / len(self.stages)
            self._update(name, overall, f"{event.stage} {event.message[:40]}")
        if event.fraction >= 1.0 and self._progress is None and not self.quiet:
            took = time.monotonic() - self._started[(name, event.stage)]
            print(f"{name}: {event.stage} {event.message or 'done'} ({took:.1f} s)", file=sys.stderr, flush=True)

    def _update(self, name: str, completed: float, note: str) -> None:
        if self._progress is None:
            return
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name[:28], total=1.0, note="")
        self._progress.update(self._tasks[name], completed=completed, note=escape(note))
