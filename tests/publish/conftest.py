"""Publish-bundle fixtures: a real short MP3 (ffmpeg) and a build/ folder with captions in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from production.models import Cue, Sentence
from production.publish import PublishInputs

from .sshd import SshServer, start_sshd

SLUG = "2026-11-27-battery-passport"
HOSTILE = '<script>alert("x")</script> & ]]> {\\pos(0,0)} "double" \'single\' </p><!--'
AUDIO_SECONDS = 4  # long enough for three sentences and a caption change while playing

SENTENCES = (
    Sentence("s0001", "Welcome to the new CBN Perspective.", "welcome", 0, 200, 1200),
    Sentence("s0002", "Batteries now carry passports.", "batteries", 0, 1400, 2500),
    Sentence("s0003", "That is all for today.", "that", 1, 2700, 3800),
)
CUES = (
    Cue(200, 1200, ("Welcome to the new CBN Perspective.",), "en"),
    Cue(1400, 2500, ("Batteries now", "carry passports."), "en"),
    Cue(2700, 3800, ("That is all for today.",), "en"),
)


def _vtt(cues: tuple[Cue, ...]) -> str:
    def t(ms: int) -> str:
        return f"00:{ms // 60000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    body = "\n".join(
        f"{t(c.start_ms)} --> {t(c.end_ms)}\n" + "\n".join(c.lines) + "\n" for c in cues
    )
    return "WEBVTT\n\n" + body


def _srt(cues: tuple[Cue, ...]) -> str:
    def t(ms: int) -> str:
        return f"00:{ms // 60000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "\n".join(
        f"{i}\n{t(c.start_ms)} --> {t(c.end_ms)}\n" + "\n".join(c.lines) + "\n"
        for i, c in enumerate(cues, 1)
    )


def make_sine_mp3(path: Path) -> Path:
    """A real 4 s MP3 (440 Hz sine, 44.1 kHz stereo 128 kbps CBR, as the mastering stage writes)."""
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={AUDIO_SECONDS}",
            "-ar",
            "44100",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="session")
def sine_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make_sine_mp3, once per session."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    return make_sine_mp3(tmp_path_factory.mktemp("audio") / "sine.mp3")


@pytest.fixture
def build_dir(tmp_path: Path, sine_mp3: Path) -> Path:
    """episodes/<slug>/build/ with the MP3 and caption files the earlier stages would have made."""
    folder = tmp_path / SLUG / "build"
    folder.mkdir(parents=True)
    shutil.copyfile(sine_mp3, folder / f"{SLUG}.mp3")
    (folder / f"{SLUG}.en.vtt").write_text(_vtt(CUES), encoding="utf-8")
    (folder / f"{SLUG}.en.srt").write_text(_srt(CUES), encoding="utf-8")
    zh = tuple(
        Cue(c.start_ms, c.end_ms, (z,), "zh-Hans")
        for c, z in zip(CUES, ("欢迎", "电池护照", "再见"), strict=True)
    )
    (folder / f"{SLUG}.zh-Hans.vtt").write_text(_vtt(zh), encoding="utf-8")
    return folder


def make_inputs(build: Path, **changes: Any) -> PublishInputs:
    base = PublishInputs(
        show="CBN Perspective",
        title="Batteries: the passport question",
        slug=SLUG,
        date=dt.date(2026, 11, 27),
        audio_file=build / f"{SLUG}.mp3",
        duration_ms=AUDIO_SECONDS * 1000 + 26,
        sentences=SENTENCES,
        description="Why every EV battery sold in Europe will need a digital passport.",
        host="Ana Host",
        base_url="https://media.example.com/perspective/2026-11-27/",
        zh={"s0001": "欢迎收听新版《CBN视角》。", "s0002": "电池现在有了护照。", "s0003": None},
        chapters=(("Intro", 0, 1300), ("Battery passports", 1300, 4026)),
        persons=(
            {"name": "Ana Host", "role": "host", "group": "cast"},
            {"name": "Bo Writer", "role": "writer", "group": "writing"},
        ),
        credits_markdown=(
            "**Credits · 制作团队**\n\n- 主持人 Host: Ana Host\n- 撰稿 Writer: Bo Writer\n"
        ),
        credits_json={
            "version": 1,
            "roles": [
                {"role": "Host", "role_zh": "主持人", "names": ["Ana Host"], "names_zh": ["安娜"]},
            ],
        },
        caption_files={
            f"{SLUG}.en.vtt": ("text/vtt", "en"),
            f"{SLUG}.en.srt": ("application/x-subrip", "en"),
            f"{SLUG}.zh-Hans.vtt": ("text/vtt", "zh-Hans"),
        },
        captions_en=CUES,
        loudness={
            "integrated_lufs": -16.2,
            "true_peak_dbtp": -1.4,
            "lra": 3.1,
            "profile": "podcast",
            "target_lufs": -16.0,
        },
        qc_summary={"cues": 3, "errors": 0, "warnings": 1},
        qc_issues=(
            {
                "cue_index": 1,
                "lang": "en",
                "rule": "reading-speed",
                "severity": "warning",
                "message": "18.2 cps is over 17 cps",
                "start_ms": 1400,
            },
        ),
        deviations=(
            {
                "kind": "substituted",
                "time_ms": 1500,
                "script": "carry",
                "spoken": "have",
                "fragment_id": "s0002",
            },
            {"kind": "inserted", "time_ms": 3000, "script": "", "spoken": "um", "fragment_id": ""},
        ),
        tool_version="0.1.0",
        engine="tts-dtw",
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def inputs(build_dir: Path) -> PublishInputs:
    return make_inputs(build_dir)


# ---------------------------------------------------------------- a show with produced episodes
ASSETS = Path(__file__).resolve().parents[2] / "assets"
SHOW_BASE = "https://media.example.com/perspective/"
SHOW_TOML = f"""title = "CBN Perspective"
title_zh = "CBN视角"
description = "Business news from China, in English with Chinese captions."
base_url = "{SHOW_BASE}"
cover = "cover.png"
author = "CBN"
language = "en"
categories = ["News/Business News", "Business"]
explicit = false
copyright = "© 2026 CBN"
host = "Ana Host"

[owner]
name = "CBN Podcasts"
email = "podcast@example.com"
"""
FIRST, SECOND = "2026-11-20-first", "2026-11-27-second"


def make_produced(root: Path, slug: str, date: dt.date, mp3: Path) -> Path:
    """An episode folder whose build/ holds what produce writes for publishing (real MP3, captions,
    bundle and manifest from the publish package's own writers), in a few milliseconds."""
    from production.episode import load_episode
    from production.publish import write_bundle

    folder = root / slug
    build = folder / "build"
    build.mkdir(parents=True)
    (folder / "episode.toml").write_text(
        f'title = "Episode {slug}"\ndate = {date.isoformat()}\nscript = "script.txt"\nhost_audio = "host.wav"\n',
        encoding="utf-8",
    )
    (folder / "script.txt").write_text("Hello.\n", encoding="utf-8")
    shutil.copyfile(mp3, build / f"{slug}.mp3")
    (build / f"{slug}.en.vtt").write_text(_vtt(CUES), encoding="utf-8")
    (build / f"{slug}.en.srt").write_text(_srt(CUES), encoding="utf-8")
    with wave.open(str(build / f"{slug}.wav"), "wb") as master:  # the in-house master publish keeps back
        master.setnchannels(1)
        master.setsampwidth(2)
        master.setframerate(8000)
        master.writeframes(b"\0\0" * 800)
    ep = load_episode(folder, require_audio=False)
    inputs = make_inputs(
        build,
        show=ep.show,
        title=ep.title,
        slug=slug,
        date=date,
        audio_file=build / f"{slug}.mp3",
        base_url=ep.base_url,
        caption_files={
            f"{slug}.en.vtt": ("text/vtt", "en"),
            f"{slug}.en.srt": ("application/x-subrip", "en"),
        },
    )
    write_bundle(build, inputs)
    return folder


def make_show_root(root: Path, mp3: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "show.toml").write_text(SHOW_TOML, encoding="utf-8")
    shutil.copyfile(ASSETS / "artwork" / "cover.png", root / "cover.png")
    make_produced(root, FIRST, dt.date(2026, 11, 20), mp3)
    make_produced(root, SECOND, dt.date(2026, 11, 27), mp3)
    return root


@pytest.fixture
def show_root(tmp_path: Path, sine_mp3: Path) -> Path:
    """episodes/ with show.toml, cover.png and two produced episodes (2026-11-20, 2026-11-27)."""
    return make_show_root(tmp_path / "episodes", sine_mp3)


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real sshd on 127.0.0.1 (tests/publish/sshd.py), once per session."""
    yield from start_sshd(tmp_path_factory.mktemp("sshd"))


@pytest.fixture(scope="session")
def produced_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A show root holding one real produced episode: a short eSpeak NG read through every stage
    (about a minute on two cores), made once per session for the slow publish tests."""
    from production.pipeline import ProduceOptions, produce_episode

    from ..pipeline.conftest import make_episode

    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        pytest.skip("ffmpeg and espeak-ng are needed to produce an episode")
    root = tmp_path_factory.mktemp("produced") / "episodes"
    root.mkdir()
    (root / "show.toml").write_text(SHOW_TOML, encoding="utf-8")
    shutil.copyfile(ASSETS / "artwork" / "cover.png", root / "cover.png")
    folder = make_episode(root)
    result = produce_episode(folder, ProduceOptions())
    assert not result.error, result.error
    return root
