"""Many episodes at once, on this machine (``--jobs``) or on a Ray cluster (``--cluster``).

Both report per-stage progress of every episode through one callback of ``EpisodeEvent``s, in
the order things happen (a result is reported when it arrives, not in submission order), and
both give each episode a share of the CPUs: the video encode runs with that many x264 threads,
so N parallel encodes do not each try to use every core.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import pipeline
from .pipeline import ProduceOptions, ProduceResult, check_stage_names, distinct_folders

log = logging.getLogger(__name__)

FINISHED = "finished"  # EpisodeEvent.stage when an episode's result has arrived (message: "ok" or the error)
POLL_S = 0.2  # how often the parent collects progress from its workers


@dataclass(frozen=True)
class EpisodeEvent:
    folder: str
    stage: str  # a pipeline stage, or FINISHED
    fraction: float
    message: str = ""
    worker: str = ""  # host:pid that sent it (a new one for the same episode means a retry)


EpisodeProgress = Callable[[EpisodeEvent], None]


def cpus_per_episode(jobs: int, cpus: int | None = None) -> int:
    """This machine's cores shared by ``jobs`` parallel episodes (at least one each)."""
    return max(1, (cpus or os.cpu_count() or 1) // max(1, jobs))


def worker_name() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def produce_reporting(folder: Path, options: ProduceOptions, send: Callable[[EpisodeEvent], None]) -> ProduceResult:
    """produce_episode with its progress turned into EpisodeEvents; a bug in it becomes this
    episode's error (the batch goes on). Progress is thinned to stage starts/ends and 5 % steps."""
    name, who = str(folder), worker_name()
    last: dict[str, float] = {}

    def tell(stage: str, fraction: float, message: str = "") -> None:
        if fraction in (0.0, 1.0) or fraction - last.get(stage, -1.0) >= 0.05:
            last[stage] = fraction
            send(EpisodeEvent(name, stage, fraction, message, who))

    try:
        result = pipeline.produce_episode(folder, options, tell)  # by module: tests inject faults there
    except Exception as err:
        log.debug("internal error producing %s", folder, exc_info=True)
        message = f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback)"
        result = ProduceResult(Path(folder), error=message, exception=err)
    return result  # in this process: the exception stays for --debug


def portable_result(result: ProduceResult) -> ProduceResult:
    """``result`` without its exception, to cross processes by pickle."""
    return replace(result, exception=None)


# ---------------------------------------------------------------- one machine
_events: Any = None  # in a worker process: the batch's progress queue
_stopped: Any = None  # in a worker process: set on Ctrl-C; episodes not started never start


def _worker_start(events: Any, stopped: Any) -> None:
    global _events, _stopped
    _events, _stopped = events, stopped


def _local_task(folder: Path, options: ProduceOptions) -> ProduceResult:
    if _stopped is not None and _stopped.is_set():
        return ProduceResult(folder, error="not started: the batch was interrupted")
    try:
        return portable_result(produce_reporting(folder, options, _events.put))
    except KeyboardInterrupt:
        _stopped.set()
        raise


def _drain(events: Any, progress: EpisodeProgress | None) -> None:
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return
        if progress:
            progress(event)


def _finished(result: ProduceResult, progress: EpisodeProgress | None) -> None:
    if progress:
        progress(EpisodeEvent(str(result.folder), FINISHED, 1.0, result.error or "ok"))


def produce_local(
    folders: Sequence[Path], options: ProduceOptions, jobs: int = 1, progress: EpisodeProgress | None = None
) -> list[ProduceResult]:
    """Produce on this machine, ``jobs`` episodes at a time; results in the order given."""
    check_stage_names(options)
    folders, _ = distinct_folders(folders)
    if options.encode_threads is None and jobs > 1 and len(folders) > 1:  # alone, an encode may use every core
        options = replace(options, encode_threads=cpus_per_episode(min(jobs, len(folders))))
    if jobs <= 1 or len(folders) <= 1:
        results = []
        for folder in folders:
            result = produce_reporting(folder, options, progress or (lambda e: None))
            _finished(result, progress)
            results.append(result)
        return results
    ctx = multiprocessing.get_context("spawn")  # no forked copies of the parent's threads or locks
    events, stopped = ctx.Queue(), ctx.Event()  # handed to each worker as it starts
    done: dict[Path, ProduceResult] = {}
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_start, initargs=(events, stopped)) as pool:
        futures: dict[Future[ProduceResult], Path] = {pool.submit(_local_task, f, options): f for f in folders}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                _drain(events, progress)
                for fut in finished:
                    folder = futures[fut]
                    try:
                        result = fut.result()
                    except Exception as err:  # a crashed worker is reported, the others go on
                        result = ProduceResult(folder, error=f"worker failed: {type(err).__name__}: {err}")
                    done[folder] = result
                    _finished(result, progress)
        except KeyboardInterrupt:
            stopped.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [done[f] for f in folders]


def produce_batch(
    folders: Sequence[Path],
    options: ProduceOptions,
    jobs: int = 1,
    progress: EpisodeProgress | None = None,
) -> list[ProduceResult]:
    """Every episode on this machine, ``jobs`` at a time (a Ray cluster: ``cluster.produce_on_cluster``)."""
    started = time.monotonic()
    results = produce_local(folders, options, jobs, progress)
    log.info("batch of %d took %.1f s", len(results), time.monotonic() - started)
    return results
