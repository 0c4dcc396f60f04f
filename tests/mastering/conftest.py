"""Real signals for the mastering tests: eSpeak NG speech with known spans, at set levels."""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

RATE = 48000
PAUSE_MS = 600  # silence before, between and after the sentences
SENTENCES = (
    "Welcome to the new CBN Perspective.",
    "Today we look at battery passports, and what the European rule means for Chinese cell makers.",
    "Suppliers must share data on carbon footprints and recycled content.",
    "This programme was produced by the audio desk. Thanks for listening.",
)


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # mono float64 at RATE
    spans_ms: tuple[tuple[int, int], ...]  # where each sentence's speech is
    rate: int = RATE


def _espeak(text: str, tmp: Path) -> np.ndarray:
    wav = tmp / "s.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "-s", "165", text], check=True)
    raw = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(wav),
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    x = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    loud = np.flatnonzero(np.abs(x) > 1e-3)
    return x[loud[0] : loud[-1] + 1]


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    """~17 s of synthetic read: sentences with pauses; every sentence's true span is known."""
    tmp = tmp_path_factory.mktemp("speech")
    pause = np.zeros(PAUSE_MS * RATE // 1000)
    parts, spans, t = [pause], [], PAUSE_MS
    for text in SENTENCES:
        x = _espeak(text, tmp)
        ms = len(x) * 1000 // RATE
        spans.append((t, t + ms))
        parts += [x[: ms * RATE // 1000], pause]
        t += ms + PAUSE_MS
    return Speech(np.concatenate(parts), tuple(spans))


def write_host(path: Path, samples: np.ndarray, rate: int, lufs: float, clip: bool = False) -> Path:
    """A 16-bit mono WAV measuring ``lufs``; with ``clip`` the gain drives it into hard clipping."""
    meter = pyloudnorm.Meter(rate)
    gain = 10 ** ((lufs - meter.integrated_loudness(samples)) / 20)
    y = samples * gain
    for _ in range(
        30 if clip else 0
    ):  # clipping lowers the level: raise the gain until it reads right
        y = np.clip(samples * gain, -1.0, 1.0)
        gain *= 10 ** ((lufs - meter.integrated_loudness(y)) / 20)
    pcm = np.round(np.clip(y, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def decoded(path: Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode with ffmpeg (float, stereo) for the tests' own measurements."""
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=sample_rate",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    r = rate or int(probe.stdout.strip())
    raw = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "2",
            "-ar",
            str(r),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 2).astype(np.float64), r


def ebur128_true_peak(path: Path) -> float:
    """True peak (dBTP) as ffmpeg's ebur128 filter reads it: a second, independent meter."""
    err = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = err[err.rindex("Summary:") :]
    line = next(x for x in summary.splitlines() if x.strip().startswith("Peak:"))
    return float(line.split()[1])
