"""Boundary refinement against the recording's own pauses.

DTW puts each fragment edge roughly in place; the precise edge is where the recording's speech
actually starts or stops. Quiet frames are those near the local background level (a running
minimum, so a music bed or room noise counts as background); a pause is a run of quiet frames.
Each gap between fragments snaps to the pause that DTW's own gap lands in (or the nearest one
within a window); its start is the previous fragment's speech offset, its end the next one's
onset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RefineSettings:
    hop_ms: float  # ms per envelope frame
    window_ms: int  # how far from DTW's edge a pause may be
    min_pause_ms: int  # shortest quiet run that counts as a pause
    quiet_db: float  # dB above the local background that is still quiet
    span_db: float  # dB below the local loud level that is always quiet
    onset_span_db: float  # an onset reaches back over sound within this of the loud level
    offset_span_db: float  # an offset drops a tail more than this under the loud level
    max_adjust_ms: int  # how far those two adjustments may move an edge
    floor_window_ms: int  # span of the running minimum/maximum (background, loud level)
    min_sound_ms: int  # sounds shorter than this are clicks, not speech
    loud_window_ms: int  # span of the running loud level (longer than a long pause)
    blip_ms: int  # sounds shorter than this, alone inside a pause, are not speech
    blip_gap_ms: int  # ... when the pause on each side is at least this long
    filler_ms: int = 700  # a sound this short at a fragment's edge, cut off by ...
    filler_pause_ms: int = 200  # ... a pause this long where the read has none ...
    filler_read_ms: int = 100  # ... (less of the synthetic read's silence mapped into it: eSpeak NG
    # pauses 140-190 ms at a comma, its stop closures last 10-60 ms)
    filler_max_quiet: float = 0.2  # ... unless more than this share of the rest of it is quiet
    breath_ms: int = 700  # a sound shorter than this alone in a pause ...
    breath_db: float = 16.0  # ... and never within this of the loud level is a breath
    # The background in each pause, measured where the synthetic read is silent (see bed_thresholds)
    bed_core_ms: int = 150  # DTW's gap, shrunk by this at each side, is taken as surely pause
    bed_min_core_ms: int = 100  # a shorter core says too little about the background
    bed_smooth_ms: int = 120  # the level above the running background, averaged over this ...
    bed_quantile: float = 75.0  # ... its percentile in the core ...
    bed_margin_db: float = 3.0  # ... plus this is still quiet around that gap
    bed_neighbours: int = 4  # a gap too short to measure takes the median of this many nearest
    bed_max_db: float = 24.0  # never more than this ...
    bed_speech_margin_db: float = 8.0  # ... nor closer than this under the neighbouring speech's median
    # Where that background is itself sound (a swelling bed): an edge moves towards its fragment
    # to where the level rises fast (see bed_rise_edges)
    rise_db: float = 10.0  # the low end of the next ``rise_hold_ms`` over the ...
    rise_hold_ms: int = 48  # ... (a hi-hat or a click is shorter) ...
    rise_quantile: float = 10.0  # ... (this percentile of it) ...
    rise_before_ms: int = 60  # ... median of this much before, by at least rise_db
    rise_max_ms: int = 248  # never moved further than this (nor past the fragment's middle) ...
    rise_loud_db: float = 20.0  # ... nor at all over a frame within this of the loud level (speech)
    rise_level_db: float = 2.0  # then on, the first frame whose broadband level stands this over the ...
    # ... median of rise_before_ms before (the background measure's 25 ms windows rise early) ...
    rise_level_ms: int = 100  # ... within this, where that median is ...
    rise_level_under_db: float = 32.0  # ... this far under the loud level


def smoothed_levels(level: np.ndarray, s: RefineSettings) -> tuple[np.ndarray, np.ndarray]:
    """The level smoothed over 10 ms, and the running loud level around each frame."""
    from .filters import maximum_filter1d, uniform_filter1d

    smooth = uniform_filter1d(level, size=max(1, int(10 / s.hop_ms)))
    return smooth, maximum_filter1d(smooth, size=max(3, int(s.loud_window_ms / s.hop_ms)))


def quiet_mask(
    level: np.ndarray, above: np.ndarray, s: RefineSettings, threshold: np.ndarray | None = None
) -> np.ndarray:
    """True where the recording is at its local background level (no speech).

    ``level`` is the broadband level (dBFS) on the fine grid; ``above`` the mean level above the
    per-band background (room tone, a sustained music bed; see features.excess) on the same grid.
    A frame is quiet when ``above`` is under ``threshold`` (per frame; ``quiet_db`` when None, see
    bed_thresholds), or its level is far (``span_db``) under the loudest nearby frame's (a fading
    sentence end, or room tone beside digital silence).
    """
    smooth, loud = smoothed_levels(level, s)
    quiet = (above < (s.quiet_db if threshold is None else threshold)) | (smooth < loud - s.span_db)
    return drop_blips(quiet, s, smooth - loud)


def bed_thresholds(above: np.ndarray, starts: np.ndarray, ends: np.ndarray, s: RefineSettings) -> np.ndarray:
    """Per frame, the ``above`` level under which a frame is background (quiet).

    The running background (a minimum over ``floor_window_ms``) follows a steady bed, but a bed
    whose level swells and falls (music, air conditioning cycling) stands well above it in its loud
    phase, as loud as soft speech. Where DTW maps the synthetic read's silence (between fragments
    ``starts``/``ends``, envelope frames, shrunk by ``bed_core_ms``: DTW's edges err by up to about
    that much into speech, and by far more into pauses) the recording is surely background: the
    ``bed_quantile`` of its ``above`` there, plus ``bed_margin_db``, is quiet from the middle of the
    fragment before to the middle of the one after. It stays under ``bed_max_db`` and
    ``bed_speech_margin_db`` under the median of the neighbouring fragments, and frames of the
    core over that limit (a filler, a breath) are left out of the percentile: they must not make
    speech quiet. The head and the tail (a file's padding is filled with its
    first and last sound, and DTW's outer edges are its least sure), and gaps too short to measure,
    take the median of the ``bed_neighbours`` nearest measured gaps.
    """
    from scipy.ndimage import uniform_filter1d

    n = len(above)
    thr = np.full(n, s.quiet_db, dtype=np.float32)
    slow = uniform_filter1d(above, size=max(1, int(s.bed_smooth_ms / s.hop_ms)))
    m = s.bed_core_ms / s.hop_ms
    mids = [0.0] + [(a + b) / 2 for a, b in zip(starts, ends, strict=True)] + [float(n)]
    edges = [0.0, *ends]
    nexts = [*starts, float(n)]
    medians = [float(np.median(above[int(x) : max(int(x) + 1, int(y))])) for x, y in zip(starts, ends, strict=True)]
    limits = [  # per gap: the threshold stays this far under the speech on either side
        min([s.bed_max_db] + [medians[j] - s.bed_speech_margin_db for j in (k - 1, k) if 0 <= j < len(starts)])
        for k in range(len(starts) + 1)
    ]
    beds: list[float | None] = []
    for k, (lo, hi) in enumerate(zip(edges, nexts, strict=True)):
        a, b = max(0, int(np.ceil(lo + m))), min(n, int(hi - m))
        core = slow[a:b][slow[a:b] < limits[k]]  # what stands as loud as speech is a filler, not the bed
        enough = 0 < k < len(starts) and len(core) * s.hop_ms >= s.bed_min_core_ms
        beds.append(float(np.percentile(core, s.bed_quantile)) if enough else None)
    known = [k for k, v in enumerate(beds) if v is not None]
    for k, bed in enumerate(beds):
        if bed is None:  # the head, the tail, a gap too short to measure: the nearest gaps' median
            near = sorted(known, key=lambda j: abs(j - k))[: s.bed_neighbours]
            if not near:
                continue
            bed = float(np.median([beds[j] for j in near]))
        level = min(bed + s.bed_margin_db, limits[k])
        if bed >= s.quiet_db and level > s.quiet_db:  # the background itself would count as sound
            r0, r1 = int(mids[k]), int(np.ceil(mids[k + 1]))
            thr[r0:r1] = np.maximum(thr[r0:r1], level)
    return thr


def _first_rise(above: np.ndarray, under_loud: np.ndarray, i: int, limit: int, s: RefineSettings) -> int:
    """The first frame from ``i`` (at most ``limit`` on) where ``above`` rises fast and stays up;
    ``i`` itself where a frame up to it comes within ``rise_loud_db`` of the loud level
    (``under_loud``): what lies there is speech."""
    hold, back = max(1, int(s.rise_hold_ms / s.hop_ms)), max(1, int(s.rise_before_ms / s.hop_ms))
    for j in range(max(i, 1), min(len(above) - hold, i + limit)):
        if under_loud[j] > -s.rise_loud_db:
            return i
        base = float(np.median(above[max(0, j - back) : j]))
        if float(np.percentile(above[j : j + hold], s.rise_quantile)) - base > s.rise_db:
            return j
    return i


def _level_rise(smooth: np.ndarray, under_loud: np.ndarray, i: int, limit: int, s: RefineSettings) -> int:
    """The first frame from ``i`` (at most ``limit`` on) whose level stands ``rise_level_db`` over
    the median of the ``rise_before_ms`` before ``i``; ``i`` itself where none does, where a frame
    up to it comes within ``rise_loud_db`` of the loud level, or where the level before ``i`` is
    not ``rise_level_under_db`` under the loud level (a bed that loud hides soft onsets)."""
    back = max(1, int(s.rise_before_ms / s.hop_ms))
    if i < 1 or i >= len(smooth):
        return i
    before = slice(max(0, i - back), i)
    if float(np.median(under_loud[before])) > -s.rise_level_under_db:
        return i
    base = float(np.median(smooth[before]))
    for j in range(i, min(len(smooth), i + limit)):
        if smooth[j] - base > s.rise_level_db:
            return j
        if under_loud[j] > -s.rise_loud_db:
            return i
    return i


def bed_rise_edges(
    starts: np.ndarray,
    ends: np.ndarray,
    level: np.ndarray,
    above: np.ndarray,
    threshold: np.ndarray,
    s: RefineSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Under a bed that swells (``threshold`` over ``quiet_db`` there: see bed_thresholds), its
    crest beside a sentence counts as sound and the edge lands in the pause. A bed swells slowly
    (20 dB over 1.25 s: under 1 dB per 50 ms), speech starts and stops fast (a vowel's onset rises
    20-30 dB within 30 ms): each start moves later, each end earlier (the same on the reversed
    level), to the first frame where the low end of the next ``rise_hold_ms`` stands ``rise_db``
    over the median of the ``rise_before_ms`` before it; by at most ``rise_max_ms`` and half the
    fragment; not at all where no such rise is found, nor where a frame up to it comes within
    ``rise_loud_db`` of the loud level (a nasal, a soft consonant: a bed 20-35 dB under the voice
    stays further under its loudest). From there, where the background before the edge is
    ``rise_level_under_db`` under the loud level, the broadband level (finer in time than the
    background measure's 25 ms windows, which rise 10-30 ms early) finds the first frame within
    ``rise_level_ms`` that stands ``rise_level_db`` over the ``rise_before_ms`` before: at an edge
    that is already at speech, the level is rising there and nothing moves. Envelope frames."""
    n = len(above)
    if n == 0:
        return starts, ends
    starts, ends = starts.astype(float).copy(), ends.astype(float).copy()
    smooth, loud = smoothed_levels(level, s)
    under = smooth - loud
    backwards, under_back, smooth_back = above[::-1], under[::-1], smooth[::-1]
    fine = int(s.rise_level_ms / s.hop_ms)
    reach = int(s.rise_max_ms / s.hop_ms)
    for k in range(len(starts)):
        a, b = int(round(starts[k])), int(round(ends[k]))
        limit = min(reach, (b - a) // 2)
        if limit <= 0:
            continue
        if threshold[min(max(a, 0), n - 1)] > s.quiet_db:
            a = _first_rise(above, under, a, limit, s)
            starts[k] = float(_level_rise(smooth, under, a, min(fine, limit), s))
        if threshold[min(max(b, 0), n - 1)] > s.quiet_db:
            b = _first_rise(backwards, under_back, n - b, limit, s)
            ends[k] = float(n - _level_rise(smooth_back, under_back, b, min(fine, limit), s))
    return starts, ends


def adjust_edges(
    starts: np.ndarray,
    ends: np.ndarray,
    level: np.ndarray,
    above: np.ndarray,
    s: RefineSettings,
    threshold: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Onsets and offsets are not alike: a sentence may start softly (/h/, /f/) but fades out
    in a breathy tail. Move each onset back over sound within ``onset_span_db`` of the loud level
    (and above the background: ``threshold`` as in quiet_mask), and each offset back over a tail
    more than ``offset_span_db`` under it; each by at most ``max_adjust_ms``."""
    smooth, loud = smoothed_levels(level, s)
    thr = np.full(len(above), s.quiet_db) if threshold is None else threshold
    limit = int(s.max_adjust_ms / s.hop_ms)
    starts, ends = starts.copy(), ends.copy()
    n = len(smooth)
    for k in range(len(starts)):
        floor = int(ends[k - 1]) if k else 0
        i = int(round(starts[k]))
        for _ in range(limit):
            j = i - 1
            if j < max(floor, 0) or j >= n:
                break
            if smooth[j] < loud[j] - s.onset_span_db or above[j] < thr[j]:
                break
            i = j
        starts[k] = min(starts[k], i)
        e = int(round(ends[k]))
        for _ in range(limit):
            j = e - 1
            if j <= starts[k] + 1 or j >= n or smooth[j] >= loud[j] - s.offset_span_db:
                break
            e = j
        ends[k] = min(ends[k], e)
    return starts, ends


def drop_blips(quiet: np.ndarray, s: RefineSettings, under_loud: np.ndarray | None = None) -> np.ndarray:
    """Mark as quiet the sounds too short to be speech: any blip under ``min_sound_ms``, and one
    under ``blip_ms`` with a pause of ``blip_gap_ms`` on both sides (a click or a breath's peak).
    With ``under_loud`` (each frame's level less the running loud level, dB), also a sound under
    ``breath_ms`` with such pauses on both sides that never comes within ``breath_db`` of the loud
    level: a breath (speech that soft and that short, alone between pauses, is not read aloud)."""
    quiet = quiet.copy()
    sounds = runs(~quiet)
    gap = s.blip_gap_ms / s.hop_ms
    for k, (a, b) in enumerate(sounds):
        before = a - (sounds[k - 1][1] if k > 0 else -np.inf)
        after = (sounds[k + 1][0] if k + 1 < len(sounds) else np.inf) - b
        alone = min(before, after) >= gap
        soft = (
            under_loud is not None
            and b - a < s.breath_ms / s.hop_ms
            and float(under_loud[a:b].max()) < -s.breath_db
        )
        if b - a < s.min_sound_ms / s.hop_ms or (alone and (b - a < s.blip_ms / s.hop_ms or soft)):
            quiet[a:b] = True
    return quiet


def runs(mask: np.ndarray) -> np.ndarray:
    """(start, end) frame pairs of the True runs of ``mask``, shape (k, 2)."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges.reshape(-1, 2)


def _distance(a: float, b: float, lo: float, hi: float) -> float:
    """Gap between intervals [a, b] and [lo, hi] (0 when they overlap)."""
    return max(0.0, lo - b, a - hi)


def _pick(pauses: np.ndarray, lo: float, hi: float, window: float) -> np.ndarray | None:
    """The pause nearest to [lo, hi] (overlapping ones first, longest overlap first)."""
    best, best_key = None, None
    for a, b in pauses:
        dist = _distance(a, b, lo, hi)
        if dist > window:
            continue
        overlap = max(0.0, min(b, hi) - max(a, lo))
        key = (dist, -overlap, -(b - a))
        if best_key is None or key < best_key:
            best, best_key = (a, b), key
    return None if best is None else np.array(best, dtype=float)


def _nearest(pauses: np.ndarray, edge: int, target: float) -> float | None:
    """The pause edge (0: start, 1: end) nearest ``target``."""
    if not len(pauses):
        return None
    k = int(np.argmin(np.abs(pauses[:, edge] - target)))
    return float(pauses[k, edge])


def _outer_edge(pauses: np.ndarray, edge: int, target: float, win: float) -> float | None:
    """The first onset (``edge`` 1) or last offset (``edge`` 0): the edge of the pause that holds
    DTW's estimate (a silent head or tail DTW warped onto the words), else the nearest such
    edge within ``win``."""
    inside = pauses[(pauses[:, 0] <= target) & (pauses[:, 1] >= target)]
    if len(inside):
        return float(inside[0, edge])
    return _nearest(pauses[np.abs(pauses[:, edge] - target) <= win], edge, target)


def _gap_edges(pauses: np.ndarray, lo: float, hi: float, win: float) -> tuple[float, float] | None:
    """(speech offset, speech onset) around DTW's gap [lo, hi].

    The pauses overlapping DTW's gap bound it (a breath or click between them stays in the gap):
    the offset is where the first of them starts, the onset where the last one ends. Without
    overlap, the nearest pause within ``win`` is the gap.
    """
    a, b = min(lo, hi), max(lo, hi)
    overlapping = pauses[(pauses[:, 0] <= b) & (pauses[:, 1] >= a)] if len(pauses) else pauses
    if len(overlapping):
        return float(overlapping[:, 0].min()), float(overlapping[:, 1].max())
    pick = _pick(pauses, a, b, win) if len(pauses) else None
    return None if pick is None else (float(pick[0]), float(pick[1]))


def refine_edges(
    starts: np.ndarray, ends: np.ndarray, quiet: np.ndarray, s: RefineSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Snap fragment starts/ends (in envelope frames) to the recording's pauses."""
    win = s.window_ms / s.hop_ms
    all_runs = runs(quiet)
    pauses = all_runs[(all_runs[:, 1] - all_runs[:, 0]) >= s.min_pause_ms / s.hop_ms].astype(float)
    starts, ends = starts.astype(float).copy(), ends.astype(float).copy()
    n = len(starts)
    if len(pauses):
        onset = _outer_edge(pauses, 1, starts[0], win)
        if onset is not None and onset < ends[0]:
            starts[0] = onset
        offset = _outer_edge(pauses, 0, ends[-1], win)
        if offset is not None and offset > starts[-1]:
            ends[-1] = offset
    for k in range(1, n):  # the gap between fragment k-1 and fragment k
        lo, hi = ends[k - 1], starts[k]
        edges = _gap_edges(pauses, lo, hi, win)
        if edges is not None and edges[0] > starts[k - 1] and edges[1] < ends[k]:
            ends[k - 1], starts[k] = edges
        elif lo > hi:  # DTW let the fragments touch or overlap: meet in the middle
            ends[k - 1] = starts[k] = (lo + hi) / 2
    return starts, ends


def drop_edge_fillers(
    starts: np.ndarray, ends: np.ndarray, quiet: np.ndarray, read_silence: np.ndarray, s: RefineSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Leave out of each fragment a short sound at its start or end (an "um", a breath) that a
    pause cuts off from the rest, where the synthetic read has no pause: DTW stretched a few
    frames of the read's first or last word over the filler and the pause. ``read_silence`` is
    the cumulative ms of silent synthetic read that DTW maps up to each frame; a pause with less
    than ``filler_read_ms`` of it mapped inside is not in the read. Not done where more than
    ``filler_max_quiet`` of the rest of the fragment is quiet: speech that buried in the background
    breaks into pieces of its own (measured: 0.03-0.17 beside planted fillers, 0.23-0.32 where
    room tone 20-25 dB under the voice cut real words off). Everything on the envelope grid.
    """
    all_runs = runs(quiet)
    pauses = all_runs[(all_runs[:, 1] - all_runs[:, 0]) * s.hop_ms >= s.filler_pause_ms]
    reach = s.filler_ms / s.hop_ms
    last = len(read_silence) - 1
    starts, ends = starts.copy(), ends.copy()
    for k in range(len(starts)):
        a, b = starts[k], ends[k]
        inside = [
            (x, y)
            for x, y in pauses
            if a < x and y < b and read_silence[min(y, last)] - read_silence[min(x, last)] < s.filler_read_ms
        ]
        if not inside:
            continue
        body = quiet[int(a) : int(b)].copy()
        for x, y in inside:
            body[int(x - a) : int(y - a)] = False
        if body.mean() > s.filler_max_quiet:
            continue  # speech this buried in the background has gaps of its own: pauses say little
        (x0, y0), (x1, y1) = inside[0], inside[-1]
        if x0 - a <= reach:
            starts[k] = a = float(y0)
        if b - y1 <= reach and x1 > a:
            ends[k] = float(x1)
    return starts, ends
