from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from production.video import VideoError
from production.video.timeline import BODY, ROLL, Segment, plan_segments


def test_no_roll_is_one_body_segment():
    assert plan_segments(60_000) == ([Segment(BODY, 0, 60_000)], [])


def test_default_roll_ends_with_the_audio():
    segments, warnings = plan_segments(60_000, 20_000)
    assert segments == [Segment(BODY, 0, 40_000), Segment(ROLL, 40_000, 60_000)] and warnings == []


def test_roll_in_the_middle_gives_the_picture_back_afterwards():
    segments, _ = plan_segments(60_000, 10_000, 30_000)
    assert [s.kind for s in segments] == [BODY, ROLL, BODY]
    assert segments[2] == Segment(BODY, 40_000, 60_000)


def test_roll_longer_than_the_remaining_audio_is_cut_with_a_warning():
    segments, warnings = plan_segments(60_000, 20_000, 50_000)
    assert segments[-1] == Segment(ROLL, 50_000, 60_000)
    assert "cut by 10000 ms" in warnings[0]


@pytest.mark.parametrize("start", [-1, 60_000, 90_000])
def test_roll_start_outside_the_audio_is_refused(start):
    with pytest.raises(VideoError, match="outside the audio"):
        plan_segments(60_000, 10_000, start)


@given(
    st.integers(1, 10**7),
    st.one_of(st.none(), st.integers(1, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**7)),
)
def test_segments_tile_the_audio(duration, roll, start):
    assume(start is None or start < duration)
    segments, _ = plan_segments(duration, roll, start)
    assert segments[0].start_ms == 0 and segments[-1].end_ms == duration
    assert all(a.end_ms == b.start_ms for a, b in zip(segments, segments[1:], strict=False))
    assert all(s.end_ms > s.start_ms for s in segments)
    rolls = [s for s in segments if s.kind == ROLL]
    assert len(rolls) == (roll is not None)
    if roll is not None:
        assert rolls[0].end_ms - rolls[0].start_ms <= roll
