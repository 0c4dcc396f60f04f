"""The independent meter: ITU-R BS.1770-4 loudness (pyloudnorm), true peak, loudness range.

ffmpeg renders the gain and the limiter; this module checks its work with different code.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

from .media import decode_float

OVERSAMPLE = 4  # ITU-R BS.1770-4 Annex 2: true peak by 4× oversampling (for 48 kHz material)
ABSOLUTE_GATE_LUFS = -70.0  # ITU-R BS.1770-4 absolute gate: nothing quieter is measured
BLOCK_S = 0.4  # BS.1770 gating block (400 ms)
LRA_MIN_S = 3.0  # EBU Tech 3342 short-term window (3 s): shorter programmes have no LRA


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float  # -inf for silence
    true_peak_dbtp: float  # -inf for silence
    lra_lu: float  # 0.0 when not measured or not measurable
    duration_ms: int


def integrated_lufs(samples: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (pyloudnorm, BS.1770-4); -inf when nothing passes the gate."""
    if len(samples) <= int(BLOCK_S * rate):
        return -math.inf
    value = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    return value if value > ABSOLUTE_GATE_LUFS else -math.inf


def true_peak_dbtp(samples: np.ndarray, rate: int, chunk: int = 1 << 18) -> float:
    """True peak by 4× polyphase oversampling (BS.1770-4 Annex 2), in chunks to bound memory."""
    pad = 64  # samples of context each side of a chunk, so the interpolator sees its neighbours
    x = samples.reshape(len(samples), -1)
    peak = 0.0
    for start in range(0, len(x), chunk):
        lo, hi = max(0, start - pad), min(len(x), start + chunk + pad)
        up = resample_poly(x[lo:hi].astype(np.float32), OVERSAMPLE, 1, axis=0)
        keep = up[
            (start - lo) * OVERSAMPLE : (start - lo + min(chunk, len(x) - start)) * OVERSAMPLE
        ]
        if keep.size:
            peak = max(peak, float(np.max(np.abs(keep))))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def loudness_range(samples: np.ndarray, rate: int) -> float:
    """EBU Tech 3342 loudness range (pyloudnorm); 0.0 when too short or too quiet to measure."""
    if len(samples) < LRA_MIN_S * rate:
        return 0.0
    value = float(pyloudnorm.Meter(rate).loudness_range(samples))
    return 0.0 if math.isnan(value) else value


def measure(
    path: str | os.PathLike[str],
    rate: int | None = None,
    lra: bool = True,
    channels: int | None = None,
) -> Loudness:
    """Read a file as it is (own rate and channels unless given); ``lra=False`` skips the LRA."""
    samples, r = decode_float(path, rate, channels)
    return Loudness(
        integrated_lufs(samples, r),
        true_peak_dbtp(samples, r),
        loudness_range(samples, r) if lra else 0.0,
        len(samples) * 1000 // r,
    )


def measure_loudness(path: str | os.PathLike[str]) -> Loudness:
    """A finished file's loudness, true peak and LRA, as the independent meter reads them."""
    return measure(path)
