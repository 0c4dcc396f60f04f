"""Synthesis: eSpeak NG through the program and the library, the cache, joined reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from production import synth


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PERSPECTIVE_CACHE", str(tmp_path / "cache"))
    yield tmp_path / "cache"


TEXT = "Welcome to the new CBN Perspective, R and D edition."


def test_espeak_samples_are_mono_float_at_the_rate() -> None:
    x = synth.espeak_samples(TEXT, rate=16000)
    assert x.dtype == np.float32 and x.ndim == 1
    assert 1.5 < len(x) / 16000 < 6.0
    assert 0.05 < np.abs(x).max() <= 1.0


def test_espeak_is_cached_per_text_voice_and_speed(_private_cache: Path) -> None:
    first = synth.espeak_samples(TEXT, wpm=160)
    files = list((_private_cache / "tts").rglob("*.npz"))
    assert len(files) == 1
    assert np.array_equal(synth.espeak_samples(TEXT, wpm=160), first)
    assert len(list((_private_cache / "tts").rglob("*.npz"))) == 1  # served from the cache
    slower = synth.espeak_samples(TEXT, wpm=120)
    assert len(slower) > len(first) * 1.15
    files[0].write_bytes(b"damaged")  # a damaged entry is synthesised again
    assert np.array_equal(synth.espeak_samples(TEXT, wpm=160), first)


def test_library_and_program_make_the_same_speech() -> None:
    # libespeak-ng carries a little timing state from call to call, so the two agree in speech
    # duration to within about a percent, not sample for sample
    clip = synth.espeak_clip(TEXT)
    lib = clip.samples.astype(np.float32) / 32768.0
    program = synth.espeak_samples(TEXT, rate=synth.ESPEAK_RATE)
    a1, b1 = synth.speech_span(lib, synth.ESPEAK_RATE)
    a2, b2 = synth.speech_span(program, synth.ESPEAK_RATE)
    assert abs(a1 - a2) <= 220  # the same onset, to 10 ms
    assert abs((b1 - a1) - (b2 - a2)) <= 0.02 * (b2 - a2)
    assert np.sqrt(np.mean(lib**2)) == pytest.approx(np.sqrt(np.mean(program**2)), rel=0.1)


def test_word_starts_are_ordered_and_inside_the_clip() -> None:
    clip = synth.espeak_clip(TEXT)
    assert len(clip.word_starts) == len(TEXT.split())
    assert list(clip.word_starts) == sorted(clip.word_starts)
    assert clip.word_starts[-1] < len(clip.samples)
    if clip.exact_words:  # libespeak-ng present: word events, each word later than the last
        assert len(set(clip.word_starts)) == len(clip.word_starts)


def test_estimated_word_starts_spread_over_the_speech() -> None:
    samples = (synth.espeak_samples(TEXT, rate=synth.ESPEAK_RATE) * 32767).astype(np.int16)
    starts = synth.estimated_word_starts(TEXT, samples, synth.ESPEAK_RATE)
    a, b = synth.speech_span(samples, synth.ESPEAK_RATE)
    assert starts[0] == a and all(a <= s < b for s in starts)
    assert list(starts) == sorted(starts)


@pytest.mark.parametrize("engine", synth.SYNTH_ENGINES)
def test_synth_read_reports_true_speech_spans(engine: str) -> None:
    rate = 16000
    samples, spans = synth.synth_read(
        ["Hello there.", "How are you today?"], 300, rate=rate, engine=engine
    )
    assert len(spans) == 2 and spans[0][0] == 300
    assert spans[1][0] - spans[0][1] == pytest.approx(300, abs=1)
    for a, b in spans:
        speech = samples[a * rate // 1000 : b * rate // 1000]
        assert np.abs(speech[:160]).max() > 0.003 and np.abs(speech[-160:]).max() > 0.003
    gap = samples[spans[0][1] * rate // 1000 + 2 : spans[1][0] * rate // 1000 - 2]
    assert np.abs(gap).max() == 0.0
    assert len(samples) == pytest.approx((spans[-1][1] + 300) * rate / 1000, abs=2)


def test_speech_span_ignores_short_clicks() -> None:
    rate = 16000
    x = np.zeros(rate, np.float32)
    x[1000:1040] = 0.5  # a 2.5 ms click
    x[4000:12000] = 0.3 * np.sin(np.arange(8000) / 5)
    a, b = synth.speech_span(x, rate)
    assert abs(a - 4000) <= 80 and abs(b - 12000) <= 80


def test_resample_keeps_a_tone() -> None:
    t = np.arange(22050) / 22050
    y = synth.resample(np.sin(2 * np.pi * 440 * t).astype(np.float32), 22050, 16000)
    t2 = np.arange(len(y)) / 16000
    assert len(y) == 16000
    assert np.abs(y[200:-200] - np.sin(2 * np.pi * 440 * t2[200:-200])).max() < 1e-3
