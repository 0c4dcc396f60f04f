"""Benchmark: 6 short episodes produced `--jobs 1` on this machine vs on a Ray cluster of 2
worker nodes on this same machine (a real `ray start` head plus two nodes of 1 CPU each), in one
run, side by side. Also the peak memory of one produce (the `--memory-per-episode` hint) and the
cost model of docs/cluster.md: episodes x minutes per episode / nodes.

    .venv/bin/python bench/cluster_bench.py            # prints the figures and a Markdown row

Needs the [cluster] extra. On one machine the cluster cannot be faster than its cores allow:
what this measures is the overhead of running through Ray and that the CPU hints hold.
"""

from __future__ import annotations

import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from production.batch import produce_local  # noqa: E402
from production.cluster import ClusterSpec, produce_on_cluster  # noqa: E402
from production.pipeline import ProduceOptions  # noqa: E402
from tests.cluster.conftest import copy_episodes, make_short_episode  # noqa: E402
from tests.cluster.localray import LocalRay  # noqa: E402

EPISODES = 6
CATALOGUE = 500  # the cost model's example: a back catalogue of 500 episodes


def main() -> None:
    import os

    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    try:
        (work / "made").mkdir()
        made = []  # six folders, three scripts (the synthesis of a script is made once, then cached)
        for n in range(EPISODES):
            folder = make_short_episode(work / f"src{n}", n % 3)
            made.append(Path(shutil.move(str(folder), work / "made" / f"{folder.name}-{n}")))
        local = copy_episodes(made, work / "local")
        remote = copy_episodes(made, work / "cluster")
        audio_s = sum(_duration_s(f / "host.wav") for f in made)

        started = time.monotonic()
        results = produce_local(local, ProduceOptions(), jobs=1)
        local_s = time.monotonic() - started
        assert all(not r.error for r in results), [r.error for r in results if r.error]
        peak_mb = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ) / 1024

        env = {k: v for k, v in os.environ.items() if k.startswith("PERSPECTIVE_")}
        cluster = LocalRay(Path(sys.executable).parent / "ray", env)
        try:
            up = time.monotonic()
            cluster.start_head(num_cpus=0, resources='{"head": 1}')  # the head schedules; the nodes work
            cluster.add_node(num_cpus=1, resources='{"node1": 1}')
            cluster.add_node(num_cpus=1, resources='{"node2": 1}')
            cluster.wait_for(3)
            up_s = time.monotonic() - up
            started = time.monotonic()
            results = produce_on_cluster(remote, ProduceOptions(), ClusterSpec(cluster.address, cpus=1))
            cluster_s = time.monotonic() - started
        finally:
            cluster.stop()
        assert all(not r.error for r in results), [r.error for r in results if r.error]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    per_episode_min = local_s / EPISODES / 60
    print(f"{EPISODES} episodes, {audio_s:.1f} s of audio in all; cores here: {os.cpu_count()}")
    print(f"--jobs 1 here:          {local_s:7.1f} s  ({per_episode_min:.2f} min per episode)")
    print(f"cluster, 2 nodes x 1:   {cluster_s:7.1f} s  (start-up of the 3 Ray processes: {up_s:.1f} s, not included)")
    print(f"ratio jobs1 / cluster:  {local_s / cluster_s:.2f}")
    print(f"peak memory of a produce (largest process): {peak_mb:.0f} MB")
    for nodes in (1, 4, 16):
        hours = CATALOGUE * per_episode_min / nodes / 60
        print(f"cost model: {CATALOGUE} episodes x {per_episode_min:.2f} min / {nodes} node(s) = {hours:.1f} h")
    print(
        f"| {date.today()} | {platform.node()} ({os.cpu_count()} cores) | {EPISODES} | {local_s:.1f} s | "
        f"{cluster_s:.1f} s | {local_s / cluster_s:.2f} | {peak_mb:.0f} MB |"
    )


def _duration_s(wav: Path) -> float:
    import wave

    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


if __name__ == "__main__":
    main()
