"""The independent meter against signals whose answer is known, and against ffmpeg's ebur128."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from production.mastering.meter import integrated_lufs, loudness_range, measure, true_peak_dbtp
from tests.mastering.conftest import ebur128_true_peak

RATE = 48000


def _write_stereo(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    pcm = np.round(np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def test_true_peak_finds_the_peak_between_samples(tmp_path: Path) -> None:
    # a sine at fs/4, phase 45°: every sample is at ±0.707 (−3.01 dBFS) but the wave reaches ±1.0
    n = np.arange(RATE * 2)
    fade = np.minimum(1.0, np.minimum(n, len(n) - n) / (RATE / 10))  # no abrupt edges (they ring)
    x = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4) * fade
    stereo = np.column_stack([x, x])
    sample_peak = 20 * math.log10(np.max(np.abs(stereo)))
    assert sample_peak == pytest.approx(-9.03, abs=0.01)
    assert true_peak_dbtp(stereo, RATE) == pytest.approx(-6.02, abs=0.05)
    assert ebur128_true_peak(_write_stereo(tmp_path / "s.wav", stereo)) == pytest.approx(
        -6.0, abs=0.2
    )


def test_true_peak_of_chunked_long_signal_matches_single_pass() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((100_000, 2)).astype(np.float32) * 0.1
    x[77_777] = 0.9  # one isolated peak, near no chunk edge in particular
    assert true_peak_dbtp(x, RATE, chunk=4096) == pytest.approx(
        true_peak_dbtp(x, RATE, chunk=1 << 20), abs=1e-4
    )


def test_integrated_loudness_of_a_calibration_tone() -> None:
    # BS.1770: a 997 Hz sine at −20 dBFS (peak) in both channels reads −20 LUFS (±0.1: K-weighting)
    t = np.arange(RATE * 5) / RATE
    x = 0.1 * np.sin(2 * np.pi * 997 * t)
    assert integrated_lufs(np.column_stack([x, x]), RATE) == pytest.approx(-20.0, abs=0.1)


def test_silence_and_too_short_signals_read_minus_infinity() -> None:
    assert integrated_lufs(np.zeros((RATE * 2, 2)), RATE) == -math.inf
    assert integrated_lufs(np.full((RATE // 10, 2), 0.5), RATE) == -math.inf
    assert true_peak_dbtp(np.zeros((RATE, 2)), RATE) == -math.inf
    assert loudness_range(np.zeros((RATE, 2)), RATE) == 0.0


def test_measure_reads_a_file_like_ffmpeg_ebur128(tmp_path: Path) -> None:
    t = np.arange(RATE * 6) / RATE
    x = 0.25 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)) / 1.5
    path = _write_stereo(tmp_path / "tone.wav", np.column_stack([x, 0.5 * x]))
    m = measure(path)
    assert m.duration_ms == 6000
    assert m.true_peak_dbtp == pytest.approx(ebur128_true_peak(path), abs=0.15)
    assert m.lra_lu > 1.0  # the level swings by ±3.5 dB


def _swinging(seed: int, seconds: float, rate: int) -> np.ndarray:
    """Noise whose level jumps every 100 ms over 50 dB (some blocks under the gates), stereo."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    levels = np.repeat(10 ** rng.uniform(-3.5, -0.8, (n // (rate // 10) + 1, 1)), rate // 10, axis=0)[:n]
    return (rng.standard_normal((n, 2)) * levels * [1.0, 0.6]).astype(np.float32)


@pytest.mark.parametrize(
    ("seed", "seconds", "rate"), [(1, 0.45, 48000), (2, 4.3, 44100), (3, 9.0, 48000), (4, 6.1, 22050)]
)
def test_loudness_and_range_are_pyloudnorms_figures(seed: int, seconds: float, rate: int) -> None:
    """The compiled pass reads what pyloudnorm's own code reads (same filters, blocks, gates)."""
    x = _swinging(seed, seconds, rate)
    meter = pyloudnorm.Meter(rate)
    assert integrated_lufs(x, rate) == pytest.approx(meter.integrated_loudness(x), abs=1e-4)
    expected_range = meter.loudness_range(x) if seconds >= 3 else 0.0
    assert loudness_range(x, rate) == pytest.approx(expected_range, abs=1e-3)
    assert integrated_lufs(x[:, :1], rate) == pytest.approx(meter.integrated_loudness(x[:, 0]), abs=1e-4)


@pytest.mark.parametrize("seed", [5, 6])
def test_true_peak_is_the_peak_of_the_4x_oversampled_signal(seed: int) -> None:
    """Blocks skipped by the bound never hold the peak: the figure is the full oversampling's."""
    x = _swinging(seed, 3.0, RATE)
    x[RATE // 3] = 0.7  # one click, louder than anything around it
    full = np.max(np.abs(resample_poly(x, 4, 1, axis=0)))
    assert true_peak_dbtp(x, RATE) == pytest.approx(20 * math.log10(full), abs=1e-4)
    assert true_peak_dbtp(x, RATE, chunk=1) == pytest.approx(20 * math.log10(full), abs=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_digital_silence_between_sounds_reads_as_pyloudnorm_reads_it(dtype: type) -> None:
    """Stretches of exact zeros (where the filters' states would decay into subnormal floats, which
    the meter guards against with a tone far under the gate) change no figure: still pyloudnorm's."""
    x = _swinging(7, 12.0, RATE)
    x[2 * RATE : 7 * RATE] = 0.0
    x[9 * RATE :] = 0.0
    reference = pyloudnorm.Meter(RATE).integrated_loudness(x.astype(np.float64))
    samples = x if dtype is np.float32 else np.round(x * 2**31 * 0.999).astype(np.int32)
    offset = 0.0 if dtype is np.float32 else 20 * math.log10(0.999)
    assert integrated_lufs(samples, RATE) == pytest.approx(reference + offset, abs=1e-4)
    assert integrated_lufs(np.zeros((RATE, 2), dtype), RATE) == -math.inf
