"""The independent meter: ITU-R BS.1770-4 loudness, true peak, loudness range.

ffmpeg renders the gain and the limiter; this module checks its work with different code. The
loudness is pyloudnorm's (its K-weighting filters, its 400 ms block boundaries and gates, its
Tech 3342 loudness range), computed in one compiled pass: pyloudnorm itself runs ``lfilter`` per
channel and filter stage and then a Python loop over blocks, ~1.2 s for a 7-minute stereo file
where this pass takes a tenth of that (bench/README.md, "Produce"). tests/mastering/test_meter.py
holds it to pyloudnorm and to ffmpeg's ``ebur128``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyloudnorm
from numba import njit
from scipy.signal import firwin

from .media import decode_samples, full_scale

OVERSAMPLE = 4  # ITU-R BS.1770-4 Annex 2: true peak by 4× oversampling (for 48 kHz material)
ABSOLUTE_GATE_LUFS = -70.0  # ITU-R BS.1770-4 absolute gate: nothing quieter is measured
RELATIVE_GATE_LU = -10.0  # ITU-R BS.1770-4 relative gate, under the absolutely gated loudness
BLOCK_S = 0.4  # BS.1770 gating block (400 ms)
BLOCK_OVERLAP = 0.75  # BS.1770: blocks overlap by 75 % (a new block every 100 ms)
LRA_MIN_S = 3.0  # EBU Tech 3342 short-term window (3 s): shorter programmes have no LRA
LRA_OVERLAP = 0.97  # pyloudnorm's Tech 3342 short-term blocks: 3 s every 90 ms
LRA_TAIL_S = 1.5  # Tech 3342: the programme is followed by 1.5 s of silence (pyloudnorm adds it)
LRA_GATE_LU = -20.0  # Tech 3342 relative gate
LRA_PERCENTILES = (10.0, 95.0)  # Tech 3342: the range between these short-term percentiles
LOUDNESS_OFFSET = -0.691  # BS.1770: the K-weighting's 0 dB at 997 Hz
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770: L, R, C, Ls, Rs
# true-peak interpolator: scipy.signal.resample_poly's own design for 4× (a Kaiser-windowed sinc,
# β 5, 10 input samples each side), applied as four polyphase branches
TP_HALF = 10  # input samples each side of the interpolated point
TP_KAISER_BETA = 5.0
TP_BLOCK = 32  # samples per true-peak block: small blocks skip most of a levelled programme
# Added to the K-weighting's input with the sign alternating every sample (a Nyquist tone far
# under any gate): in digital silence the filters' states would otherwise decay into subnormal
# floats, which the CPU computes 10–100× slower (a read with silent stretches took 3× as long).
# Its energy, ~1e-40 of full scale, moves no block above the −70 LUFS gate (1e-7).
DENORMAL_GUARD = 1e-20


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float  # -inf for silence
    true_peak_dbtp: float  # -inf for silence
    lra_lu: float  # 0.0 when not measured or not measurable
    duration_ms: int


# ------------------------------------------------------------------------------- kernels


@njit(cache=True, nogil=True)
def _weighted_energy_at(
    x: np.ndarray, coef: np.ndarray, weights: np.ndarray, marks: np.ndarray
) -> np.ndarray:  # pragma: no cover - numba
    """Cumulative channel-weighted energy of the K-weighted signal at each of ``marks``.

    ``x`` (n, channels), float or integer; ``coef`` (stages, 5): b0 b1 b2 a1 a2 of each biquad (a0 = 1),
    run in series as ``scipy.signal.lfilter`` runs them (direct form II transposed, float64);
    ``marks`` ascending sample indices in [0, n]: out[i] = Σ_{t < marks[i]} Σ_c w_c y_c[t]².
    """
    n, channels = x.shape
    stages = coef.shape[0]
    state = np.zeros((channels, stages, 2))
    out = np.zeros(len(marks))
    m = 0
    while m < len(marks) and marks[m] <= 0:
        m += 1
    total = 0.0
    guard = DENORMAL_GUARD
    for t in range(n):
        guard = -guard
        energy = 0.0
        for c in range(channels):
            v = np.float64(x[t, c]) + guard
            for s in range(stages):
                y = coef[s, 0] * v + state[c, s, 0]
                state[c, s, 0] = coef[s, 1] * v - coef[s, 3] * y + state[c, s, 1]
                state[c, s, 1] = coef[s, 2] * v - coef[s, 4] * y
                v = y
            energy += weights[c] * v * v
        total += energy
        while m < len(marks) and marks[m] == t + 1:
            out[m] = total
            m += 1
    return out


@njit(cache=True, nogil=True, fastmath=True)
def _stereo_energy_at(
    x: np.ndarray, coef: np.ndarray, weights: np.ndarray, marks: np.ndarray
) -> np.ndarray:  # pragma: no cover - numba
    """:func:`_weighted_energy_at` for two channels and two biquads (every stereo reading), with
    the filter states in registers and both channels' recursions interleaved: 15–20 % faster."""
    n = x.shape[0]
    b00, b01, b02, a01, a02 = coef[0, 0], coef[0, 1], coef[0, 2], coef[0, 3], coef[0, 4]
    b10, b11, b12, a11, a12 = coef[1, 0], coef[1, 1], coef[1, 2], coef[1, 3], coef[1, 4]
    wl, wr = weights[0], weights[1]
    l0 = l1 = l2 = l3 = r0 = r1 = r2 = r3 = 0.0
    out = np.zeros(len(marks))
    m = 0
    while m < len(marks) and marks[m] <= 0:
        m += 1
    total = 0.0
    guard = DENORMAL_GUARD
    for t in range(n):
        guard = -guard
        u = np.float64(x[t, 0]) + guard
        y = b00 * u + l0
        l0 = b01 * u - a01 * y + l1
        l1 = b02 * u - a02 * y
        z = b10 * y + l2
        l2 = b11 * y - a11 * z + l3
        l3 = b12 * y - a12 * z
        v = np.float64(x[t, 1]) + guard
        p = b00 * v + r0
        r0 = b01 * v - a01 * p + r1
        r1 = b02 * v - a02 * p
        q = b10 * p + r2
        r2 = b11 * p - a11 * q + r3
        r3 = b12 * p - a12 * q
        total += wl * z * z + wr * q * q
        while m < len(marks) and marks[m] == t + 1:
            out[m] = total
            m += 1
    return out


@njit(cache=True, nogil=True, fastmath=True)
def _block_peak(window: np.ndarray, phases: np.ndarray, size: int, buf: np.ndarray) -> float:  # pragma: no cover
    """Largest |value| of every phase's first ``size`` outputs over ``window`` (contiguous)."""
    taps = phases.shape[1]
    peak = np.float32(0.0)
    for r in range(phases.shape[0]):
        for i in range(size):
            buf[i] = 0.0
        for k in range(taps):
            c = phases[r, k]
            for i in range(size):
                buf[i] += c * window[i + k]
        for i in range(size):
            peak = max(peak, abs(buf[i]))
    return float(peak)


@njit(cache=True, nogil=True)
def _peak_abs(x: np.ndarray, phases: np.ndarray, bound: float, block: int) -> float:  # pragma: no cover - numba
    """Largest |value| of the polyphase interpolation of each channel of ``x`` (n, channels).

    ``phases`` (OVERSAMPLE, taps), each row reversed; with ``half`` = taps // 2 zeros before and
    after a channel (xpad), output q of phase r is Σ_i phases[r, i] · xpad[q + i], q in [0, n).
    No output of a block can exceed ``bound`` (the largest Σ|tap| of a row) × the largest
    |input| it reads, so a block whose inputs are all below peak / bound is skipped: the result
    is the full computation's. The block holding the loudest sample goes first, so the peak is
    high from the start; only the blocks computed are copied (channel samples are strided).
    """
    n, channels = x.shape
    taps = phases.shape[1]
    half = taps // 2
    buf = np.empty(block, np.float32)
    window = np.zeros(block + taps - 1, np.float32)
    peak = 0.0
    for c in range(channels):
        loudest = 0
        for i in range(n):
            if abs(np.float64(x[i, c])) > abs(np.float64(x[loudest, c])):
                loudest = i
        first = loudest // block * block
        for turn in range(-1, (n + block - 1) // block):
            start = first if turn < 0 else turn * block
            if turn >= 0 and start == first:
                continue
            size = min(block, n - start)
            lo, hi = start - half, start + size + half  # xpad[start : start + size + taps - 1]
            reach = 0.0
            for i in range(max(0, lo), min(n, hi)):
                reach = max(reach, abs(np.float64(x[i, c])))
            if turn >= 0 and reach * bound <= peak:
                continue
            for i in range(lo, hi):
                window[i - lo] = np.float32(x[i, c]) if 0 <= i < n else np.float32(0.0)
            peak = max(peak, _block_peak(window, phases, size, buf))
    return peak


# ------------------------------------------------------------------------------- coefficients


@lru_cache(maxsize=8)
def _k_filter(rate: int) -> tuple[np.ndarray, float]:
    """pyloudnorm's K-weighting at ``rate``: biquads (b0 b1 b2 a1 a2) and their passband gain."""
    stages = pyloudnorm.Meter(rate)._filters.values()  # high shelf, then high pass
    coef = np.array([[*s.b[:3], *s.a[1:3]] for s in stages], dtype=np.float64)
    return coef, float(np.prod([s.passband_gain for s in stages]))


@lru_cache(maxsize=1)
def _tp_phases() -> np.ndarray:
    """The 4× interpolator (resample_poly's design) as reversed polyphase rows, float32."""
    taps = 2 * TP_HALF * OVERSAMPLE + 1
    h = firwin(taps, 1.0 / OVERSAMPLE, window=("kaiser", TP_KAISER_BETA)) * OVERSAMPLE
    h = np.concatenate([h, np.zeros(OVERSAMPLE - 1)])
    rows = [h[r::OVERSAMPLE][: 2 * TP_HALF + 1] for r in range(OVERSAMPLE)]
    return np.ascontiguousarray(np.array(rows, dtype=np.float32)[:, ::-1])


def _blocks(n: int, rate: int, block_s: float, overlap: float) -> tuple[np.ndarray, np.ndarray]:
    """pyloudnorm's block boundaries (first sample, end sample) for ``n`` samples (same float
    arithmetic, so the same integers)."""
    step = 1.0 - overlap
    count = int(np.round((n / rate - block_s) / (block_s * step))) + 1
    j = np.arange(count)
    lo = (block_s * (j * step) * rate).astype(np.int64)
    hi = (block_s * (j * step + 1) * rate).astype(np.int64)
    return lo, hi


def _frames(samples: np.ndarray) -> tuple[np.ndarray, float]:
    """(n, channels) samples as the kernels read them, and the factor to full scale (±1.0).

    float32 and 16/32-bit integers are read as they are (no converted copy of the programme);
    other floats become float32.
    """
    x = samples.reshape(len(samples), -1)
    if x.dtype in (np.int16, np.int32):
        return x, full_scale(x.dtype)
    return (x if x.dtype == np.float32 else x.astype(np.float32)), 1.0


def _block_energies(
    samples: np.ndarray, rate: int, spans: list[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """Σ_c w_c · mean square of the K-weighted signal over each block of each span list."""
    x, scale = _frames(samples)
    coef, gain = _k_filter(rate)
    weights = np.array(CHANNEL_WEIGHTS[: x.shape[1]]) * (gain * scale) ** 2
    flat = np.concatenate([np.clip(b, 0, len(x)) for lo, hi in spans for b in (lo, hi)])
    marks, where = np.unique(flat, return_inverse=True)
    kernel = _stereo_energy_at if x.shape[1] == 2 and len(coef) == 2 else _weighted_energy_at
    energy = kernel(x, coef, weights, marks)[where]
    out, at = [], 0
    for lo, hi in spans:
        width = hi[0] - lo[0] if len(lo) else 1
        out.append((energy[at + len(lo) : at + 2 * len(lo)] - energy[at : at + len(lo)]) / width)
        at += 2 * len(lo)
    return out


def _gated_lufs(z: np.ndarray) -> float:
    """BS.1770-4 two-gate integrated loudness of block energies (as pyloudnorm gates them)."""
    with np.errstate(divide="ignore"):
        loud = LOUDNESS_OFFSET + 10.0 * np.log10(z)
    above = z[loud >= ABSOLUTE_GATE_LUFS]
    if not len(above):
        return -math.inf
    relative = LOUDNESS_OFFSET + 10.0 * math.log10(float(np.mean(above))) + RELATIVE_GATE_LU
    kept = z[(loud > relative) & (loud > ABSOLUTE_GATE_LUFS)]
    if not len(kept):
        return -math.inf
    value = LOUDNESS_OFFSET + 10.0 * math.log10(float(np.mean(kept)))
    return value if value > ABSOLUTE_GATE_LUFS else -math.inf


def _range_lu(z: np.ndarray) -> float:
    """Tech 3342 loudness range of short-term block energies (as pyloudnorm computes it)."""
    with np.errstate(divide="ignore"):
        loud = LOUDNESS_OFFSET + 10.0 * np.log10(z)
    above = loud[loud >= ABSOLUTE_GATE_LUFS]
    if not len(above):
        return 0.0
    integrated = 10 * math.log10(float(np.sum(np.power(10, above / 10))) / len(above))
    kept = above[above >= integrated + LRA_GATE_LU]
    if not len(kept):
        return 0.0
    low, high = np.percentile(kept, LRA_PERCENTILES)
    return float(high - low)


# ------------------------------------------------------------------------------- the meter


def _loudness_and_range(samples: np.ndarray, rate: int, lra: bool) -> tuple[float, float]:
    n = len(samples)
    if n <= int(BLOCK_S * rate):
        return -math.inf, 0.0
    spans = [_blocks(n, rate, BLOCK_S, BLOCK_OVERLAP)]
    with_range = lra and n >= LRA_MIN_S * rate
    if with_range:
        spans.append(_blocks(n + int(LRA_TAIL_S * rate), rate, LRA_MIN_S, LRA_OVERLAP))
    z = _block_energies(samples, rate, spans)
    return _gated_lufs(z[0]), (_range_lu(z[1]) if with_range else 0.0)


def integrated_lufs(samples: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (BS.1770-4, as pyloudnorm reads it); -inf when nothing passes
    the gate or the signal is shorter than one block. ``samples``: (n,) or (n, channels), float
    in ±1.0 or 16/32-bit integers (read at their full scale) — the same for every function here."""
    return _loudness_and_range(samples, rate, lra=False)[0]


def true_peak_dbtp(samples: np.ndarray, rate: int, chunk: int = TP_BLOCK) -> float:
    """True peak by 4× polyphase oversampling (BS.1770-4 Annex 2), ``chunk`` samples at a time
    (blocks that cannot hold the peak are skipped)."""
    phases = _tp_phases()
    bound = float(np.abs(phases).sum(axis=1).max()) * (1 + 1e-6)  # float32 sums: a hair of margin
    x, scale = _frames(samples)
    peak = _peak_abs(x, phases, bound, max(1, chunk)) * scale if len(x) else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def loudness_range(samples: np.ndarray, rate: int) -> float:
    """EBU Tech 3342 loudness range (as pyloudnorm reads it); 0.0 when too short or too quiet."""
    if len(samples) < LRA_MIN_S * rate:
        return 0.0
    return _loudness_and_range(samples, rate, lra=True)[1]


def read_samples(samples: np.ndarray, rate: int, lra: bool = True) -> Loudness:
    """Loudness, true peak and (unless ``lra`` is False) LRA of samples already in memory; the
    true peak in a second thread (both passes are compiled and let go of the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="true-peak") as beside:
        peak = beside.submit(true_peak_dbtp, samples, rate)
        lufs, lra_lu = _loudness_and_range(samples, rate, lra)
        return Loudness(lufs, peak.result(), lra_lu, len(samples) * 1000 // rate)


def measure(
    path: str | os.PathLike[str],
    rate: int | None = None,
    lra: bool = True,
    channels: int | None = None,
) -> Loudness:
    """Read a file as it is (own rate and channels unless given); ``lra=False`` skips the LRA.
    A PCM WAV file is read directly, anything else through ffmpeg (:func:`decode_samples`)."""
    samples, r = decode_samples(path, rate, channels)
    return read_samples(samples, r, lra)


def measure_loudness(path: str | os.PathLike[str]) -> Loudness:
    """A finished file's loudness, true peak and LRA, as the independent meter reads them."""
    return measure(path)
