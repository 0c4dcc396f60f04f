"""`produce --cluster` on a real local Ray cluster: the same bytes as a local produce, and an
episode whose worker is killed mid-encode completes by retry with nothing half-written."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from production.batch import FINISHED, EpisodeEvent
from production.check import check_episode
from production.pipeline import ProduceOptions

from .conftest import copy_episodes, make_short_episode
from .localray import LocalRay

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

MEDIA_AND_CAPTIONS = (".mp3", ".mp4", ".wav", ".srt", ".vtt", ".ass")


def perspective(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=1200, check=False
    )


def digests(folder: Path) -> dict[str, str]:
    build = folder / "build"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(build.iterdir())
        if p.suffix in MEDIA_AND_CAPTIONS
    }


def leftovers(folder: Path) -> list[Path]:
    return [p for d in (folder / "build", folder / "build" / ".work") for p in d.glob(".*.part*")]


def test_cluster_produce_matches_local(local_ray: LocalRay, short_episodes: list[Path], tmp_path: Path) -> None:
    local = copy_episodes(short_episodes, tmp_path / "local")
    done = perspective("produce", *map(str, local), "--cpus-per-episode", "1", "--quiet")
    assert done.returncode == 0, done.stderr

    ran = perspective("produce", *map(str, short_episodes), "--cluster", local_ray.address, "--cpus-per-episode", "1")
    assert ran.returncode == 0, ran.stderr
    assert "3 produced, 0 failed" in ran.stderr
    for ours, theirs in zip(short_episodes, local, strict=True):
        got, want = digests(ours), digests(theirs)
        assert {".mp3", ".mp4", ".srt", ".vtt"} <= {Path(n).suffix for n in want}
        assert got == want, ours.name
        assert leftovers(ours) == []


def test_killed_worker_is_retried_and_leaves_nothing_half_written(local_ray: LocalRay, tmp_path: Path) -> None:
    import ray

    from production.cluster import ClusterSpec, connect, produce_on_cluster

    folder = make_short_episode(tmp_path, 0)
    connect(ray, local_ray.address)
    seen: list[EpisodeEvent] = []
    killed: list[int] = []

    def kill_mid_encode(event: EpisodeEvent) -> None:
        seen.append(event)
        if not killed and event.stage == "video" and 0.0 < event.fraction < 1.0:
            pid = int(event.worker.rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)  # the worker process running the episode, mid video encode
            killed.append(pid)

    spec = ClusterSpec(local_ray.address, cpus=1, retries=2)
    (result,) = produce_on_cluster([folder], ProduceOptions(), spec, kill_mid_encode)
    assert killed, "the episode never reported video progress"
    assert result.error == "", result.error
    workers = {e.worker for e in seen if e.worker}
    assert len(workers) == 2 and f":{killed[0]}" in " ".join(workers)  # the first worker, then the retry
    assert seen[-1].stage == FINISHED and seen[-1].message == "ok"
    assert "video" in result.ran and leftovers(folder) == []
    assert [f.message for f in check_episode(folder) if f.severity == "error"] == []


def test_unreachable_cluster_is_one_clear_line(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from .localray import free_port

    folder = tmp_path / "ep"
    folder.mkdir()
    ran = perspective("produce", str(folder), str(folder) + "2", "--cluster", f"127.0.0.1:{free_port()}")
    assert ran.returncode == 1
    lines = [ln for ln in ran.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith("error: cannot use the Ray cluster at"), ran.stderr
    assert "Traceback" not in ran.stderr
