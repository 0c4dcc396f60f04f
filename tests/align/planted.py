"""Test material with known truth: sentences synthesised by flite (not eSpeak NG, which the
aligner itself uses), joined with known pauses, optionally under a music bed and room noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from production.audio import save_wav
from production.synth import flite_samples, speech_span

RATE = 16000  # Hz

SENTENCES = [
    "Shares in the largest carmakers rose sharply on Monday morning.",
    "The central bank kept its main lending rate unchanged.",
    "Analysts say the decision was widely expected.",
    "Exports grew faster than imports, leaving a larger trade surplus.",
    "Thanks for listening, and see you next time.",
]
OTHER_SENTENCES = [
    "The mute muffled the high tones of the horn.",
    "Watch the log float in the wide river.",
    "The heap of fallen leaves was set on fire.",
    "His shirt was clean but one button was gone.",
    "Tin cans are absent from store shelves.",
]


def planted_read(
    texts: list[str],
    voices: tuple[str, ...] = ("rms", "slt"),
    stretches: tuple[float, ...] = (1.0, 1.4),
    pauses_ms: tuple[int, ...] = (350, 700, 250),
    head_ms: int = 500,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each sentence by a cycling flite voice and tempo, trimmed to its speech; the true spans."""
    parts = [np.zeros(RATE * head_ms // 1000, np.float32)]
    pos, truth = len(parts[0]), []
    for k, text in enumerate(texts):
        clip = flite_samples(text, RATE, voices[k % len(voices)], stretches[k % len(stretches)])
        a, b = speech_span(clip, RATE)
        gap = np.zeros(RATE * pauses_ms[k % len(pauses_ms)] // 1000, np.float32)
        truth.append((round(pos * 1000 / RATE), round((pos + b - a) * 1000 / RATE)))
        parts += [clip[a:b], gap]
        pos += b - a + len(gap)
    return np.concatenate(parts), truth


def music_bed(n: int, seed: int = 1) -> np.ndarray:
    """Sustained triads with harmonics (two-second bars) and soft hi-hats."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    out = np.zeros(n, np.float32)
    bar = 2 * RATE
    for k in range(0, n, bar):
        seg = slice(k, min(n, k + bar))
        root = (220.0, 174.6, 261.6, 196.0)[(k // bar) % 4]
        env = np.minimum(1.0, (t[seg] - t[k]) / 0.05) * np.exp(-(t[seg] - t[k]) / 3.0)
        for ratio in (1.0, 1.26, 1.5, 0.5):
            out[seg] += (env * np.sin(2 * np.pi * root * ratio * t[seg])).astype(np.float32)
    for k in range(0, n - 800, RATE // 4):
        out[k : k + 800] += (0.6 * rng.standard_normal(800) * np.exp(-np.arange(800) / 150)).astype(
            np.float32
        )
    return out


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def mix(speech: np.ndarray, bed_db: float, noise_db: float, seed: int = 2) -> np.ndarray:
    """``speech`` under a music bed and white noise, levels relative to its speech RMS."""
    rng = np.random.default_rng(seed)
    level = rms(speech[np.abs(speech) > 0.01])
    bed = music_bed(len(speech))
    noise = rng.standard_normal(len(speech)).astype(np.float32)
    out = (
        speech
        + bed * (level * 10 ** (bed_db / 20) / rms(bed))
        + noise * (level * 10 ** (noise_db / 20))
    )
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def write(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    return save_wav(path, samples, rate)


def edge_errors(fragments: object, truth: list[tuple[int, int]]) -> np.ndarray:
    pred = [(f.start_ms, f.end_ms) for f in fragments]  # type: ignore[attr-defined]
    assert len(pred) == len(truth)
    return np.array(
        [
            abs(p - t)
            for ps, ts in zip(pred, truth, strict=True)
            for p, t in zip(ps, ts, strict=True)
        ]
    )
