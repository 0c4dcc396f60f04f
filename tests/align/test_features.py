"""Feature extraction: levels, mel energies, decoding errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from production.align import features, jit
from production.align.features import (
    FrameSpec,
    decode_int16,
    excess,
    hop_energies,
    level_db,
    log_mel,
    mel_filterbank,
    mfcc,
)
from production.audio import save_wav
from production.errors import AudioError

RATE = 16000
SPEC = FrameSpec(RATE, 160, 400, 512, 32, 100.0, 3800.0, 13)


def test_level_matches_a_direct_computation_across_blocks() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(RATE * 300) * 2000).astype(np.int16)  # several processing blocks
    x[RATE * 100 : RATE * 101] = 0
    level = level_db(x, 64, 3, RATE)
    assert len(level) == len(x) // 64 - 2
    # white noise at 2000/32768 RMS, a little reduced by the 70 Hz high-pass
    assert np.median(level) == pytest.approx(20 * np.log10(2000 / 32768), abs=0.3)
    assert (
        level[(RATE * 100 + 200) // 64 : (RATE * 101 - 200) // 64].max() < -100
    )  # the silent second


def test_short_signals_filter_in_numpy_as_the_compiled_loop_does() -> None:
    """hop_energies filters a short signal by convolution (numba is not loaded for it); the
    compiled recursion gives the same levels, silence and the filter's decay included."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(RATE * 5) * 3000).astype(np.int16)
    x[RATE : 2 * RATE] = 0  # digital silence after sound: the filter's tail decays into it
    x[3 * RATE : 3 * RATE + 400] = 30000  # a step: the DC blockers' slowest response
    assert len(x) < features.NUMBA_MIN_SAMPLES
    r = 1.0 - 2.0 * np.pi * features.LEVEL_HIGHPASS_HZ / RATE
    ours, compiled = hop_energies(x, 64, r), jit.hop_energies(x, 64, r)
    assert ours.shape == compiled.shape
    to_db = lambda e: 10 * np.log10(e / 64 + 1e-12)  # noqa: E731
    assert np.abs(to_db(ours) - to_db(compiled)).max() < 1e-6


def test_mfcc_is_the_orthonormal_dct() -> None:
    flat = np.full((3, 32), -20.0, dtype=np.float32)
    c = mfcc(flat, 13)
    assert c[:, 0] == pytest.approx(-20.0 * np.sqrt(32), rel=1e-6)  # all the energy in c0
    assert np.abs(c[:, 1:]).max() < 1e-4
    ramp = np.random.default_rng(2).standard_normal((5, 32)).astype(np.float32)
    full = mfcc(ramp, 32)
    assert np.allclose((full**2).sum(axis=1), (ramp**2).sum(axis=1), rtol=1e-5)  # orthonormal


def test_log_mel_puts_a_tone_in_the_right_band() -> None:
    t = np.arange(RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mel = log_mel(tone, SPEC)
    assert mel.shape == (1 + (RATE - 400) // 160, 32)
    centres = mel_filterbank(SPEC).argmax(axis=0) * RATE / 512
    assert abs(centres[mel.mean(axis=0).argmax()] - 1000) < 120


def test_two_banks_from_one_transform() -> None:
    x = np.random.default_rng(1).standard_normal(RATE).astype(np.float32) * 0.1
    bank = mel_filterbank(SPEC, 60.0, 7600.0, 0.0)
    first, second = log_mel(x, SPEC, bank)
    assert np.allclose(first, log_mel(x, SPEC))
    assert second.shape == first.shape


def test_excess_removes_a_steady_background() -> None:
    mel = np.full((500, 4), -50.0, dtype=np.float32)
    mel[200:260] = -20.0
    above = excess(mel, 150)
    assert np.allclose(above[:150], 0.0) and above[210:250].min() > 25


def test_decoding_errors_are_audio_errors(tmp_path: Path) -> None:
    bad = tmp_path / "not-audio.wav"
    bad.write_text("this is not a recording")
    with pytest.raises(AudioError, match="could not be decoded"):
        decode_int16(bad, RATE)
    good = save_wav(tmp_path / "ok.wav", np.zeros(800, np.float32), RATE)
    assert decode_int16(good, RATE).dtype == np.int16
