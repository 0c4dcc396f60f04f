"""Signal features for the tts-dtw aligner: streamed decoding, log-mel/MFCC frames, a fine
speech-level envelope. Everything is computed chunk by chunk, so memory stays linear (and small)
in the recording's duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audio import decode_int16  # noqa: F401  (re-exported: the aligner decodes through it)

CHUNK_FRAMES = 3000  # frames per block of feature computation (30 s at a 10 ms hop; its FFT in float64)
DIGITAL_SILENCE_DB = -110.0  # mean log mel level (dB) below which a frame is digital silence
BACKGROUND_BLOCK = 4  # frames merged before the running background minimum
LEVEL_HIGHPASS_HZ = 70.0  # Hz; the refinement level ignores hum and rumble below this
LEVEL_FLOOR_DB = 70.0  # dB below a signal's loud level that counts as silence (dynamic range kept)


@dataclass(frozen=True)
class FrameSpec:
    rate: int  # Hz
    hop: int  # samples between frames
    win: int  # samples per analysis window
    n_fft: int  # FFT length (>= win)
    n_mels: int  # mel bands
    fmin: float  # Hz, lowest mel edge
    fmax: float  # Hz, highest mel edge
    n_ceps: int  # cepstral coefficients kept (c0 included)
    preemphasis: float = (
        0.97  # first-order high-pass folded into the filterbank (0: off, levels as heard)
    )


def mel_filterbank(
    spec: FrameSpec,
    fmin: float | None = None,
    fmax: float | None = None,
    preemphasis: float | None = None,
) -> np.ndarray:
    """Triangular mel filters, shape (n_fft//2+1, n_mels), with the pre-emphasis filter's power
    gain folded in (so one spectrum serves filterbanks with and without it)."""

    def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    lo_hz = spec.fmin if fmin is None else fmin
    hi_hz = spec.fmax if fmax is None else fmax
    coef = spec.preemphasis if preemphasis is None else preemphasis
    mels = np.linspace(hz_to_mel(lo_hz), hz_to_mel(hi_hz), spec.n_mels + 2)
    edges = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(spec.n_fft, 1.0 / spec.rate)
    fb = np.zeros((freqs.size, spec.n_mels), dtype=np.float32)
    for b in range(spec.n_mels):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        fb[:, b] = np.maximum(0.0, np.minimum(rise, fall))
    gain = np.abs(1.0 - coef * np.exp(-2j * np.pi * freqs / spec.rate)) ** 2
    return (fb * gain[:, None]).astype(np.float32)


def n_frames(n_samples: int, spec: FrameSpec) -> int:
    return max(1, 1 + (n_samples - spec.win) // spec.hop) if n_samples >= spec.win else 1


def log_mel(samples: np.ndarray, spec: FrameSpec, extra_bank: np.ndarray | None = None) -> Any:
    """Log mel energies in dB, shape (frames, n_mels), float32; computed in blocks.

    With ``extra_bank`` (a filterbank from ``mel_filterbank``), returns a pair: the spec's log
    mel energies and the extra bank's, from one short-time Fourier transform.
    """
    scale = 1.0 / 32768.0 if samples.dtype == np.int16 else 1.0
    total = n_frames(len(samples), spec)
    banks = [mel_filterbank(spec)] + ([extra_bank] if extra_bank is not None else [])
    window = np.hamming(spec.win).astype(np.float32)
    outs = [np.empty((total, bank.shape[1]), dtype=np.float32) for bank in banks]
    # zero-padded frames, in float64: numpy's FFT is about 3x faster on them than on float32
    buf = np.zeros((min(total, CHUNK_FRAMES), spec.n_fft), dtype=np.float64)
    for f0 in range(0, total, CHUNK_FRAMES):
        f1 = min(total, f0 + CHUNK_FRAMES)
        a, b = f0 * spec.hop, (f1 - 1) * spec.hop + spec.win
        block = samples[a:b].astype(np.float32) * scale
        if len(block) < b - a:
            block = np.pad(block, (0, b - a - len(block)))
        frames = np.lib.stride_tricks.sliding_window_view(block, spec.win)[:: spec.hop][: f1 - f0]
        rows = buf[: f1 - f0]
        np.multiply(frames, window, out=rows[:, : spec.win])
        spectrum = np.fft.rfft(rows, axis=1)
        power = spectrum.real**2
        power += spectrum.imag**2
        del spectrum
        power = power.astype(np.float32)
        for bank, out in zip(banks, outs, strict=True):
            out[f0:f1] = 10.0 * np.log10(power @ bank + 1e-12)
    return (outs[0], outs[1]) if extra_bank is not None else outs[0]


def quick_percentile(x: np.ndarray, q: float | list[float], axis: int | None = None) -> np.ndarray:
    """Percentile over at most ~20000 evenly spaced rows (plenty for a level estimate)."""
    step = max(1, len(x) // 20000)
    return np.percentile(x[::step], q, axis=axis)


def floor_range(logmel: np.ndarray) -> np.ndarray:
    """Clamp log mel energies to ``LEVEL_FLOOR_DB`` below the signal's loud level."""
    loud = float(quick_percentile(logmel, 99)) if logmel.size else 0.0
    return np.maximum(logmel, loud - LEVEL_FLOOR_DB)


def match_floors(
    syn: np.ndarray, rec: np.ndarray, low_q: float, high_q: float
) -> tuple[np.ndarray, np.ndarray]:
    """Give the synthetic read the recording's per-band dynamic range.

    The recording's pauses sit at its noise floor (room tone, hiss, a music bed); the synthetic
    read's at digital silence. Clamping each band of the recording at its ``low_q`` percentile,
    and each band of the synthetic read the same distance below its ``high_q`` percentile, makes
    pauses look alike in both and stops quiet speech being matched to background.
    """
    audible = rec.mean(axis=1) > DIGITAL_SILENCE_DB
    rec_ref = rec[audible] if audible.any() else rec
    rec_lo = quick_percentile(rec_ref, low_q, axis=0)
    rec_hi = quick_percentile(rec_ref, high_q, axis=0)
    syn_hi = quick_percentile(syn, high_q, axis=0)
    syn_lo = syn_hi - np.maximum(rec_hi - rec_lo, 1.0)
    return np.maximum(syn, syn_lo).astype(np.float32), np.maximum(rec, rec_lo).astype(np.float32)


def background(logmel: np.ndarray, frames: int) -> np.ndarray:
    """Per band, the running minimum over ``frames`` frames (smoothed): the background level
    (room tone, a sustained music bed, or digital silence). Computed on blocks of
    ``BACKGROUND_BLOCK`` frames: a background changes slowly."""
    from .filters import minimum_filter1d, uniform_filter1d

    block = BACKGROUND_BLOCK
    n = len(logmel)
    padded = np.pad(logmel, ((0, (-n) % block), (0, 0)), mode="edge")
    coarse = padded.reshape(-1, block, logmel.shape[1]).min(axis=1)
    size = max(1, frames // block)
    coarse = uniform_filter1d(minimum_filter1d(coarse, size=size, axis=0), size=size, axis=0)
    return np.repeat(coarse, block, axis=0)[:n]


def excess(logmel: np.ndarray, frames: int) -> np.ndarray:
    """Log mel energy above the local background, per band (>= 0)."""
    return np.maximum(0.0, logmel - background(logmel, frames)).astype(np.float32)


def mfcc(logmel: np.ndarray, n_ceps: int) -> np.ndarray:
    """DCT-II (orthonormal) of log mel energies: c0..c{n_ceps-1}. A matrix product (numpy alone:
    importing scipy.fft costs about 0.2 s at start-up)."""
    n = logmel.shape[1]
    k, j = np.arange(n_ceps)[:, None], np.arange(n)[None, :]
    basis = np.sqrt(2.0 / n) * np.cos(np.pi * k * (2 * j + 1) / (2 * n))
    basis[0] /= np.sqrt(2.0)
    return (logmel @ basis.T.astype(np.float32)).astype(np.float32)


def standardise(feats: np.ndarray, c0_weight: float) -> np.ndarray:
    """Per-signal mean/variance normalisation; c0 (overall level) scaled by ``c0_weight``."""
    mean = feats.mean(axis=0)
    std = feats.std(axis=0) + 1e-6
    out = (feats - mean) / std
    out[:, 0] *= c0_weight
    return out.astype(np.float32)


NUMBA_MIN_SAMPLES = 1 << 22  # samples (4.4 min at 16 kHz): from here hop_energies loops in numba
DC_BLOCKER_TAIL = 1e-18  # the numpy path's impulse response is cut where it falls under this


def hop_energies(x: np.ndarray, hop: int, r: float) -> np.ndarray:
    """Sum of squares per ``hop`` int16 samples after two cascaded one-pole DC blockers
    (y[n] = x[n] - x[n-1] + r*y[n-1]). A short signal is filtered in numpy (a convolution with
    the cascade's impulse response, cut where it has decayed to nothing); a long one loops in
    numba (production/align/jit.py), which would cost more to load than it saves here."""
    if len(x) >= NUMBA_MIN_SAMPLES:
        from .jit import hop_energies as compiled

        return compiled(x, hop, r)
    n_hops = len(x) // hop
    if n_hops == 0:
        return np.zeros(0)
    taps = int(np.ceil(2 * np.log(DC_BLOCKER_TAIL) / np.log(r)))  # k * r^k is under the tail here
    one = np.empty(taps)  # one blocker: 1, then (r - 1) * r^(k-1)
    one[0], one[1:] = 1.0, (r - 1.0) * r ** np.arange(taps - 1)
    h = np.convolve(one, one)[:taps]
    n = n_hops * hop
    size = 1 << (n + taps - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x[:n] / 32768.0, size) * np.fft.rfft(h, size), size)[:n]
    return (y.reshape(n_hops, hop) ** 2).sum(axis=1)


def level_db(samples: np.ndarray, hop: int, hops_per_window: int, rate: int) -> np.ndarray:
    """Level in dBFS of windows of ``hops_per_window`` x ``hop`` samples every ``hop`` samples,
    above ``LEVEL_HIGHPASS_HZ`` (hum and rumble are not speech). One value per window start."""
    r = 1.0 - 2.0 * np.pi * LEVEL_HIGHPASS_HZ / rate
    x = samples if samples.dtype == np.int16 else (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    per_hop = hop_energies(x, hop, r)
    if len(per_hop) < hops_per_window:
        per_hop = np.pad(per_hop, (0, hops_per_window - len(per_hop)))
    csum = np.concatenate(([0.0], np.cumsum(per_hop)))
    windows = (csum[hops_per_window:] - csum[:-hops_per_window]) / (hop * hops_per_window)
    return (10.0 * np.log10(windows + 1e-12)).astype(np.float32)
