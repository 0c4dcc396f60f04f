"""Named stages from an episode folder to a publishable build/.

ingest → align → captions → credits → master → video → clips → publish (the table is stages.py; the
typed results they hand on are stagekit.py; file names are layout.py). A stage skips itself
when its fingerprint (code version, input contents, settings, the results it reads) is
unchanged and its outputs on disk are the ones it recorded (cache.py); ``force`` redoes it.
Progress goes to a callback ``(stage, fraction, message)``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import StageState, file_sha256, fingerprint
from .corrections import load_corrections
from .episode import EPISODE_FILE, Episode, load_episode
from .errors import LockedError, ProductionError
from .fsutil import explain_os_error, prepare_build, shown
from .layout import WORK_DIR, BuildLayout
from .records import FingerprintParts, record_failure, record_inputs  # status hook
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
        try:
            return self._acquire()
        except OSError as err:  # read-only build/, a full disk, a file where .work/ should be
            if self.fh is not None:
                with contextlib.suppress(OSError):  # closing flushes the same unwritable pid again
                    self.fh.close()
            raise explain_os_error(err, self.path if err.filename is None else None) from err

    def _acquire(self) -> BuildLock:
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


def episode_inputs(episode: Episode) -> dict[str, Path | None]:
    """The files an episode's produce reads and never writes, by their episode.toml key."""
    return {
        "script": episode.script,
        "translation": episode.translation,
        "host_audio": episode.host_audio,
        "cover": episode.cover,
    }


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


def _needed_for(stage: str, stages: Sequence[Stage]) -> set[str]:
    """``stage`` and every stage it uses, directly or through another."""
    by_name = {s.name: s for s in stages}
    needed, todo = set(), [stage]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(by_name[name].reads)
    return needed


def require_upstream(ctx: Context, stage: Stage) -> None:
    """``--only X``: a stage X uses whose outputs are missing is named, with the command to run."""
    missing = [p for p in stage.outputs(ctx) if not p.exists()]
    if missing:
        folder = ctx.episode.folder
        raise ProductionError(
            f"--only {ctx.options.only} needs the {stage.name} stage's output {shown(missing[0].relative_to(folder))}, "
            f"which is missing: run `perspective produce --from {stage.name} {shown(folder)}` first "
            f"(or produce without --only)"
        )


def run_stages(ctx: Context, stages: Sequence[Stage], result: ProduceResult) -> None:
    forced, allowed = _select(ctx.options)
    tokens: dict[str, str] = {}
    needed = _needed_for(ctx.options.only, stages) if ctx.options.only else {s.name for s in stages}
    for stage in stages:
        if stage.name not in needed:  # --only X: stages X does not use are neither loaded nor run
            continue
        ctx.stage = stage
        if stage.name not in allowed:
            require_upstream(ctx, stage)
        fp, parts = stage_fingerprint(ctx, stage, tokens)
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
        try:
            stage.run(ctx)
        except Exception as err:  # status hook: `perspective status` shows which stage failed and why
            record_failure(ctx.work, stage.name, err)
            raise
        _remove_superseded(ctx.build, before, outputs)
        ctx.state.record(stage.name, fp, stage.outputs(ctx))
        tokens[stage.name] = ctx.state.token(stage.name)
        record_inputs(ctx.work, stage.name, parts)  # status hook: what this run's fingerprint was made of
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


def stage_fingerprint(ctx: Context, stage: Stage, tokens: Mapping[str, str]) -> tuple[str, FingerprintParts]:
    """A stage's fingerprint and what it is made of (the one place both are computed: the run
    decides freshness with it, `perspective status` explains staleness with the parts).
    ``tokens``: what each stage already run or loaded hands on (StageState.token)."""
    inputs = stage.inputs(ctx)
    upstream = [tokens[name] for name in stage.reads]
    fp = fingerprint(stage.name, stage.version, inputs.files, inputs.settings, upstream)
    parts = FingerprintParts(
        files={p.name: file_sha256(p) for p in inputs.files if p.exists()},
        settings=inputs.settings,
        version=stage.version,
        upstream=dict(zip(stage.reads, upstream, strict=True)),
    )
    return fp, parts


def produce_episode(
    folder: str | Path, options: ProduceOptions | None = None, progress: Progress | None = None
) -> ProduceResult:
    """Produce one episode; a ProductionError becomes ``result.error`` (one line)."""
    options = options or ProduceOptions()
    result = ProduceResult(Path(folder))
    started = time.monotonic()
    loaded = False
    try:
        check_stage_names(options)
        episode = load_episode(folder)
        loaded = True
        load_corrections(episode.folder)  # corrections hook: a bad corrections.toml fails before any stage
        prepare_build(episode.build_dir, episode_inputs(episode))
        with BuildLock(episode.build_dir):
            remove_stale_parts(episode.build_dir)
            episode = _voice_stream(episode)
            state = StageState(episode.layout.state, episode.build_dir)
            ctx = Context(episode, options, progress or _quiet, state)
            run_stages(ctx, STAGES, result)
    except ProductionError as err:
        result.error = str(err)
        result.exception = err
    except OSError as err:  # the lock, a folder that vanished, a full disk: one line naming the path
        result.error = str(explain_os_error(err, near=Path(folder) / "build"))
        result.exception = err
    if result.error and loaded and not (Path(folder) / EPISODE_FILE).is_file():  # a write may recreate it
        result.error = (
            f"the episode folder {shown(folder)} disappeared while producing (moved or deleted?); "
            "put it back and run again"
        )
    result.seconds = time.monotonic() - started
    return result


def check_stage_names(options: ProduceOptions) -> None:
    """Refuse an unknown --only/--from stage before anything is created on disk."""
    for flag, name in (("--only", options.only), ("--from", options.from_stage)):
        if name is not None and name not in STAGE_NAMES:
            raise ProductionError(f"{flag} {name!r} is not a stage; stages are: {', '.join(STAGE_NAMES)}")


def _voice_stream(episode: Episode) -> Episode:
    """With ``host_audio_stream`` set, every stage reads that stream alone, extracted once into
    build/.work (a recorder's file with several audio streams); the host's file is only read."""
    from dataclasses import replace

    from .audio import extract_stream

    index = episode.host_audio_stream
    if index is None:
        return episode
    voice = extract_stream(episode.host_audio, index, episode.layout.work / f"host-audio-stream-{index}.flac")
    return replace(episode, host_audio=voice)


def distinct_folders(folders: Sequence[str | Path]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """The folders to produce, each once, in the order given: ``ep``, ``ep/``, ``./ep`` and a
    symlink to it are one folder (and one build lock). Also returns (repeat, first) pairs."""
    kept: dict[Path, Path] = {}
    repeats: list[tuple[Path, Path]] = []
    for folder in map(Path, folders):
        key = folder.resolve()
        if key in kept:
            repeats.append((folder, kept[key]))
        else:
            kept[key] = folder
    return list(kept.values()), repeats


def _produce_one(folder: Path, options: ProduceOptions, progress: Progress | None = None) -> ProduceResult:
    """produce_episode, with an unexpected exception (a bug) turned into this episode's failure
    so the rest of the batch still runs; Ctrl-C (KeyboardInterrupt) still stops everything."""
    try:
        return produce_episode(folder, options, progress)
    except Exception as err:
        log.debug("internal error producing %s", folder, exc_info=True)
        message = f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback)"
        return ProduceResult(Path(folder), error=message, exception=err)


_batch_stopped: Any = None  # in a worker process: the batch's multiprocessing Event, set on Ctrl-C


def _worker_start(stopped: Any) -> None:
    global _batch_stopped
    _batch_stopped = stopped


def _produce_quietly(folder: Path, options: ProduceOptions) -> ProduceResult:
    from dataclasses import replace

    if _batch_stopped is not None and _batch_stopped.is_set():  # queued before Ctrl-C: never start
        return ProduceResult(folder, error="not started: the batch was interrupted")
    try:
        return replace(_produce_one(folder, options), exception=None)  # results cross processes by pickle
    except KeyboardInterrupt:
        if _batch_stopped is not None:
            _batch_stopped.set()
        raise


def produce_many(
    folders: Sequence[Path], options: ProduceOptions, jobs: int = 1, progress: Progress | None = None
) -> list[ProduceResult]:
    """Produce several episodes, each folder once; ``jobs`` > 1 uses worker processes. Every
    episode is tried whatever happens to the others; KeyboardInterrupt stops the batch."""
    check_stage_names(options)
    folders, _ = distinct_folders(folders)
    if jobs <= 1 or len(folders) <= 1:
        return [_produce_one(f, options, progress) for f in folders]
    stopped = multiprocessing.Event()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start, initargs=(stopped,)) as pool:
        futures = [pool.submit(_produce_quietly, f, options) for f in folders]
        results = []
        try:
            for folder, fut in zip(folders, futures, strict=True):
                try:
                    results.append(fut.result())
                except Exception as err:  # a crashed worker is reported, the others go on
                    results.append(ProduceResult(folder, error=f"worker failed: {type(err).__name__}: {err}"))
                if progress:
                    progress("episodes", len(results) / len(folders), str(folder))
        except KeyboardInterrupt:
            stopped.set()  # episodes not started never start (workers check before each)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        return results
