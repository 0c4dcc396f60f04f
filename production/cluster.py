"""Episodes as Ray tasks on an existing Ray cluster (``perspective produce … --cluster ADDRESS``).

Every node must see the episode folders at the same absolute path (a shared filesystem) and
have the toolkit, ffmpeg, eSpeak NG and the fonts installed: see docs/cluster.md. Each episode
is one task that reserves ``cpus`` CPUs (its video encode runs with that many x264 threads) and
``memory_mb`` of memory (alignment's peak), so Ray never places more episodes on a node than it
has room for. A task whose worker dies (node lost, process killed) is run again, up to
``retries`` times; the pipeline's atomic writes and its removal of temporaries left by a killed
run mean a retry starts clean and no half-written output is ever left. Ray is the optional
``[cluster]`` extra: this module is the only one that imports it.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .batch import FINISHED, POLL_S, EpisodeEvent, EpisodeProgress, portable_result, produce_reporting, worker_name
from .errors import ProductionError
from .pipeline import ProduceOptions, ProduceResult, check_stage_names, distinct_folders

log = logging.getLogger(__name__)

CLUSTER_EXTRA = "pip install 'cbn-perspective[cluster]'"
DEFAULT_CPUS = 2  # CPUs (x264 threads) per episode: the encode is most of an episode's CPU time (bench/README.md)
DEFAULT_MEMORY_MB = 1024  # per episode: ~2x the measured 508 MB peak of a produce (bench/README.md, Cluster)
CONNECT_TIMEOUT_S = 5.0  # for the reachability check of a host:port address
DEFAULT_RETRIES = 2  # runs again after a lost worker before the episode is reported failed


class ClusterError(ProductionError):
    """Ray is missing, or the cluster cannot be reached or used."""


@dataclass(frozen=True)
class ClusterSpec:
    address: str  # "auto", "ray://host:port" (Ray client) or "host:port" (the head's GCS port)
    cpus: int = DEFAULT_CPUS
    memory_mb: int = DEFAULT_MEMORY_MB
    retries: int = DEFAULT_RETRIES


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--cluster needs Ray, which is not installed: {CLUSTER_EXTRA}") from None
    return ray


class _Board:
    """A Ray actor the episode tasks post progress to; the driver takes what has arrived."""

    def __init__(self) -> None:
        self.events: list[EpisodeEvent] = []

    def put(self, event: EpisodeEvent) -> None:
        self.events.append(event)

    def take(self) -> list[EpisodeEvent]:
        out, self.events = self.events, []
        return out


def _episode_task(folder: str, options: ProduceOptions, board: Any) -> ProduceResult:
    """Runs on a worker node: produce one episode, posting progress to the board."""
    path = Path(folder)
    if not path.is_dir():
        return ProduceResult(
            path,
            error=f"{folder} is not visible on node {worker_name()}: every node must see the episode folders "
            "at the same path (a shared filesystem; see docs/cluster.md)",
        )
    return portable_result(produce_reporting(path, options, lambda event: board.put.remote(event)))  # fire and forget


def _reachable(address: str) -> None:
    """Ray keeps retrying an address nobody answers on for minutes: try its TCP port first."""
    hostport = address.removeprefix("ray://")
    if hostport == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError) as err:
        raise ClusterError(
            f"cannot use the Ray cluster at {address!r}: nothing answers there ({err}); start one with "
            "`ray start --head` and give its address (auto, host:port or ray://host:port)"
        ) from None


def connect(ray: Any, address: str) -> None:
    if ray.is_initialized():
        return
    _reachable(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except Exception as err:  # Ray raises ConnectionError, RuntimeError, ValueError… for a bad address
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ClusterError(
            f"cannot use the Ray cluster at {address!r}: {first}; start one with `ray start --head` "
            "and give its address (auto, host:port or ray://host:port)"
        ) from err


def produce_on_cluster(
    folders: Sequence[Path], options: ProduceOptions, spec: ClusterSpec, progress: EpisodeProgress | None = None
) -> list[ProduceResult]:
    """Each episode a Ray task; results in the order given, progress as it happens."""
    check_stage_names(options)
    if spec.cpus < 1 or spec.memory_mb < 1 or spec.retries < 0:
        raise ClusterError("--cpus-per-episode and --memory-per-episode must be at least 1, --retries at least 0")
    ray = import_ray()
    folders, _ = distinct_folders(folders)
    absolute = [str(Path(f).resolve()) for f in folders]  # the same path on every node
    if options.encode_threads is None:
        options = replace(options, encode_threads=spec.cpus)
    connect(ray, spec.address)
    board = ray.remote(num_cpus=0)(_Board).remote()
    task = ray.remote(_episode_task).options(
        num_cpus=spec.cpus,
        memory=spec.memory_mb * 1024 * 1024,
        max_retries=spec.retries,
        retry_exceptions=False,  # a ProductionError is a result, not a crash: only lost workers retry
    )
    refs = {task.remote(folder, options, board): i for i, folder in enumerate(absolute)}
    results: dict[int, ProduceResult] = {}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=POLL_S)
            _forward(ray.get(board.take.remote()), progress)
            for ref in ready:
                i = refs[ref]
                try:
                    result = ray.get(ref)
                except Exception as err:  # retries exhausted, or the cluster went away
                    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                    result = ProduceResult(Path(folders[i]), error=f"lost on the cluster: {type(err).__name__} {first}")
                result = replace(result, folder=Path(folders[i]))  # as the user named it
                results[i] = result
                if progress:
                    _forward(ray.get(board.take.remote()), progress)  # this episode's last stages first
                    progress(EpisodeEvent(str(folders[i]), FINISHED, 1.0, result.error or "ok"))
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        ray.kill(board)
    return [results[i] for i in range(len(folders))]


def _forward(events: list[EpisodeEvent], progress: EpisodeProgress | None) -> None:
    if progress:
        for event in events:
            progress(event)


def wait_for_nodes(ray: Any, count: int, timeout_s: float = 60.0) -> None:
    """Block until the cluster has ``count`` live nodes (tests and the benchmark start nodes)."""
    deadline = time.monotonic() + timeout_s
    while sum(1 for n in ray.nodes() if n.get("Alive")) < count:
        if time.monotonic() > deadline:
            raise ClusterError(f"the Ray cluster did not reach {count} nodes within {timeout_s:.0f} s")
        time.sleep(0.5)
