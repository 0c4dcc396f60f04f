"""Multi-resolution banded DTW recovers a warp it planted, with a skipped head and tail."""

from __future__ import annotations

import numpy as np
import pytest

from production.align import dtw, jit
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


def _bands(s: np.ndarray, r: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The full matrix and a narrow band around a coarse path (as multires_dtw's levels)."""
    n, m = len(s), len(r)
    full = (np.zeros(n, np.int64), np.full(n, m, np.int64))
    s4, r4 = block_mean(s, 4), block_mean(r, 4)
    coarse = dtw._banded_dtw_numpy(s4, r4, np.zeros(len(s4), np.int64), np.full(len(s4), len(r4), np.int64), 3.0, 3.0)
    return [full, project_band(Path(*coarse[:3]), 4, n, m, 6)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_and_numba_kernels_find_the_same_path(seed: int) -> None:
    """Short inputs are solved in numpy, long narrow bands in numba: the same path either way."""
    s, r, _ = planted_warp(seed)
    for lo, hi in _bands(s, r):
        for head, tail in ((dtw.INF / (4 * len(r)),) * 2, (3.0, 2.0)):
            ours = dtw._banded_dtw_numpy(s, r, lo, hi, head, tail)
            compiled = jit.banded_dtw(s, r, lo, hi, head, tail)
            assert np.array_equal(ours[0], compiled[0]) and np.array_equal(ours[1], compiled[1])
            assert np.allclose(ours[2], compiled[2], rtol=1e-5)
            assert ours[3] == pytest.approx(compiled[3], rel=1e-6)


def test_a_short_alignment_does_not_load_numba() -> None:
    """numba costs 0.5-1 s to import and load: a short recording's DTW must not need it."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from production.align.dtw import multires_dtw\n"
        "rng = np.random.default_rng(0)\n"
        "s = rng.standard_normal((2500, 13)).astype(np.float32)\n"
        "r = np.repeat(s, 2, axis=0)[:3000]\n"
        "multires_dtw(s, r, 4, 20_000_000, 32, 0.9, 12)\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
