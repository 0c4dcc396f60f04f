"""The numba kernels of the tts-dtw aligner, for long recordings only.

Importing numba and loading even cached machine code costs about half a second to a second
(numba's own import, then its lowering registries the first time a function is called). A short
recording is aligned in numpy (``dtw.banded_dtw`` and ``features.level_db`` choose by size), so
this module is imported only where a narrow DTW band runs over many rows or a long signal is
filtered, where compiled loops pay for that. ``cache=True``: compiled code is kept on disk beside
this file (numba's ``__pycache__``), so a process compiles nothing that an earlier one compiled.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .dtw_codes import DIAG, INF, LEFT, START, UP


@njit(cache=True, nogil=True)
def _dist(S: np.ndarray, i: int, R: np.ndarray, j: int) -> float:
    acc = 0.0
    for k in range(S.shape[1]):
        d = S[i, k] - R[j, k]
        acc += d * d
    return np.sqrt(acc)


@njit(cache=True, nogil=True)
def banded_dtw(S, R, lo, hi, head_cost, tail_cost):  # type: ignore[no-untyped-def,unused-ignore]
    """See ``dtw.banded_dtw``."""
    n = S.shape[0]
    m = R.shape[0]
    off = np.zeros(n + 1, np.int64)
    width = 1
    for i in range(n):
        off[i + 1] = off[i] + (hi[i] - lo[i])
        width = max(width, hi[i] - lo[i])
    bp = np.empty(off[n], np.uint8)
    prev = np.full(width, INF)
    cur = np.full(width, INF)
    plo, phi = 0, 0
    for i in range(n):
        a, b = lo[i], hi[i]
        for j in range(a, b):
            best = INF
            code = START
            if i == 0:
                best = j * head_cost
            else:
                if plo <= j - 1 < phi and prev[j - 1 - plo] < best:
                    best = prev[j - 1 - plo]
                    code = DIAG
                if plo <= j < phi and prev[j - plo] < best:
                    best = prev[j - plo]
                    code = UP
            if j > a and cur[j - 1 - a] < best:
                best = cur[j - 1 - a]
                code = LEFT
            cur[j - a] = best + _dist(S, i, R, j) if best < INF else INF
            bp[off[i] + j - a] = code
        tmp = prev
        prev = cur
        cur = tmp
        plo, phi = a, b
    # prev now holds the last row
    best = INF
    jend = lo[n - 1]
    for j in range(lo[n - 1], hi[n - 1]):
        total = prev[j - lo[n - 1]] + (m - 1 - j) * tail_cost
        if total < best:
            best = total
            jend = j
    path_lo = np.full(n, -1, np.int64)
    path_hi = np.full(n, -1, np.int64)
    row_cost = np.zeros(n)
    row_cells = np.zeros(n)
    i, j = n - 1, jend
    while True:
        if path_hi[i] < 0:
            path_hi[i] = j
        path_lo[i] = j
        row_cost[i] += _dist(S, i, R, j)
        row_cells[i] += 1
        code = bp[off[i] + j - lo[i]]
        if code == DIAG:
            i -= 1
            j -= 1
        elif code == UP:
            i -= 1
        elif code == LEFT:
            j -= 1
        else:
            break
    return path_lo, path_hi, row_cost / np.maximum(row_cells, 1), best


@njit(cache=True, nogil=True)
def hop_energies(x: np.ndarray, hop: int, r: float) -> np.ndarray:  # pragma: no cover - numba
    """See ``features.hop_energies``: one pass over int16 samples."""
    n_hops = len(x) // hop
    out = np.zeros(n_hops)
    x1 = y1 = x2 = y2 = 0.0
    for k in range(n_hops):
        acc = 0.0
        for n in range(k * hop, (k + 1) * hop):
            v = x[n] / 32768.0
            a = v - x1 + r * y1
            x1, y1 = v, a
            b = a - x2 + r * y2
            x2, y2 = a, b
            acc += b * b
        out[k] = acc
    return out
