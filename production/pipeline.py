"""Named stages from an episode folder to a publishable build/.

ingest → align → captions → credits → master → video → publish (the table is stages.py; the
typed results they hand on are stagekit.py; file names are layout.py). A stage skips itself
when its fingerprint (code version, input contents, settings, the results it reads) is
unchanged and its outputs on disk are the ones it recorded (cache.py); ``force`` redoes it.
Progress goes to a callback ``(stage, fraction, message)``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import StageState, fingerprint
from .episode import load_episode
from .errors import LockedError, ProductionError
from .layout import WORK_DIR, BuildLayout
from .stagekit import STAGE_NAMES, Context, ProduceOptions, Progress, Stage
from .stages import STAGES

log = logging.getLogger(__name__)

__all__ = ["STAGE_NAMES", "WORK_DIR", "BuildLock", "ProduceOptions", "ProduceResult", "produce_episode", "produce_many"]


@dataclass
class ProduceResult:
    folder: Path
    seconds: float = 0.0
    error: str = ""
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    exception: BaseException | None = field(default=None, repr=False)  # behind ``error``, for --debug

    @property
    def summary(self) -> str:
        return f"ran {', '.join(self.ran) or 'nothing'}; up to date: {', '.join(self.skipped) or 'none'}"


def _quiet(stage: str, fraction: float, message: str = "") -> None:
    return None


class BuildLock:
    """An exclusive lock on build/: a second produce on the same episode refuses at once."""

    def __init__(self, build: Path) -> None:
        self.path = BuildLayout(build, "").lock
        self.fh: Any = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "?"
            self.fh.close()
            raise LockedError(
                f"another `perspective produce` (pid {holder}) is working on {self.path.parents[1]}; "
                "wait for it to finish, then run again"
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def remove_stale_parts(build: Path) -> list[Path]:
    """Delete temporaries (``.*.part*``, see fsutil) a killed run left in build/; call under the lock."""
    stale = [p for folder in (build, build / WORK_DIR) for p in folder.glob(".*.part*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
        log.info("removed %s, left by an interrupted run", p.name)
    return stale


def _select(options: ProduceOptions) -> tuple[set[str], set[str]]:
    """(stages to force, stages allowed to run) from --force/--only/--from."""
    for name in (options.only, options.from_stage):
        if name is not None and name not in STAGE_NAMES:
            raise ProductionError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_NAMES)}")
    if options.only:
        return {options.only}, {options.only}
    if options.from_stage:
        start = STAGE_NAMES.index(options.from_stage)
        return set(STAGE_NAMES[start:]), set(STAGE_NAMES)
    return (set(STAGE_NAMES) if options.force else set()), set(STAGE_NAMES)


def run_stages(ctx: Context, stages: Sequence[Stage], result: ProduceResult) -> None:
    forced, allowed = _select(ctx.options)
    tokens: dict[str, str] = {}
    for stage in stages:
        ctx.stage = stage
        inputs = stage.inputs(ctx)
        upstream = [tokens[name] for name in stage.reads]
        fp = fingerprint(stage.name, stage.version, inputs.files, inputs.settings, upstream)
        outputs = stage.outputs(ctx)
        current = ctx.state.is_current(stage.name, fp, outputs)
        if stage.name not in allowed or (current and stage.name not in forced):
            stage.load(ctx)
            tokens[stage.name] = ctx.state.token(stage.name)
            result.skipped.append(stage.name)
            ctx.progress(stage.name, 1.0, "up to date")
            continue
        ctx.progress(stage.name, 0.0, "")
        before = ctx.state.recorded_outputs(stage.name)
        stage.run(ctx)
        _remove_superseded(ctx.build, before, outputs)
        ctx.state.record(stage.name, fp, stage.outputs(ctx))
        tokens[stage.name] = ctx.state.token(stage.name)
        result.ran.append(stage.name)
        ctx.progress(stage.name, 1.0, "done")
    ctx.stage = None


def _remove_superseded(build: Path, before: Mapping[str, object], outputs: Sequence[Path]) -> None:
    """Delete files this stage wrote last time and no longer writes (outputs named after another
    slug, in a build/ copied from another episode folder); only files the state records."""
    keep = {p.relative_to(build).as_posix() for p in outputs}
    for rel in sorted(set(before) - keep):
        path = build / rel
        if not Path(rel).is_absolute() and ".." not in Path(rel).parts and path.is_file():
            path.unlink()
            log.info("removed %s, superseded by this run's outputs", rel)


def produce_episode(
    folder: str | Path, options: ProduceOptions | None = None, progress: Progress | None = None
) -> ProduceResult:
    """Produce one episode; a ProductionError becomes ``result.error`` (one line)."""
    options = options or ProduceOptions()
    result = ProduceResult(Path(folder))
    started = time.monotonic()
    try:
        _select(options)
        episode = load_episode(folder)
        episode.build_dir.mkdir(parents=True, exist_ok=True)
        with BuildLock(episode.build_dir):
            remove_stale_parts(episode.build_dir)
            state = StageState(episode.layout.state, episode.build_dir)
            ctx = Context(episode, options, progress or _quiet, state)
            run_stages(ctx, STAGES, result)
    except ProductionError as err:
        result.error = str(err)
        result.exception = err
    result.seconds = time.monotonic() - started
    return result


def _produce_quietly(folder: Path, options: ProduceOptions) -> ProduceResult:
    from dataclasses import replace

    return replace(produce_episode(folder, options), exception=None)  # results cross processes by pickle


def produce_many(
    folders: Sequence[Path], options: ProduceOptions, jobs: int = 1, progress: Progress | None = None
) -> list[ProduceResult]:
    """Produce several episodes; ``jobs`` > 1 uses worker processes. One failure stops no other."""
    if jobs <= 1 or len(folders) <= 1:
        return [produce_episode(f, options, progress) for f in folders]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_produce_quietly, Path(f), options) for f in folders]
        results = []
        for folder, fut in zip(folders, futures, strict=True):
            try:
                results.append(fut.result())
            except Exception as err:  # a crashed worker is reported, the others go on
                results.append(ProduceResult(Path(folder), error=f"worker failed: {type(err).__name__}: {err}"))
            if progress:
                progress("episodes", len(results) / len(folders), str(folder))
        return results
