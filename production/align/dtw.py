"""Multi-resolution banded dynamic time warping, memory linear in duration.

Rows are synthetic frames, columns recording frames. The coarsest level is solved over the full
matrix; each finer level only inside a band around the coarser path (FastDTW's projection plus
a radius), so a three-hour episode costs a few million cells per level.

The path may skip recording frames before its first row and after its last one at a fixed
per-frame cost (``head_cost``/``tail_cost``): a long silent or musical head or tail is then
skipped instead of being warped onto the script.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .dtw_codes import DIAG, INF, LEFT, START, UP

# Which kernel solves a DTW (both give the same path; the choice depends on the shape alone, so
# an input always takes the same one). numpy loops over rows in Python, about 20 us each, and
# is as fast as compiled code on wide rows; numba (production/align/jit.py) costs 0.5-1 s to
# import and load, then about 15 ns a cell. So numba only for many narrow rows: the finer
# levels of a long recording. A 25-second file never loads it.
NUMBA_MIN_ROWS = 4096  # rows (10 ms synthetic frames at the finest level: 41 s of read)
NUMBA_MAX_WIDTH = 512  # mean band cells per row
DIST_BLOCK_CELLS = 1 << 20  # cells whose distances the numpy kernel computes at once (8 MiB)


def banded_dtw(
    S: np.ndarray, R: np.ndarray, lo: np.ndarray, hi: np.ndarray, head_cost: float, tail_cost: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """DTW of rows ``S`` onto columns ``R`` inside the band [lo[i], hi[i]) of each row.

    Steps: diagonal, up (next row, same column), left (same row, next column); ties prefer them
    in that order. Recording columns before the path's first cell cost ``head_cost`` each, after
    its last ``tail_cost`` each. Returns per row the path's first and last column and its mean
    local distance (Euclidean), and the total cost.
    """
    n = len(S)
    cells = int(np.sum(hi - lo))
    if n >= NUMBA_MIN_ROWS and cells < NUMBA_MAX_WIDTH * n:
        from . import jit

        return jit.banded_dtw(S, R, lo, hi, head_cost, tail_cost)
    return _banded_dtw_numpy(S, R, lo, hi, head_cost, tail_cost)


def _band_distances(S: np.ndarray, R: np.ndarray, lo: list[int], hi: list[int]) -> Iterator[np.ndarray]:
    """Euclidean distance of each row to each column of its band (float64), row by row; computed
    for a block of rows at a time (|s|^2 + |r|^2 - 2 s.r, one matrix product per block)."""
    s64, r64 = S.astype(np.float64), R.astype(np.float64)
    s2, r2 = (s64 * s64).sum(axis=1), (r64 * r64).sum(axis=1)
    i, n = 0, len(S)
    while i < n:  # rows i..k-1: their bands span at most DIST_BLOCK_CELLS cells together
        k, a, b = i + 1, lo[i], hi[i]
        while k < n and (k + 1 - i) * (max(b, hi[k]) - a) <= DIST_BLOCK_CELLS:
            b = max(b, hi[k])
            k += 1
        block = s64[i:k] @ r64[a:b].T
        block *= -2.0
        block += s2[i:k, None]
        block += r2[None, a:b]
        np.sqrt(np.maximum(block, 0.0, out=block), out=block)
        for row in range(i, k):
            yield block[row - i, lo[row] - a : hi[row] - a]
        i = k


def _banded_dtw_numpy(
    S: np.ndarray, R: np.ndarray, lo: np.ndarray, hi: np.ndarray, head_cost: float, tail_cost: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``banded_dtw`` row by row. Within a row, cur[j] = min(base[j], cur[j-1]) + d[j] (base: the
    best of the previous row's diagonal and up cells) is, with C the running sum of d,
    C[j] + min over k <= j of (base[k] - C[k-1]): a cumulative minimum."""
    n, m = len(S), len(R)
    lo_l, hi_l = [int(x) for x in lo], [int(x) for x in hi]
    off = np.concatenate(([0], np.cumsum(np.asarray(hi) - np.asarray(lo))))
    bp = np.empty(int(off[-1]), np.uint8)
    width = max(1, int(np.max(np.asarray(hi) - np.asarray(lo))))
    # the previous row by column: column j at index j + 1, INF outside its band, so that a row's
    # diagonal and up predecessors are two views
    prev = np.full(m + 2, INF)
    sums = np.zeros(width + 1)  # 0, then the running sum of the row's distances
    plo = phi = 0
    for i, d in enumerate(_band_distances(S, R, lo_l, hi_l)):
        a, b = lo_l[i], hi_l[i]
        w = b - a
        code = bp[off[i] : off[i + 1]]
        if i == 0:
            base = np.arange(a, b, dtype=np.float64) * head_cost
            code[:] = START
        else:
            diag, up = prev[a:b], prev[a + 1 : b + 1]
            take_up = up < diag
            base = np.minimum(up, diag)
            # UP (1) or DIAG (0); an unreachable cell (base INF) is left so too: no path
            # reaches it, so its code is never followed (numba's kernel says START)
            code[:] = take_up
        np.cumsum(d, out=sums[1 : w + 1])
        cur = np.minimum.accumulate(base - sums[:w])
        cur += sums[1 : w + 1]  # an unreachable cell stays INF: the sums are far under its ulp
        code[1:][cur[:-1] < base[1:]] = LEFT
        if (a, b) != (plo, phi):
            prev[plo + 1 : phi + 1] = INF
        prev[a + 1 : b + 1] = cur
        plo, phi = a, b
    last = prev[plo + 1 : phi + 1]
    total = last + (m - 1 - np.arange(plo, phi)) * tail_cost
    k = int(np.argmin(total))
    best, jend = (float(total[k]), plo + k) if total[k] < INF else (INF, plo)
    rows, cols = [], []
    codes, off_l = bp.tobytes(), [int(x) for x in off]
    i, j = n - 1, jend
    while True:
        rows.append(i)
        cols.append(j)
        step = codes[off_l[i] + j - lo_l[i]]
        if step == DIAG:
            i, j = i - 1, j - 1
        elif step == UP:
            i -= 1
        elif step == LEFT:
            j -= 1
        else:
            break
    r, c = np.array(rows[::-1]), np.array(cols[::-1])  # in path order: rows and columns ascending
    local = np.sqrt(((S[r].astype(np.float64) - R[c]) ** 2).sum(axis=1))
    first = np.searchsorted(r, np.arange(n), "left")
    last = np.searchsorted(r, np.arange(n), "right") - 1
    on_path = first <= last
    path_lo = np.where(on_path, c[np.minimum(first, len(c) - 1)], -1).astype(np.int64)
    path_hi = np.where(on_path, c[np.maximum(last, 0)], -1).astype(np.int64)
    counts = np.bincount(r, minlength=n)
    row_cost = np.bincount(r, weights=local, minlength=n) / np.maximum(counts, 1)
    return path_lo, path_hi, row_cost, best


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
            first = Path(*banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))[:3])
            skip_ratio = float(np.quantile(first.cost, skip_quantile)) / mismatch
        else:
            widen = radius if depth or fine_radius is None else fine_radius
            lo, hi = project_band(path, factor, n, m, widen)
        skip = skip_ratio * mismatch
        plo, phi, cost, _ = banded_dtw(s, r, lo, hi, skip, skip)
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
    true_cost = float(np.mean(banded_dtw(s, r, lo, hi, skip, skip)[2]))
    perm_cost = float(np.mean(banded_dtw(p, r, lo[: len(p)], hi[: len(p)], skip, skip)[2]))
    return true_cost / max(perm_cost, 1e-9)


def skipped_edges(S: np.ndarray, R: np.ndarray, skip_cost: float) -> tuple[int, int]:
    """Recording frames the full DTW of ``S`` onto ``R`` leaves out before and after its path
    when leaving a frame out costs ``skip_cost`` (and matching it, its distance)."""
    n, m = len(S), len(R)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    plo, phi, _, _ = banded_dtw(s, r, lo, hi, skip_cost, skip_cost)
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
    cost = banded_dtw(x, y, lo, hi, INF / (4 * m), 0.0)[2]
    return float(np.mean(cost)) / max(mean_random_distance(x, y), 1e-9)


def match_cost(S: np.ndarray, R: np.ndarray) -> float:
    """Mean per-row cost of a DTW of all of ``S`` onto all of ``R`` (both ends anchored)."""
    n, m = len(S), len(R)
    if n < 2 or m < 2:
        return INF
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    return float(np.mean(banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))[2]))


def warp_path(S: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``S``: first and last column of ``R`` on a full DTW of all of ``S`` onto all of
    ``R`` (both ends anchored)."""
    n, m = len(S), len(R)
    s, r = np.ascontiguousarray(S, dtype=np.float32), np.ascontiguousarray(R, dtype=np.float32)
    lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    plo, phi, _, _ = banded_dtw(s, r, lo, hi, INF / (4 * m), INF / (4 * m))
    return plo, phi
