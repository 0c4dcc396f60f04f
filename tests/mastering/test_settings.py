"""Loudness profiles (docs/output-rules.md "Loudness and audio") and settings validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from production.errors import ProductionError
from production.mastering import PROFILES, MasteringSettings
from production.tags import check_cover


@pytest.mark.parametrize(
    ("profile", "lufs", "peak"),
    [("podcast", -16.0, -1.0), ("broadcast", -23.0, -1.0), ("us-broadcast", -24.0, -2.0)],
)
def test_profiles_carry_the_guideline_numbers(profile: str, lufs: float, peak: float) -> None:
    target = MasteringSettings(profile=profile).target
    assert (target.target_lufs, target.true_peak_dbtp) == (lufs, peak)
    assert target.source


def test_defaults_are_the_podcast_master() -> None:
    s = MasteringSettings()
    assert s.target is PROFILES["podcast"]
    assert (s.mp3_rate, s.mp3_bitrate_kbps, s.channels, s.wav_rate, s.wav_codec) == (
        44100,
        192,
        2,
        48000,
        "pcm_s24le",
    )


def test_shipped_assets_exist_and_the_cover_is_valid() -> None:
    s = MasteringSettings()
    assert s.intro is not None and s.intro.is_file()
    assert s.outro_bed is not None and s.outro_bed.is_file()
    info = check_cover(s.cover)
    assert (info.width, info.height) == (3000, 3000)
    assert s.cover.stat().st_size < 500_000


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"profile": "loud"}, "podcast, broadcast, us-broadcast"),
        ({"aim_lu": 0.8}, "aim_lu"),
        ({"mp3_bitrate_kbps": 100}, "MP3 bitrate"),
        ({"mp3_rate": 22050}, "44100"),
        ({"channels": 1}, "stereo"),
        ({"duck_ratio": 40.0}, "1–20"),
        ({"outro_tail_ms": -1}, "≥ 0 ms"),
        ({"guard_margin_db": 0.0}, "guard_margin_db"),
    ],
)
def test_bad_settings_say_what_to_change(overrides: dict[str, object], words: str) -> None:
    with pytest.raises(ProductionError, match=words):
        MasteringSettings(**overrides)  # type: ignore[arg-type]


def test_paths_given_as_text_become_paths() -> None:
    s = MasteringSettings(intro="assets/audio/intro_sting.flac", cover="cover.png")  # type: ignore[arg-type]
    assert s.intro == Path("assets/audio/intro_sting.flac") and s.cover == Path("cover.png")
