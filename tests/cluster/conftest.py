"""A real local Ray cluster (head + one more node, each its own raylet with its own resources)
and short real episodes (an eSpeak NG read) for the cluster tests. Skips only without Ray."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .localray import LocalRay

SCRIPT = """CBNPerspective丨{title}
Hello! Welcome to the new CBN Perspective. I'm Ada Lin.
{line}
Thanks for listening.
Host: Ada LIN
Writer: Ada LIN
"""

ZH = """你好！欢迎收看新一期《CBN视角》。我是林雅。
{line}
感谢收听。
"""

TOML = """title = "{title}"
date = 2026-11-27
script = "script.txt"
translation = "script.zh.txt"
host_audio = "host.wav"
host = "Ada LIN"
description = "A short episode for the cluster tests."
"""

LINES = (  # (English, Chinese): the episodes differ in one line
    ("Battery makers spent more on research last year.", "电池制造商去年增加了研发投入。"),
    ("The rules start in 2027, and the market is watching.", "新规将于2027年生效，市场正在关注。"),
    ("Ports in the south handled record cargo in November.", "南方港口十一月的货运量创下纪录。"),
)


def make_short_episode(root: Path, n: int) -> Path:
    from production.demo import synthesise_host_read

    title = f"Short episode {n + 1}"
    folder = root / f"2026-11-2{n + 1}-short-{n + 1}"
    folder.mkdir(parents=True)
    en, zh = LINES[n % len(LINES)]
    (folder / "script.txt").write_text(SCRIPT.format(title=title, line=en), encoding="utf-8")
    (folder / "script.zh.txt").write_text(ZH.format(line=zh), encoding="utf-8")
    (folder / "episode.toml").write_text(TOML.format(title=title), encoding="utf-8")
    synthesise_host_read(folder)
    return folder


def ray_bin() -> Path:
    return Path(sys.executable).parent / "ray"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[LocalRay]:
    pytest.importorskip("ray", reason="Ray is not installed (the [cluster] extra)")
    if not ray_bin().exists():
        pytest.skip(f"no ray command beside {sys.executable}")
    env = {k: v for k, v in os.environ.items() if k.startswith("PERSPECTIVE_")}
    cluster = LocalRay(ray_bin(), env)
    try:
        cluster.start_head(num_cpus=1, resources='{"head": 1}')
        cluster.add_node(num_cpus=1, resources='{"second": 1}')
        cluster.wait_for(2)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def short_episodes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("catalogue")
    return [make_short_episode(root, n) for n in range(3)]


def copy_episodes(folders: list[Path], root: Path) -> list[Path]:
    """Fresh copies (no build/) of episode folders, same folder names, under ``root``."""
    out = []
    for f in folders:
        shutil.copytree(f, root / f.name, ignore=shutil.ignore_patterns("build"))
        out.append(root / f.name)
    return out
