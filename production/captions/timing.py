"""Final cue times for a whole track: gaps, minimum duration, reading speed, in-time lead.

A cue comes in at its first word's onset and goes out up to 0.5 s after its last word, but
at least 2 frames before the next cue. A cue still too short (or too fast to read) may come in
up to 3 frames early (the sync tolerance), taking the time from the previous cue's trail
when that cue can spare it. Two passes: first for the hard limits (minimum duration, hard
reading speed), then for the reading-speed target, each only taking what the other cue can
spare at that level. Last, a cue still under the minimum duration or over the hard reading
speed stays up past the 0.5 s trail into the following silence: those two limits come
before the trail (the QC's trail rule knows this).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .measure import en_chars
from .segment import Chunk
from .settings import TIME_GRID_MS, CaptionSettings, grid_ceil

NeedFn = Callable[[Chunk], int]


def settle(chunks: Sequence[Chunk], settings: CaptionSettings) -> list[Chunk]:
    """The chunks with final times (same words and lines)."""
    starts = [c.start_ms for c in chunks]
    ends = [c.end_ms for c in chunks]
    _clip(chunks, starts, ends, settings)
    for need in (_hard_need(settings), _target_need(settings)):
        for i in range(len(chunks)):
            _lead(chunks, starts, ends, i, need, settings)
    _extend(chunks, starts, ends, _hard_need(settings), settings)
    _untangle(starts, ends, settings)
    return [replace(c, start_ms=s, end_ms=e) for c, s, e in zip(chunks, starts, ends, strict=True)]


def _untangle(starts: list[int], ends: list[int], settings: CaptionSettings) -> None:
    """Words timed on top of each other (a broken alignment) can leave a cue with no time of
    its own: it gets one grid step and the cues after it move later, so every cue still has
    an in-time before its out-time and the gap; the QC reports the sync it costs."""
    for i in range(len(starts)):
        if i > 0:
            starts[i] = max(starts[i], ends[i - 1] + settings.min_gap_ms)
        ends[i] = max(ends[i], starts[i] + TIME_GRID_MS)


def _clip(
    chunks: Sequence[Chunk], starts: list[int], ends: list[int], settings: CaptionSettings
) -> None:
    for i, chunk in enumerate(chunks):
        limit = max(chunk.speech_end_ms + settings.trail_ms, starts[i] + settings.min_cue_ms)
        if i + 1 < len(chunks):
            limit = min(limit, starts[i + 1] - settings.min_gap_ms)
        ends[i] = min(ends[i], limit, starts[i] + settings.max_cue_ms)
        ends[i] = max(ends[i], starts[i] + TIME_GRID_MS)


def _extend(
    chunks: Sequence[Chunk],
    starts: list[int],
    ends: list[int],
    need: NeedFn,
    settings: CaptionSettings,
) -> None:
    """Cues still under the minimum duration (or over the hard reading speed) stay up longer
    than the trail, into the silence before the next cue."""
    for i, chunk in enumerate(chunks):
        wanted = starts[i] + min(need(chunk), settings.max_cue_ms)
        if ends[i] >= wanted:
            continue
        limit = starts[i + 1] - settings.min_gap_ms if i + 1 < len(chunks) else wanted
        ends[i] = max(ends[i], min(wanted, limit))


def _hard_need(settings: CaptionSettings) -> NeedFn:
    def need(chunk: Chunk) -> int:
        chars = en_chars(chunk.text)
        return max(settings.min_cue_ms, grid_ceil(chars * 1000 / settings.en_hard_cps))

    return need


def _target_need(settings: CaptionSettings) -> NeedFn:
    def need(chunk: Chunk) -> int:
        chars = en_chars(chunk.text)
        return max(settings.min_cue_ms, grid_ceil(chars * 1000 / settings.en_target_cps))

    return need


def _lead(
    chunks: Sequence[Chunk],
    starts: list[int],
    ends: list[int],
    i: int,
    need: NeedFn,
    settings: CaptionSettings,
) -> None:
    wanted = min(need(chunks[i]), settings.max_cue_ms)
    if ends[i] - starts[i] >= wanted:
        return
    earliest = max(chunks[i].speech_start_ms - settings.sync_tolerance_ms, 0)
    if i > 0:
        prev = chunks[i - 1]
        prev_floor = max(prev.speech_end_ms, starts[i - 1] + need(prev))
        earliest = max(earliest, min(prev_floor, ends[i - 1]) + settings.min_gap_ms)
    new_start = min(starts[i], max(earliest, ends[i] - wanted))
    starts[i] = new_start
    if i > 0 and ends[i - 1] > new_start - settings.min_gap_ms:
        ends[i - 1] = new_start - settings.min_gap_ms
