"""Refinement snaps DTW's rough edges to the recording's own pauses."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from production.align.refine import (
    RefineSettings,
    adjust_edges,
    drop_blips,
    quiet_mask,
    refine_edges,
    runs,
)

S = RefineSettings(
    hop_ms=4.0,
    window_ms=350,
    min_pause_ms=60,
    quiet_db=10.0,
    span_db=38.0,
    onset_span_db=44.0,
    offset_span_db=34.0,
    max_adjust_ms=80,
    floor_window_ms=1500,
    min_sound_ms=30,
    loud_window_ms=4000,
    blip_ms=120,
    blip_gap_ms=150,
)


@given(st.lists(st.booleans(), max_size=200))
def test_runs_cover_exactly_the_true_frames(mask: list[bool]) -> None:
    m = np.array(mask, dtype=bool)
    covered = np.zeros(len(m), dtype=bool)
    for a, b in runs(m):
        assert a < b and m[a:b].all()
        covered[a:b] = True
    assert (covered == m).all()


def quiet_from_ms(total_ms: int, sounds_ms: list[tuple[int, int]]) -> np.ndarray:
    quiet = np.ones(total_ms // 4, dtype=bool)
    for a, b in sounds_ms:
        quiet[a // 4 : b // 4] = False
    return quiet


def test_edges_snap_to_the_pause_dtw_points_at() -> None:
    # speech 1000-3000, 3400-6000 (a comma pause at 4600-4700), 6500-8000
    quiet = quiet_from_ms(9000, [(1000, 3000), (3400, 4600), (4700, 6000), (6500, 8000)])
    starts = np.array([1100, 3300, 6400]) / 4
    ends = np.array([2900, 6100, 8100]) / 4
    s, e = refine_edges(starts, ends, quiet, S)
    assert (s * 4).tolist() == [1000, 3400, 6500]
    assert (e * 4).tolist() == [3000, 6000, 8000]


def test_without_a_pause_nearby_edges_stay_put() -> None:
    quiet = quiet_from_ms(6000, [(500, 5500)])  # continuous speech
    s, e = refine_edges(np.array([500, 3000]) / 4, np.array([3000, 5500]) / 4, quiet, S)
    assert (s * 4).tolist() == [500, 3000] and (e * 4).tolist() == [3000, 5500]


def test_clicks_and_lone_blips_are_not_speech() -> None:
    quiet = quiet_from_ms(4000, [(400, 420), (1500, 1580), (2500, 3500)])
    cleaned = drop_blips(quiet, S)
    assert cleaned[: 2400 // 4].all()  # a 20 ms click and an 80 ms blip inside a long pause
    assert not cleaned[2600 // 4 : 3400 // 4].any()


def test_quiet_mask_finds_pauses_in_level_and_in_background_excess() -> None:
    level = np.full(1000, -20.0, dtype=np.float32)
    level[300:400] = -70.0  # far under the loud level: a pause even without background info
    above = np.full(1000, 30.0, dtype=np.float32)
    above[600:700] = 3.0  # at the background (a music bed): a pause
    quiet = quiet_mask(level, above, S)
    assert quiet[310:390].all() and quiet[610:690].all()
    assert not quiet[100:280].any() and not quiet[420:580].any()


def test_soft_onsets_are_kept_and_breathy_tails_dropped() -> None:
    level = np.full(1000, -90.0, dtype=np.float32)
    level[200:500] = -10.0  # a sentence ...
    level[185:200] = -50.0  # ... whose first 60 ms are a soft /h/ (40 dB under its loud level)
    level[500:515] = -48.0  # ... and whose last 60 ms are a breathy tail
    above = np.where(level > -89, 40.0, 0.0).astype(np.float32)
    starts, ends = adjust_edges(np.array([200.0]), np.array([515.0]), level, above, S)
    assert abs(starts[0] - 185) <= 2 and abs(ends[0] - 500) <= 2
