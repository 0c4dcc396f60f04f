"""Named stages from an episode folder to a publishable build/.

ingest → align → captions → credits → master → video → publish. Each stage skips itself when
the content hashes of its inputs and its settings are unchanged (``force`` redoes them), and
reports progress through a callback ``(stage, fraction, message)``.
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .cache import StageState, file_sha256, fingerprint, hash_text
from .episode import Episode, load_episode
from .errors import LockedError, ProductionError
from .records import StageInputs, record_failure, record_inputs  # status hook

log = logging.getLogger(__name__)

Progress = Callable[[str, float, str], None]
STAGE_NAMES = ("ingest", "align", "captions", "credits", "master", "video", "publish")
WORK_DIR = ".work"  # intermediates inside build/ (hidden; not a deliverable)


@dataclass(frozen=True)
class ProduceOptions:
    force: bool = False  # redo every stage even when up to date
    only: str | None = None  # run just this stage (its inputs must exist)
    from_stage: str | None = None  # redo from this stage on
    engine: str | None = None  # overrides episode.toml's engine
    whisper_model: str | None = None  # overrides episode.toml's whisper_model
    offline: bool = False  # never download a named whisper model (cache or .pt path only)
    loudness: str | None = None  # overrides episode.toml's loudness profile
    burn_in: bool = True  # burn bilingual captions into the MP4
    video: bool = True  # render the MP4 at all
    # cluster hook: x264 threads per video encode when episode.toml's [video] threads is unset
    # (None: x264 decides, i.e. every core). Batches set it so parallel encodes share the CPUs.
    encode_threads: int | None = None


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


@dataclass
class Context:
    episode: Episode
    options: ProduceOptions
    progress: Progress
    state: StageState
    products: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def build(self) -> Path:
        return self.episode.build_dir

    @property
    def work(self) -> Path:
        return self.build / WORK_DIR

    def out(self, suffix: str) -> Path:
        return self.build / f"{self.episode.slug}{suffix}"

    def report(self, stage: str) -> Callable[[float, str], None]:
        def tell(fraction: float, message: str = "") -> None:
            self.progress(stage, fraction, message)

        return tell


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Context], None]  # does the work, fills ctx.products
    load: Callable[[Context], None]  # restores ctx.products from outputs when skipped
    inputs: Callable[[Context], tuple[list[Path], Any]]  # (files, settings) that decide freshness
    outputs: Callable[[Context], list[Path]]
    depends: tuple[str, ...] = ()  # upstream stages whose results this one uses


def _noop(ctx: Context) -> None:
    return None


def _quiet(stage: str, fraction: float, message: str = "") -> None:
    return None


class BuildLock:
    """An exclusive lock on build/: a second produce on the same episode refuses at once."""

    def __init__(self, build: Path) -> None:
        self.path = build / WORK_DIR / "lock"
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
    for stage in stages:
        fp, inputs = stage_fingerprint(ctx, stage)
        ctx.fingerprints[stage.name] = fp
        current = ctx.state.is_current(stage.name, fp, stage.outputs(ctx))
        if stage.name not in allowed or (current and stage.name not in forced):
            stage.load(ctx)
            result.skipped.append(stage.name)
            ctx.progress(stage.name, 1.0, "up to date")
            continue
        ctx.progress(stage.name, 0.0, "")
        try:
            stage.run(ctx)
        except Exception as err:  # status hook: `perspective status` shows which stage failed and why
            record_failure(ctx.work, stage.name, err)
            raise
        ctx.state.record(stage.name, fp)
        record_inputs(ctx.work, stage.name, inputs)  # status hook: what this run's fingerprint was made of
        result.ran.append(stage.name)
        ctx.progress(stage.name, 1.0, "done")


def stage_fingerprint(ctx: Context, stage: Stage) -> tuple[str, StageInputs]:
    """A stage's fingerprint and what it is made of (the one place both are computed: the run
    decides freshness with it, `perspective status` explains staleness with the parts)."""
    files, settings = stage.inputs(ctx)
    upstream = [ctx.fingerprints[name] for name in stage.depends]
    fp = fingerprint(files, {"settings": settings, "version": __version__}, upstream)
    parts = StageInputs(
        files={p.name: file_sha256(p) for p in files if p.exists()},
        settings=settings,
        version=__version__,
        upstream={name: ctx.fingerprints[name] for name in stage.depends},
    )
    return fp, parts


def produce_episode(
    folder: str | Path, options: ProduceOptions | None = None, progress: Progress | None = None
) -> ProduceResult:
    """Produce one episode; a ProductionError becomes ``result.error`` (one line)."""
    from .stages import STAGES, check_tables

    options = options or ProduceOptions()
    result = ProduceResult(Path(folder))
    started = time.monotonic()
    try:
        check_stage_names(options)
        episode = load_episode(folder)
        check_tables(episode)
        make_build_dir(episode.build_dir)
        with BuildLock(episode.build_dir):
            remove_stale_parts(episode.build_dir)
            state = StageState(episode.build_dir / WORK_DIR / "stages.json")
            ctx = Context(episode, options, progress or _quiet, state)
            run_stages(ctx, STAGES, result)
    except ProductionError as err:
        result.error = str(err)
        result.exception = err
    result.seconds = time.monotonic() - started
    return result


def check_stage_names(options: ProduceOptions) -> None:
    """Refuse an unknown --only/--from stage before anything is created on disk."""
    for flag, name in (("--only", options.only), ("--from", options.from_stage)):
        if name is not None and name not in STAGE_NAMES:
            raise ProductionError(f"{flag} {name!r} is not a stage; stages are: {', '.join(STAGE_NAMES)}")


def make_build_dir(build: Path) -> None:
    """Create build/ and build/.work/; a file in the way is a clear error, not a crash."""
    for folder in (build, build / WORK_DIR):
        if folder.exists() and not folder.is_dir():
            raise ProductionError(f"{folder} is a file, not a folder: move or rename it, then produce again")
    try:
        (build / WORK_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = err.strerror or err
        raise ProductionError(f"cannot create {build / WORK_DIR}: {reason}; check the folder's permissions") from err


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


def settings_digest(obj: Any) -> str:
    return hash_text(repr(obj))
