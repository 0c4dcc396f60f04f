"""Final cue times: gaps, lead for short cues, extension into silence."""

from __future__ import annotations

from production.captions import CaptionSettings
from production.captions.segment import Chunk
from production.captions.timing import settle
from production.models import Word

S = CaptionSettings()


def chunk(text: str, start: int, end: int, cue_end: int | None = None) -> Chunk:
    words = tuple(Word(w, start, end) for w in text.split())
    return Chunk(words, (text,), start, cue_end if cue_end is not None else end + 500)


def test_gap_is_enforced() -> None:
    a, b = settle([chunk("one two three", 0, 1000, 1450), chunk("four five six", 1500, 2500)], S)
    assert b.start_ms - a.end_ms >= S.min_gap_ms


def test_short_cue_comes_in_early_taking_the_previous_trail() -> None:
    a, b = settle(
        [chunk("A fairly long first cue here", 0, 2000, 2400), chunk("Yes.", 2500, 2600, 3100)], S
    )
    assert b.end_ms - b.start_ms >= S.min_cue_ms or b.start_ms == 2500 - S.sync_tolerance_ms
    assert 2500 - b.start_ms <= S.sync_tolerance_ms
    assert b.start_ms - a.end_ms >= S.min_gap_ms
    assert a.end_ms >= 2000  # the previous cue still covers its speech


def test_short_cue_stays_up_into_following_silence() -> None:
    (a,) = settle([chunk("Hi.", 1000, 1100, 1600)], S)
    assert a.end_ms - a.start_ms >= S.min_cue_ms


def test_never_longer_than_the_maximum() -> None:
    (a,) = settle([chunk("slow", 0, 9000, 9500)], S)
    assert a.end_ms - a.start_ms == S.max_cue_ms


def test_cues_timed_on_top_of_each_other_still_get_time_in_order() -> None:
    """A broken alignment (every word at 0 ms): found by the segmentation fuzz test."""
    cues = settle([chunk("0", 0, 0, -80), chunk("{pos(0,", 0, 0, -80), chunk("0)}", 0, 0, 1800)], S)
    assert all(c.start_ms < c.end_ms for c in cues)
    assert all(b.start_ms - a.end_ms >= S.min_gap_ms for a, b in zip(cues, cues[1:], strict=False))
