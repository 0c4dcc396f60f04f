"""Burned captions change at their cue times (frames where the picture changes), and an
English-only episode (an SRT, no bilingual ASS) gets its English captions burned in."""

from __future__ import annotations

import numpy as np
import pytest

from production.video import VideoReport, VideoSettings, render_video

from . import media
from .conftest import HOST, TITLE

CAPTION_TOP = 820  # px: the bottom caption area of the 1080-line frame starts here
INK_MIN = 400  # px of caption-white a caption draws at the least (a short English line)
STEP_MS = 1_230  # cue starts off every frame grid (40, 80, 500 ms)
WORDS = ("Rooftop", "gardens", "cool", "the", "buildings", "below", "every", "summer", "in", "Shenzhen")
# ten cues; an even cue runs into the next one, an odd cue leaves a 230 ms gap after it
CUES = tuple(
    (517 + STEP_MS * k, 517 + STEP_MS * (k + 1) - (0 if k % 2 == 0 else 230), f"{k + 1}. {WORDS[k]} here")
    for k in range(10)
)


@pytest.fixture(scope="module")
def english_only(tmp_path_factory: pytest.TempPathFactory) -> VideoReport:
    folder = tmp_path_factory.mktemp("english-only")
    srt = folder / "ep.en.srt"
    srt.write_text(
        "\n".join(f"{i}\n{media._srt_time(a)} --> {media._srt_time(b)}\n{t}\n" for i, (a, b, t) in enumerate(CUES, 1)),
        encoding="utf-8",
    )
    audio = media.write_speech(folder / "master.wav")
    return render_video(folder / "ep.mp4", audio, TITLE, HOST, VideoSettings(), ass=srt)


def ink(frame: np.ndarray) -> np.ndarray:
    """Caption-white pixels in the caption area (the artwork there is dark navy)."""
    area = frame[CAPTION_TOP:].astype(np.int16)
    return (area.min(axis=2) > 200)


def test_english_only_captions_are_burned_in(english_only: VideoReport) -> None:
    assert english_only.burn_in
    start, end, _ = CUES[0]
    assert ink(media.frame_at(english_only.path, (start + end) / 2000)).sum() > INK_MIN


def test_each_caption_shows_100_ms_after_its_start_and_not_100_ms_before(english_only: VideoReport) -> None:
    times = media.frame_times(english_only.path)
    previous = np.zeros_like(ink(media.frame_at(english_only.path, 0.1)))  # no caption before the first
    assert previous.sum() == 0 and ink(media.frame_at(english_only.path, 0.1)).sum() == 0
    for k, (start, _end, text) in enumerate(CUES):
        before = ink(media.shown_at(english_only.path, (start - 100) / 1000, times))
        after = ink(media.shown_at(english_only.path, (start + 100) / 1000, times))
        assert after.sum() > INK_MIN, f"cue {text!r} not shown 100 ms after its start"
        assert (before ^ previous).sum() < 20, f"before cue {text!r}: not the previous state"
        assert (after ^ before).sum() > INK_MIN, f"cue {text!r} looks like the state before it"
        gap_before = k > 0 and CUES[k - 1][1] < start
        previous = np.zeros_like(after) if k % 2 == 1 else after  # what shows just before cue k + 1
        assert not gap_before or before.sum() == 0
