"""Running minimum, maximum and mean along one axis, as scipy.ndimage's ``minimum_filter1d``,
``maximum_filter1d`` and ``uniform_filter1d`` compute them with their defaults (mode "reflect":
the edge sample repeated, ``d c b a | a b c d | d c b a``; the window of ``size`` samples at i
covers i - size//2 ... i - size//2 + size - 1).

In numpy because importing scipy.ndimage costs about 0.2 s, a seventh of a short alignment's
start-up budget. Minimum and maximum take O(n) whatever the window (van Herk / Gil-Werman: per
block of ``size`` samples a running extreme from each end, one window = two lookups), so the
4-second loud-level window on a 3-hour episode costs no more than a short one.
"""

from __future__ import annotations

import numpy as np


def _reflected(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """``x`` padded for a centred window of ``size``, with ``axis`` moved first."""
    y = np.moveaxis(np.asarray(x), axis, 0)
    before = size // 2
    after = size - 1 - before
    pad = [(before, after)] + [(0, 0)] * (y.ndim - 1)
    return np.pad(y, pad, mode="symmetric")


def _running_extreme(x: np.ndarray, size: int, axis: int, ufunc: np.ufunc) -> np.ndarray:
    if size < 1:
        raise ValueError(f"filter size must be at least 1 (got {size})")
    n = np.shape(x)[axis]
    y = _reflected(x, size, axis)  # n + size - 1 rows
    blocks = -(-len(y) // size)
    fill = np.full((blocks * size - len(y), *y.shape[1:]), y[-1], dtype=y.dtype)
    z = np.concatenate([y, fill]).reshape(blocks, size, *y.shape[1:])
    from_start = ufunc.accumulate(z, axis=1).reshape(-1, *y.shape[1:])
    from_end = ufunc.accumulate(z[:, ::-1], axis=1)[:, ::-1].reshape(-1, *y.shape[1:])
    # window [i, i + size): the block end of i onwards, and the block start up to i + size - 1
    out = ufunc(from_end[:n], from_start[size - 1 : size - 1 + n])
    return np.moveaxis(out, 0, axis)


def minimum_filter1d(x: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    return _running_extreme(x, size, axis, np.minimum)


def maximum_filter1d(x: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    return _running_extreme(x, size, axis, np.maximum)


def uniform_filter1d(x: np.ndarray, size: int, axis: int = -1) -> np.ndarray:
    """Running mean (summed in float64, returned in ``x``'s floating type)."""
    if size < 1:
        raise ValueError(f"filter size must be at least 1 (got {size})")
    n = np.shape(x)[axis]
    y = _reflected(x, size, axis).astype(np.float64)
    csum = np.concatenate([np.zeros((1, *y.shape[1:])), np.cumsum(y, axis=0)])
    out = (csum[size : size + n] - csum[:n]) / size
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    return np.moveaxis(out.astype(dtype), 0, axis)
