"""The WAV files the mastering reads and writes without ffmpeg, against ffmpeg's own reading."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from production.mastering.loudness import write_wav24
from production.mastering.media import decode_float, decode_samples, full_scale, read_pcm
from production.mastering.meter import integrated_lufs

RATE = 48000


def _tone(seconds: float = 1.5, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.4 * np.sin(2 * np.pi * 997 * t)[:, None] * np.linspace(0.2, 1.0, channels)
    return x.astype(np.float32)


@pytest.mark.parametrize(("codec", "channels"), [("pcm_s16le", 1), ("pcm_s24le", 2), ("pcm_s32le", 2)])
def test_read_pcm_reads_what_ffmpeg_decodes(tmp_path: Path, codec: str, channels: int) -> None:
    src = tmp_path / "src.f32"
    src.write_bytes(_tone(channels=channels).tobytes())
    wav = tmp_path / "x.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(RATE), "-ac", str(channels), "-i", str(src)]
        + ["-c:a", codec, str(wav)],
        check=True,
    )
    got = read_pcm(wav)
    assert got is not None
    samples, rate = got
    expected, _ = decode_float(wav)
    assert rate == RATE and samples.shape == expected.shape
    assert np.abs(samples * full_scale(samples.dtype) - expected).max() < 1e-6
    # asked for another rate or layout: ffmpeg decodes it (float32)
    assert decode_samples(wav, 44100, channels)[0].dtype == np.float32


def test_read_pcm_leaves_anything_but_pcm_wav_to_ffmpeg(tmp_path: Path) -> None:
    flac = tmp_path / "x.flac"
    src = tmp_path / "src.f32"
    src.write_bytes(_tone().tobytes())
    subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", str(src), str(flac)])
    assert read_pcm(flac) is None
    (tmp_path / "short.wav").write_bytes(b"RIFF\x00\x00")
    assert read_pcm(tmp_path / "short.wav") is None
    assert read_pcm(tmp_path / "missing.wav") is None
    assert decode_samples(flac)[0].dtype == np.float32


def test_write_wav24_is_the_gained_premaster_as_ffmpeg_reads_it(tmp_path: Path) -> None:
    x = _tone(2.0)
    x[100] = [0.99, -0.99]  # clipped by the gain: held at the 24-bit limits
    premaster = np.round(x * 2**31 * 0.5).astype(np.int32)
    wav = tmp_path / "m.wav"
    write_wav24(premaster, 6.0, wav)
    fields = ["-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0"]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", *fields, str(wav)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert probe == "pcm_s24le,48000,2"
    decoded, _ = decode_float(wav)
    expected = np.clip(premaster / 2**31 * 10 ** (6 / 20), -1, 1 - 2**-23)
    assert decoded.shape == expected.shape
    assert np.abs(decoded - expected).max() <= 2**-23
    assert integrated_lufs(decoded, RATE) == pytest.approx(integrated_lufs(premaster, RATE) + 6.0, abs=0.01)


def test_load_segment_reads_a_32_bit_wav_as_ffmpeg_decodes_it(tmp_path: Path) -> None:
    from production.mastering.media import decode_raw, load_segment

    src = tmp_path / "src.f32"
    src.write_bytes(_tone().tobytes())
    wav = tmp_path / "bed.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", str(src), "-c:a", "pcm_s32le"]
        + [str(wav)],
        check=True,
    )
    assert load_segment(wav).raw_data == decode_raw(wav, RATE, 2, fmt="s32le")[0]
