"""Session media for the video tests: built once with the real tools, reused by every test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from production.video import SoftSub, VideoReport, VideoSettings, render_video

from . import media

TITLE = "DeepSeek aftermath: Should Shenzhen…"
HOST = "Jane O'Neil"


@dataclass(frozen=True)
class Media:
    folder: Path
    audio: Path
    ass: Path
    en_srt: Path
    zh_srt: Path
    roll: Path

    @property
    def soft_subs(self) -> tuple[SoftSub, SoftSub]:
        return (SoftSub(self.en_srt, "eng", "English"), SoftSub(self.zh_srt, "chi", "中文（简体）"))


@pytest.fixture(scope="session")
def video_media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    # a folder name with a space, ':' and a quote: paths reach ffmpeg filter strings
    folder = tmp_path_factory.mktemp("video") / "ep 1: 'media'"
    folder.mkdir()
    return Media(
        folder=folder,
        audio=media.write_speech(folder / "host master.wav"),
        ass=media.write_ass(folder / "ep:1's.bilingual.ass"),
        en_srt=media.write_srt(folder / "ep.en.srt", "en"),
        zh_srt=media.write_srt(folder / "ep.zh-Hans.srt", "zh"),
        roll=media.write_roll(folder / "roll.mp4"),
    )


def _render(m: Media, name: str, burn_in: bool) -> VideoReport:
    return render_video(
        m.folder / name,
        m.audio,
        TITLE,
        HOST,
        VideoSettings(burn_in=burn_in),
        m.ass,
        m.soft_subs,
        m.roll,
        media.ROLL_START_MS,
    )


@pytest.fixture(scope="session")
def burned(video_media: Media) -> VideoReport:
    return _render(video_media, "burned.mp4", burn_in=True)


@pytest.fixture(scope="session")
def clean(video_media: Media) -> VideoReport:
    return _render(video_media, "clean.mp4", burn_in=False)
