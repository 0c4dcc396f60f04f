"""Sentence edges stay out of the pauses under a swelling music bed and beside unscripted
fillers and breaths (issue 14 item 4). Short generated files with known truth; the broader
figures (beds x levels) are in bench/edges_bench.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from production.align import FragmentInput
from production.align.tts_dtw import TtsDtwEngine
from production.synth import flite_samples, speech_span

from .planted import RATE, SENTENCES, planted_read, rms, write

PAUSES_MS = (1100, 900, 1300)  # long enough for a bed to swell inside
FILLER_PAUSES_MS = (1300, 1100, 1000)  # ... and for a filler with a pause on each side
MAX_ERROR_MS = 100  # an edge this far off shows a caption before or after anyone speaks
PHASE = 0.5  # radians: where the swell starts


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PERSPECTIVE_CACHE", str(tmp_path_factory.mktemp("tts-cache")))
        yield


def fragments(texts: list[str]) -> list[FragmentInput]:
    return [FragmentInput(f"s{i:04d}", t, t) for i, t in enumerate(texts, 1)]


def signed_errors(al_fragments: object, truth: list[tuple[int, int]]) -> np.ndarray:
    """Per edge, ms into the pause (a start early, an end late; negative: into the speech)."""
    spans = [(f.start_ms, f.end_ms) for f in al_fragments]  # type: ignore[attr-defined]
    return np.array([e for (p0, p1), (t0, t1) in zip(spans, truth, strict=True) for e in (t0 - p0, p1 - t1)])


def speech_level(x: np.ndarray) -> float:
    return rms(x[np.abs(x) > 0.01])


def pulsing_bed(n: int, level: float) -> np.ndarray:
    """Sustained triads with harmonics (two-second bars, no percussion), the amplitude swelling
    0.1-1.0 at 0.4 Hz, at RMS ``level``."""
    t = np.arange(n) / RATE
    bed = np.zeros(n)
    for k in range(0, n, 2 * RATE):
        seg = slice(k, min(n, k + 2 * RATE))
        root = (220.0, 174.6, 261.6, 196.0)[(k // (2 * RATE)) % 4]
        for ratio in (0.5, 1.0, 1.26, 1.5):
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                bed[seg] += amp * np.sin(2 * np.pi * root * ratio * h * t[seg])
    bed *= 0.55 + 0.45 * np.sin(2 * np.pi * 0.4 * t + PHASE)
    return (bed * level / rms(bed)).astype(np.float32)


def test_edges_stay_out_of_the_pauses_under_a_swelling_music_bed(tmp_path: Path) -> None:
    texts = SENTENCES[:4]
    samples, truth = planted_read(texts, pauses_ms=PAUSES_MS, head_ms=1000)
    samples = np.concatenate([samples, np.zeros(RATE, np.float32)])
    mixed = samples + pulsing_bed(len(samples), speech_level(samples) * 10 ** (-20 / 20))  # 20 dB under
    audio = write(tmp_path / "bed.wav", 0.5 * mixed / np.abs(mixed).max())
    err = signed_errors(TtsDtwEngine().align(audio, fragments(texts)).fragments, truth)
    assert np.abs(err).max() <= MAX_ERROR_MS, err


def _filler(text: str, level: float) -> np.ndarray:
    clip = flite_samples(text, RATE, "slt", 1.3)
    a, b = speech_span(clip, RATE)
    return (clip[a:b] * level / speech_level(clip[a:b])).astype(np.float32)


def _breath(level: float) -> np.ndarray:
    """350 ms of noise band-passed to 0.5-3 kHz under a rising and falling envelope."""
    n = RATE * 350 // 1000
    spec = np.fft.rfft(np.random.default_rng(5).standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[(f < 500) | (f > 3000)] = 0
    noise = np.fft.irfft(spec, n) * np.sin(np.pi * np.arange(n) / n) ** 1.5
    return (noise * level / rms(noise)).astype(np.float32)


def test_fillers_and_breaths_beside_sentence_edges_are_left_out(tmp_path: Path) -> None:
    texts = SENTENCES[:4]
    samples, truth = planted_read(texts, pauses_ms=FILLER_PAUSES_MS, head_ms=1000)
    level = speech_level(samples)
    at = RATE // 1000
    # "um" 300 ms after sentence 1 ends; a breath 300 ms before sentence 3 starts;
    # "uh" 250 ms before sentence 4 starts (none of them in the script)
    um, breath, uh = _filler("um", level * 0.7), _breath(level * 0.1), _filler("uh", level * 0.7)
    for clip, pos in ((um, (truth[0][1] + 300) * at), (breath, (truth[2][0] - 300) * at - len(breath))):
        samples[pos : pos + len(clip)] += clip
    pos = (truth[3][0] - 250) * at - len(uh)
    samples[pos : pos + len(uh)] += uh
    rng = np.random.default_rng(7)
    room = rng.standard_normal(len(samples)).astype(np.float32) * level * 10 ** (-45 / 20)
    audio = write(tmp_path / "fillers.wav", samples + room)
    err = signed_errors(TtsDtwEngine().align(audio, fragments(texts)).fragments, truth)
    assert np.abs(err).max() <= MAX_ERROR_MS, err
