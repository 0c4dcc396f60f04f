"""quick_probe (the align command's first check) reads a PCM WAV's header instead of starting
ffprobe, and says what ffprobe says; anything else still goes to ffprobe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from production.audio import probe, quick_probe, save_wav


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = np.arange(44100 * 2) / 44100
    return save_wav(tmp_path_factory.mktemp("probe") / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), 44100)


def _convert(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("s16.wav", []),
        ("s24-stereo.wav", ["-ac", "2", "-c:a", "pcm_s24le"]),
        ("u8.wav", ["-ar", "8000", "-c:a", "pcm_u8"]),
        ("f32.wav", ["-c:a", "pcm_f32le"]),  # not PCM integer: ffprobe
        ("tone.mp3", []),  # not WAV: ffprobe
    ],
)
def test_quick_probe_says_what_ffprobe_says(source: Path, tmp_path: Path, name: str, args: list[str]) -> None:
    audio = _convert(source, tmp_path / name, *args)
    assert quick_probe(audio) == probe(audio)


def test_a_truncated_wav_is_measured_by_ffprobe(source: Path, tmp_path: Path) -> None:
    """The header states 2 s but half the data is missing: ffprobe measures what is there."""
    cut = tmp_path / "cut.wav"
    data = source.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert quick_probe(cut) == probe(cut)
    assert quick_probe(cut).duration_ms < 1500
