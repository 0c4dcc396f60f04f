"""Refinement snaps DTW's rough edges to the recording's own pauses."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from production.align.refine import (
    RefineSettings,
    adjust_edges,
    bed_rise_edges,
    bed_thresholds,
    drop_blips,
    drop_edge_fillers,
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


def test_a_swelling_bed_in_the_pause_is_quiet_but_speech_is_not() -> None:
    # speech (40 dB over the running background) at 0-2000 and 3000-5000 ms; between them a bed
    # whose loud phase stands 12-18 dB over the running background (counted as sound at 10 dB)
    above = np.full(1250, 40.0, dtype=np.float32)
    above[500:750] = np.linspace(12.0, 18.0, 250)
    level = np.where(above > 30, -20.0, -45.0).astype(np.float32)
    dtw_starts, dtw_ends = np.array([0.0, 700.0]), np.array([520.0, 1250.0])  # DTW: 80 ms late, 200 early
    thr = bed_thresholds(above, dtw_starts, dtw_ends, S)
    assert 18.0 < thr[600] < 32.0  # over the bed, under the speech
    assert not quiet_mask(level, above, S)[500:750].all()  # the fixed threshold: the bed is sound
    quiet = quiet_mask(level, above, S, thr)
    assert quiet[500:750].all() and not quiet[:500].any() and not quiet[750:].any()
    starts, ends = refine_edges(dtw_starts, dtw_ends, quiet, S)
    assert (ends[0], starts[1]) == (500.0, 750.0)


def test_a_swelling_bed_crest_beside_speech_is_left_out_but_a_soft_consonant_is_kept() -> None:
    # 4 ms frames. A bed rising slowly (14 -> 20 dB over the running background, 120 ms before
    # the start) under the threshold's reach, then speech rising 20 dB within 8 ms; the same
    # mirrored at the end. The bed is 45 dB under the speech's loud level.
    above = np.full(1000, 15.0, dtype=np.float32)
    above[300:700] = 40.0  # speech
    above[270:300] = np.linspace(14.0, 20.0, 30)  # the bed's crest beside the start (counted as sound)
    above[700:730] = np.linspace(20.0, 14.0, 30)  # ... and beside the end
    level = np.where(above > 30, -15.0, -60.0).astype(np.float32)
    thr = np.full(1000, 16.0, dtype=np.float32)  # bed_thresholds set it over quiet_db here
    starts, ends = bed_rise_edges(np.array([270.0]), np.array([730.0]), level, above, thr, S)
    assert abs(starts[0] - 300) <= 2 and abs(ends[0] - 700) <= 2
    # the background measure (25 ms windows) rises 20 ms before the level does: the level decides
    early = above.copy()
    early[295:300] = 40.0
    starts, _ = bed_rise_edges(np.array([270.0]), np.array([730.0]), level, early, thr, S)
    assert abs(starts[0] - 300) <= 1
    # where the threshold is not raised (no swelling bed), nothing moves
    flat = np.full(1000, S.quiet_db, dtype=np.float32)
    assert bed_rise_edges(np.array([270.0]), np.array([730.0]), level, above, flat, S) == (270.0, 730.0)
    # a soft consonant (/m/, 15 dB under the loud level) before the vowel's rise is speech: kept
    level[270:300] = level[700:730] = -30.0
    starts, ends = bed_rise_edges(np.array([270.0]), np.array([730.0]), level, above, thr, S)
    assert (starts[0], ends[0]) == (270.0, 730.0)


def test_a_breath_alone_in_a_pause_is_quiet() -> None:
    level = np.full(1000, -70.0, dtype=np.float32)
    level[100:300] = level[700:900] = -15.0  # speech
    level[450:530] = -36.0  # 320 ms, 21 dB under the loud level, pauses either side: a breath
    above = np.where(level > -60, 30.0, 2.0).astype(np.float32)
    quiet = quiet_mask(level, above, S)
    assert quiet[450:530].all() and not quiet[100:300].any() and not quiet[700:900].any()
    level[450:530] = -22.0  # as loud as soft speech: kept
    assert not quiet_mask(level, above, S)[450:530].any()


def test_a_filler_cut_off_by_a_pause_the_read_does_not_have_is_left_out() -> None:
    quiet = quiet_from_ms(8000, [(1000, 1300), (1700, 4000), (5000, 7000)])  # "um", pause, sentence
    starts, ends = np.array([1000.0, 5000.0]) / 4, np.array([4000.0, 7000.0]) / 4
    no_read_pause = np.zeros(len(quiet))  # cumulative ms of the read's silence mapped there
    s, e = drop_edge_fillers(starts, ends, quiet, no_read_pause, S)
    assert (s * 4).tolist() == [1700, 5000] and (e * 4).tolist() == [4000, 7000]
    read_pause = np.where(np.arange(len(quiet)) * 4 >= 1500, 150.0, 0.0)  # the read pauses there too
    s, e = drop_edge_fillers(starts, ends, quiet, read_pause, S)
    assert (s * 4).tolist() == [1000, 5000]
