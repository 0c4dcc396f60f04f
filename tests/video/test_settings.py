from __future__ import annotations

from fractions import Fraction

import pytest

from production.video import SoftSub, VideoError, VideoSettings
from production.video.settings import ticks_per_frame


@pytest.mark.parametrize(
    ("fps", "ticks"),
    [
        (10, 9000),
        (12.5, 7200),
        (25, 3600),
        (30, 3000),
        (Fraction(30000, 1001), 3003),
        (24, 3750),
        (60, 1500),
    ],
)
def test_common_rates_fall_on_the_90khz_clock(fps, ticks):
    assert ticks_per_frame(fps) == ticks


def test_default_frames_follow_the_picture_and_a_set_rate_is_kept():
    """No rate by default (0: frames where the picture changes); ``fps = 25`` stays a choice."""
    assert VideoSettings().fps == 0
    assert VideoSettings(fps=25).fps == 25
    assert VideoSettings().bar_step_ms <= VideoSettings().gop_s * 1000


@pytest.mark.parametrize("kwargs", [{"bar_step_ms": 0}, {"bar_step_ms": 5000}, {"gop_s": 0}])
def test_bar_steps_longer_than_a_keyframe_interval_are_refused(kwargs):
    with pytest.raises(VideoError, match="bar_step_ms|gop_s"):
        VideoSettings(**kwargs)


@pytest.mark.parametrize("fps", [7, -25, 23.5])
def test_rates_off_the_clock_are_refused(fps):
    with pytest.raises(VideoError, match="90 kHz"):
        VideoSettings(fps=fps)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "warp"}, "unknown x264 preset"),
        ({"preset": "ultrafast"}, "cannot write High"),
        ({"crf": 60}, "0-51"),
        ({"width": 1921}, "even"),
        ({"lower_third_ms": 500}, "fade"),
    ],
)
def test_bad_settings_say_what_to_do(kwargs, message):
    with pytest.raises(VideoError, match=message):
        VideoSettings(**kwargs)


@pytest.mark.parametrize("language", ["en", "zh-Hans", "ENG", "chin"])
def test_soft_sub_language_must_be_iso_639_2(tmp_path, language):
    with pytest.raises(VideoError, match="ISO 639-2"):
        SoftSub(tmp_path / "x.srt", language, "x")
