from __future__ import annotations

import pysubs2
import pytest

from production.video import VideoError, VideoSettings
from production.video.assfile import load_ass, play_res, texts_by_font, vertical_cut

from . import media


@pytest.fixture()
def subs(tmp_path) -> pysubs2.SSAFile:
    return load_ass(media.write_ass(tmp_path / "c.ass"))


def test_texts_are_grouped_by_font(subs):
    texts = texts_by_font(subs)
    assert list(texts) == ["Noto Sans CJK SC"]
    assert (
        "深圳的人工智能公司" in texts["Noto Sans CJK SC"]
        and "Shenzhen's" in texts["Noto Sans CJK SC"]
    )


def test_vertical_cut_shifts_clamps_and_drops_cues(subs):
    cut = vertical_cut(subs, 2_000, 7_000, VideoSettings())
    times = [(e.start, e.end) for e in cut.events if e.style == "ZH"]
    assert times == [(0, 1_000), (1_500, 4_000), (4_500, 5_000)]
    assert play_res(cut) == (1080, 1920)


def test_vertical_cut_keeps_pixel_sizes_and_lifts_every_style_equally(subs):
    settings = VideoSettings()
    cut = vertical_cut(subs, 0, 10_000, settings)
    lift = round(1920 * settings.clip_caption_lift_frac)
    for name in ("ZH", "EN"):
        assert cut.styles[name].fontsize == subs.styles[name].fontsize
        assert cut.styles[name].marginv == subs.styles[name].marginv + lift
        assert cut.styles[name].marginl == cut.styles[name].marginr == 54  # 5 % of 1080
    assert cut.styles["ZH"].marginv > cut.styles["EN"].marginv  # Chinese stays on top


def test_scale_setting_scales_fonts(subs):
    cut = vertical_cut(subs, 0, 10_000, VideoSettings(clip_caption_scale=1.5))
    assert cut.styles["ZH"].fontsize == pytest.approx(subs.styles["ZH"].fontsize * 1.5)


def test_unreadable_ass_says_what_to_do(tmp_path):
    bad = tmp_path / "bad.ass"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(VideoError, match="write the captions again|not a readable"):
        load_ass(bad)
    with pytest.raises(VideoError, match="captions stage"):
        load_ass(tmp_path / "missing.ass")
