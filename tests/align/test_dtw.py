"""Multi-resolution banded DTW recovers a warp it planted, with a skipped head and tail."""

from __future__ import annotations

import numpy as np

from production.align.dtw import Path, block_mean, multires_dtw, project_band


def planted_warp(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic rows, a recording made of them (each row held 1-3 frames) after a noise head,
    and the recording column where each row starts."""
    rng = np.random.default_rng(seed)
    # smooth random features, like spectra that change from frame to frame but not abruptly
    s = np.cumsum(rng.standard_normal((600, 6)), axis=0).astype(np.float32)
    s = (s - s.mean(0)) / s.std(0)
    holds = rng.integers(1, 4, len(s))
    head = rng.standard_normal((150, 6)).astype(np.float32) * 3 + 6
    tail = rng.standard_normal((80, 6)).astype(np.float32) * 3 - 6
    body = np.repeat(s, holds, axis=0) + 0.1 * rng.standard_normal((holds.sum(), 6)).astype(
        np.float32
    )
    starts = len(head) + np.concatenate(([0], np.cumsum(holds)[:-1]))
    return s, np.vstack([head, body, tail]).astype(np.float32), starts


def test_planted_warp_is_recovered_across_levels() -> None:
    s, r, starts = planted_warp()
    path = multires_dtw(s, r, factor=4, max_cells=20_000, radius=6, skip_quantile=0.9)
    assert len(path.lo) == len(s)
    assert np.all(np.diff(path.lo) >= 0) and np.all(path.hi >= path.lo)
    off = np.abs(path.lo - starts)
    assert np.mean(off <= 1) >= 0.95, off.max()
    assert path.lo[0] >= 140  # the noise head was skipped, not warped onto the first rows


def test_project_band_keeps_rows_connected() -> None:
    coarse = Path(np.array([0, 0, 2, 5, 5]), np.array([0, 1, 4, 5, 7]), np.zeros(5))
    lo, hi = project_band(coarse, 4, 20, 32, 2)
    assert np.all(lo[1:] <= hi[:-1] - 1)  # consecutive windows overlap
    assert np.all(np.diff(lo) >= 0) and np.all(np.diff(hi) >= 0)
    assert lo[0] == 0 and hi[-1] == 32


def test_block_mean_keeps_the_short_last_block() -> None:
    x = np.arange(10, dtype=np.float32)[:, None]
    assert block_mean(x, 4)[:, 0].tolist() == [1.5, 5.5, 8.5]
