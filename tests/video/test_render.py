"""End-to-end renders with real ffmpeg, libass, espeak-ng speech and the Noto CJK font."""

from __future__ import annotations

import numpy as np
import pytest

from production.audio import probe as probe_audio
from production.errors import AudioError, ToolMissingError
from production.video import (
    VideoError,
    VideoSettings,
    check_video,
    probe_video,
    render_clip,
    render_video,
)
from production.video.graphics import artwork_or_generated as base_picture
from production.video.graphics import background_with_title, face_for, landscape

from . import media
from .conftest import HOST, TITLE

CAPTION_TOP = 820  # px: the bottom caption area of the 1080-line frame starts here
TITLE_BOX = (
    600,
    90,
    720,
    1450,
)  # y0, x0, y1, x1: where the title is drawn on the landscape frame (0.57 h)


# ---------------------------------------------------------------- streams (Done when, line 1)


def test_streams_match_the_publishing_spec(burned, video_media):
    info = probe_video(burned.path)
    assert len(info["video"]) == 1 and len(info["audio"]) == 1
    v, a = info["video"][0], info["audio"][0]
    assert (v["codec"], v["profile"], v["width"], v["height"], v["pix_fmt"]) == (
        "h264",
        "High",
        1920,
        1080,
        "yuv420p",
    )
    assert (a["codec"], a["profile"], a["sample_rate"]) == ("aac", "LC", 48_000)
    assert info["subtitle_languages"] == ["eng", "chi"]
    assert [s["codec"] for s in info["subtitles"]] == ["mov_text", "mov_text"]
    assert [s["title"] for s in info["subtitles"]] == ["English", "中文（简体）"]
    assert info["moov_before_mdat"] and info["atoms"].index("moov") < info["atoms"].index("mdat")
    audio_ms = probe_audio(video_media.audio).duration_ms
    assert abs(info["duration_ms"] - audio_ms) <= 100
    assert check_video(burned.path, True, audio_ms=audio_ms) == []


def test_report_describes_the_render(burned, video_media):
    assert burned.size == (1920, 1080) and burned.burn_in
    assert burned.subtitle_languages == ("eng", "chi")
    assert (burned.roll_start_ms, burned.roll_end_ms) == (media.ROLL_START_MS, 14_000)
    # 10 s of body: 20 bar steps (every 500 ms; the cues start and end on them), 2 × 10 more
    # while the lower-third fades (25 fps), one 40 ms before the roll; then 4 s of roll at 25 fps
    assert burned.frames == 20 + 2 * 10 + 1 + 4 * 25
    assert burned.warnings == ()


# ---------------------------------------------------------------- captions (Done when, line 2)


@pytest.mark.parametrize("cue", media.CUES, ids=lambda c: f"{c.middle_s}s")
def test_burned_captions_draw_both_scripts(burned, clean, cue):
    with_caps = media.frame_at(burned.path, cue.middle_s)
    without = media.frame_at(clean.path, cue.middle_s)
    diff = media.changed(with_caps, without)
    assert diff[:CAPTION_TOP].sum() < 200, "captions off: nothing above the caption area may change"
    bands = media.row_bands(diff[CAPTION_TOP:])
    assert len(bands) == 2, f"expected a Chinese and an English line, found row bands {bands}"
    (zh0, zh1), (en0, en1) = bands
    zh = diff[CAPTION_TOP + zh0 : CAPTION_TOP + zh1]
    en = diff[CAPTION_TOP + en0 : CAPTION_TOP + en1]
    # the top line is the Chinese text and the bottom one the English, glyph for glyph
    zh_ref, en_ref = media.text_mask(cue.zh, media.ZH_SIZE), media.text_mask(cue.en, media.EN_SIZE)
    # measured: 0.94-0.97 for the right text, 0.08-0.33 for the other script's text
    assert media.shape_similarity(zh, zh_ref) > 0.8
    assert media.shape_similarity(en, en_ref) > 0.8
    assert media.shape_similarity(zh, zh_ref) > media.shape_similarity(zh, en_ref) + 0.4
    assert media.shape_similarity(en, en_ref) > media.shape_similarity(en, zh_ref) + 0.4


def test_chinese_line_is_glyphs_not_boxes(burned, clean):
    """Tofu (a font without CJK) draws one hollow box per character; real glyphs have strokes."""
    cue = media.CUES[0]
    diff = media.changed(
        media.frame_at(burned.path, cue.middle_s), media.frame_at(clean.path, cue.middle_s)
    )
    (zh0, zh1), _ = media.row_bands(diff[CAPTION_TOP:])
    zh = media.crop_to_content(diff[CAPTION_TOP + zh0 : CAPTION_TOP + zh1])
    boxes = media.box_mask(zh.shape, len(cue.zh))  # the same line as empty boxes
    # measured: 0.94 against the glyphs, below 0 against boxes
    assert (
        media.shape_similarity(zh, media.text_mask(cue.zh, media.ZH_SIZE))
        > media.shape_similarity(zh, boxes) + 0.5
    )


def test_clean_video_has_no_caption_pixels(clean):
    during = media.frame_at(clean.path, media.CUES[0].middle_s)
    gap = media.frame_at(clean.path, media.GAP_S)
    assert media.changed(during, gap)[CAPTION_TOP:].sum() == 0


def test_captions_leave_the_screen_in_gaps(burned):
    during = media.frame_at(burned.path, media.CUES[0].middle_s)
    gap = media.frame_at(burned.path, media.GAP_S)
    assert media.changed(during, gap)[CAPTION_TOP:].sum() > 2000


# ---------------------------------------------------------- credit roll, title, lower-third, bar


def test_roll_frame_shows_the_credits(burned, clean, video_media):
    at = 2.0  # s into the roll
    frame = media.frame_at(burned.path, media.ROLL_START_MS / 1000 + at)
    body = media.frame_at(clean.path, 5.0)
    source = media.frame_at(video_media.roll, at)
    assert (
        media.changed(frame, body).mean() > 0.02
    )  # lines of white text where the still picture was
    assert (
        np.abs(frame.astype(int) - source.astype(int)).mean() < 3
    )  # and it is the roll's own frame
    text_rows = media.row_bands(media.changed(frame, np.full_like(frame, (14, 27, 46))), 50)
    assert len(text_rows) >= 4  # several credit lines are on screen


def test_title_renders_as_written(clean):
    """The title reaches the picture through Pillow, not a filter string: `:` and `…` survive."""
    settings = VideoSettings()
    frame = landscape(settings)
    face = face_for(settings.font_family, settings.title_style, None)
    base = base_picture(None, frame, settings)
    expected = np.asarray(background_with_title(base, TITLE, face, frame, settings))
    wrong = np.asarray(
        background_with_title(
            base, TITLE.replace(":", "").replace("…", "..."), face, frame, settings
        )
    )
    y0, x0, y1, x1 = TITLE_BOX
    got = media.frame_at(clean.path, 9.6)[y0:y1, x0:x1]  # after the lower-third, before the roll
    assert np.abs(got.astype(int) - expected[y0:y1, x0:x1].astype(int)).mean() < 3
    assert np.abs(got.astype(int) - wrong[y0:y1, x0:x1].astype(int)).mean() > 3 + 1


def test_lower_third_shows_the_host_then_leaves(clean):
    settings = VideoSettings()
    y = round(1080 * settings.lower_third_y_frac)
    shown = media.frame_at(clean.path, 4.0)[y : y + 150, 96:600]
    gone = media.frame_at(clean.path, 9.6)[y : y + 150, 96:600]
    assert media.changed(shown, gone).mean() > 0.05


def test_progress_bar_fills_with_elapsed_time(clean):
    settings = VideoSettings()
    y = round(1080 * settings.bar_y_frac) + 2

    def filled(t: float) -> int:
        row = media.frame_at(clean.path, t)[y, 96:1824].astype(int)
        return int((np.abs(row - np.array(settings.bar_colour)).sum(axis=1) < 60).sum())

    early, late = filled(2.0), filled(8.0)
    assert early == pytest.approx(1728 * 2 / 14, abs=12)
    assert late == pytest.approx(1728 * 8 / 14, abs=12)


# ---------------------------------------------------------------- vertical clip


def test_vertical_clip_cuts_the_range_with_captions(video_media):
    out = video_media.folder / "clip.mp4"
    report = render_clip(
        out, video_media.audio, 500, 5_000, TITLE, HOST, VideoSettings(), video_media.ass
    )
    info = probe_video(out)
    v = info["video"][0]
    assert (v["width"], v["height"], v["profile"]) == (1080, 1920, "High")
    assert abs(info["duration_ms"] - 4_500) <= 100 and report.duration_ms == info["duration_ms"]
    assert info["subtitles"] == [] and info["moov_before_mdat"]
    size = (1080, 1920)
    cue = media.frame_at(
        out, media.CUES[0].middle_s - 0.5, size
    )  # clip time = episode time - 0.5 s
    gap = media.frame_at(out, media.GAP_S - 0.5, size)
    lifted = round(1920 * (1 - VideoSettings().clip_caption_lift_frac))
    diff = media.changed(cue, gap)
    assert diff[lifted - 400 : lifted].sum() > 2000  # captions sit above the lifted bottom margin
    assert diff[lifted:].sum() == 0


# ---------------------------------------------------------------- bad input


def test_roll_start_after_the_audio_is_refused(video_media, tmp_path):
    with pytest.raises(VideoError, match="outside the audio"):
        render_video(
            tmp_path / "x.mp4",
            video_media.audio,
            TITLE,
            HOST,
            roll=video_media.roll,
            roll_start_ms=20_000,
        )
    assert not (tmp_path / "x.mp4").exists()


def test_missing_audio_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError):
        render_video(tmp_path / "x.mp4", tmp_path / "nope.wav", TITLE, HOST)


def test_title_the_font_cannot_draw_is_refused(video_media, tmp_path):
    with pytest.raises(VideoError, match="U\\+1F600"):
        render_video(tmp_path / "x.mp4", video_media.audio, "Markets 😀", HOST)


def test_missing_ffmpeg_names_the_package(video_media, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match="apt-get install ffmpeg"):
        render_video(tmp_path / "x.mp4", video_media.audio, TITLE, HOST)
