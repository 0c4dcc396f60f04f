"""Multi-resolution banded dynamic time warping (numba), memory linear in duration.

Rows are synthetic frames, columns recording frames. The coarsest level is solved over the full
matrix; each finer level only inside a band around the coarser path (FastDTW's projection plus
a radius), so a three-hour episode costs a few million cells per level.

The path may skip recording frames before its first row and after its last one at a fixed
per-frame cost (``head_cost``/``tail_cost``): a long silent or musical head or tail is then
skipped instead of being warped onto the script.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

DIAG, UP, LEFT, START = 0, 1, 2, 3  # backpointer codes
INF = 1e30


@njit(cache=True, nogil=True)
def _dist(S: np.ndarray, i: int, R: np.ndarray, j: int) -> float:
    acc = 0.0
    for k in range(S.shape[1]):
        d = S[i, k] - R[j, k]
        acc += d * d
    return np.sqrt(acc)


@njit(cache=True, nogil=True)
def _banded_dtw(S, R, lo, hi, head_cost, tail_cost):  # type: ignore[no-untyped-def,unused-ignore]
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


@dataclass(frozen=True)
class Path:
    """Per synthetic row: first and last recording column on the path, and mean local cost."""

    lo: np.ndarray
    hi: np.ndarray
    cost: np.ndarray


def block_mean(x: np.ndarray, factor: int) -> np.ndarray:
    """Average consecutive rows in blocks of ``factor`` (the last block may be shorter)."""
    if factor == 1:
        return x
    n = len(x)
    full = n // factor
    head = x[: full * factor].reshape(full, factor, -1).mean(axis=1)
    if n % factor:
        head = np.vstack([head, x[full * factor :].mean(axis=0, keepdims=True)])
    return np.ascontiguousarray(head, dtype=np.float32)


def project_band(path: Path, factor: int, n_fine: int, m_fine: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Column window per fine row: the coarse path's columns scaled up, widened by ``radius``."""
    rows = np.minimum(np.arange(n_fine) // factor, len(path.lo) - 1)
    lo = np.clip(path.lo[rows] * factor - radius, 0, m_fine - 1)
    hi = np.clip((path.hi[rows] + 1) * factor + radius, 1, m_fine)
    lo = np.maximum.accumulate(lo)
    hi = np.maximum.accumulate(hi)
    # consecutive windows must overlap so that a path can pass from one row to the next
    lo[1:] = np.minimum(lo[1:], hi[:-1] - 1)
    return lo.astype(np.int64), hi.astype(np.int64)


def shifted_cost(S: np.ndarray, R: np.ndarray, path: Path, shifts: tuple[int, ...]) -> np.ndarray:
    """Per row, the mean distance to the recording frames ``shifts`` away from the path's: what
    matching costs when the alignment is wrong by that much (a local contrast baseline)."""
    rows = np.arange(len(S))
    total = np.zeros(len(S))
    for shift in shifts:
        cols = np.clip(path.lo + shift, 0, len(R) - 1)
        total += np.sqrt(((S[rows] - R[cols]) ** 2).sum(axis=1))
    return total / len(shifts)


def mean_random_distance(S: np.ndarray, R: np.ndarray, pairs: int = 4000, seed: int = 0) -> float:
    """Average distance between random synthetic and recording frames: the scale of a mismatch."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(S), pairs)
    j = rng.integers(0, len(R), pairs)
    return float(np.sqrt(((S[i] - R[j]) ** 2).sum(axis=1)).mean())


def multires_dtw(
    S: np.ndarray,
    R: np.ndarray,
    factor: int,
    max_cells: int,
    radius: int,
    skip_quantile: float,
    fine_radius: int | None = None,
) -> Path:
    """Align synthetic features ``S`` (rows) to recording features ``R`` (columns).

    Each finer level searches ``radius`` frames either side of the coarser path (``fine_radius``
    at the finest level, where frames are many and the path is already close).

    Skipping a recording frame before or after the script costs what matching costs on the
    ``skip_quantile`` of the rows of a first, no-skipping pass at the coarsest level: a silent or
    musical head costs more than that to match and is skipped, while speech is never cheaper
    to skip than to align.
    """
    levels = [(S, R)]
    while len(levels[-1][0]) * len(levels[-1][1]) > max_cells and len(levels[-1][0]) > 8:
        s, r = levels[-1]
        levels.append((block_mean(s, factor), block_mean(r, factor)))
    path: Path | None = None
    skip_ratio = 0.0  # skip cost relative to the level's mean mismatch distance
    for depth, (s, r) in reversed(list(enumerate(levels))):
        n, m = len(s), len(r)
        mismatch = mean_random_distance(s, r)
        if path is None:
            lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
            first = Path(*_banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))[:3])
            skip_ratio = float(np.quantile(first.cost, skip_quantile)) / mismatch
        else:
            widen = radius if depth or fine_radius is None else fine_radius
            lo, hi = project_band(path, factor, n, m, widen)
        skip = skip_ratio * mismatch
        plo, phi, cost, _ = _banded_dtw(s, r, lo, hi, skip, skip)
        path = Path(plo, phi, cost)
    assert path is not None
    return path


def order_contrast(S: np.ndarray, R: np.ndarray, chunks: list[tuple[int, int]], factor: int, max_cells: int) -> float:
    """Coarse DTW cost of the synthetic read against the recording, divided by the cost of the
    same read with its fragments in reverse order. A recording of this script matches the script's
    order much better (ratio well under 1); a recording of something else cares little (≈ 1),
    whatever the voices sound like."""
    permuted = np.concatenate([S[a:b] for a, b in reversed(chunks)])
    s, p, r = S, permuted, R
    while len(s) * len(r) > max_cells and len(s) > 8:
        s, p, r = block_mean(s, factor), block_mean(p, factor), block_mean(r, factor)
    m = len(r)
    lo, hi = np.zeros(len(s), np.int64), np.full(len(s), m, np.int64)
    skip = float(mean_random_distance(s, r))
    true_cost = float(np.mean(_banded_dtw(s, r, lo, hi, skip, skip)[2]))
    perm_cost = float(np.mean(_banded_dtw(p, r, lo[: len(p)], hi[: len(p)], skip, skip)[2]))
    return true_cost / max(perm_cost, 1e-9)


def skipped_edges(S: np.ndarray, R: np.ndarray, skip_cost: float) -> tuple[int, int]:
    """Recording frames the full DTW of ``S`` onto ``R`` leaves out before and after its path
    when leaving a frame out costs ``skip_cost`` (and matching it, its distance)."""
    n, m = len(S), len(R)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    plo, phi, _, _ = _banded_dtw(s, r, lo, hi, skip_cost, skip_cost)
    return int(plo[0]), int(m - 1 - phi[-1])


def repeat_cost(X: np.ndarray, Y: np.ndarray) -> float:
    """How well ``X`` repeats the start of ``Y``: cost of a DTW of ``X`` onto ``Y`` that starts at
    ``Y``'s first frame and may end anywhere, over the mean distance of random ``X``/``Y`` frame
    pairs. The same speaker saying the same words again scores far lower than other words."""
    n, m = len(X), len(Y)
    if n < 2 or m < 2:
        return 1.0
    x, y = np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(Y, dtype=np.float32)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    cost = _banded_dtw(x, y, lo, hi, INF / (4 * m), 0.0)[2]
    return float(np.mean(cost)) / max(mean_random_distance(x, y), 1e-9)


def match_cost(S: np.ndarray, R: np.ndarray) -> float:
    """Mean per-row cost of a DTW of all of ``S`` onto all of ``R`` (both ends anchored)."""
    n, m = len(S), len(R)
    if n < 2 or m < 2:
        return INF
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    return float(np.mean(_banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))[2]))


def warp_path(S: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``S``: first and last column of ``R`` on a full DTW of all of ``S`` onto all of
    ``R`` (both ends anchored)."""
    n, m = len(S), len(R)
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    plo, phi, _, _ = _banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))
    return plo, phi
