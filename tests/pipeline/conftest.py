"""A tiny real episode (synthetic read with eSpeak NG) for end-to-end tests of the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

SCRIPT = """CBNPerspective丨Tinytestepisode
Hello! Welcome to the new CBN Perspective. I’m Ada Lin.
Battery makers spent 35% more on Ramp;D last year. That is a big change.
The rules start in 2027, and the U.S. market is watching closely.
Thanks for listening.
Executive Editor: Sonia YU
Editor: LI Yanxia
Host: Ada LIN
Writer: Ada LIN
Sound Editor: Ada LIN
Graphic Designer: ZHENG Wenjing, LIAO Yuanni
Produced by 21st Century Business Herald Dept. of Overseas News.
Presented by SFC
郑重声明:此文内容仅供参考。
推荐阅读
"""

ZH = """你好！欢迎收看新一期《CBN视角》。我是林雅。
电池制造商去年的研发投入增加了35%。这是一个很大的变化。
新规将于2027年生效，美国市场正在密切关注。
感谢收听。
"""

TOML = """title = "Tiny test episode: R&D, rules; and 'quotes'"
date = 2026-11-27
script = "script.txt"
translation = "script.zh.txt"
host_audio = "host.wav"
host = "Ada LIN"
description = "A tiny episode for the end-to-end tests."
"""


def make_episode(root: Path, name: str = "2026-11-27-tiny") -> Path:
    from production.demo import synthesise_host_read

    folder = root / name
    folder.mkdir(parents=True)
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (folder / "script.zh.txt").write_text(ZH, encoding="utf-8")
    (folder / "episode.toml").write_text(TOML, encoding="utf-8")
    synthesise_host_read(folder)
    return folder


@pytest.fixture
def tiny_episode(tmp_path: Path) -> Path:
    return make_episode(tmp_path)
