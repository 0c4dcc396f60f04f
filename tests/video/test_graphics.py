from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from production.video import VideoError, VideoSettings
from production.video.graphics import (
    artwork_or_generated,
    background_with_title,
    bar_images,
    check_glyphs,
    face_for,
    fit_title,
    font,
    host_label,
    landscape,
    lower_third,
    vertical,
    wrap,
)

SETTINGS = VideoSettings()
BOLD = face_for(SETTINGS.font_family, "Bold", None)
REGULAR = face_for(SETTINGS.font_family, "Regular", None)
WORDS = st.text(st.sampled_from("abcdefghij ,:'\\%{}[];深圳人工智能"), min_size=1, max_size=120)


@given(WORDS, st.integers(200, 1700))
def test_wrapped_lines_fit_and_keep_the_text(text, width):
    f = font(BOLD, 48)
    lines = wrap(text, f, width)
    assert "".join("".join(lines).split()) == "".join(text.split())
    # a line only overflows when it is one unbreakable word
    assert all(f.getlength(line) <= width or " " not in line and len(line) > 0 for line in lines)


def test_long_titles_shrink_then_end_with_an_ellipsis():
    frame = landscape(SETTINGS)
    width = frame.width - 2 * frame.margin
    lines, f = fit_title("Why " * 80, BOLD, width, SETTINGS)
    assert len(lines) == SETTINGS.title_max_lines and lines[-1].endswith("…")
    assert f.size == SETTINGS.min_title_size_px and all(f.getlength(x) <= width for x in lines)
    short, f2 = fit_title("DeepSeek aftermath: Should Shenzhen…", BOLD, width, SETTINGS)
    assert short == ["DeepSeek aftermath: Should Shenzhen…"] and f2.size == SETTINGS.title_size_px


@pytest.mark.parametrize(
    "title", ["DeepSeek aftermath: Should Shenzhen…", "100% 'real' \\ [costs]; %{pts}, a:b"]
)
def test_title_is_drawn_verbatim(title):
    """Filter syntax is just characters to Pillow: the drawn pixels equal the text's."""
    frame = landscape(SETTINGS)
    base = Image.new("RGB", (frame.width, frame.height), (0, 0, 0))
    drawn = np.asarray(background_with_title(base, title, BOLD, frame, SETTINGS))
    ref = Image.new("RGB", (frame.width, frame.height), (0, 0, 0))
    ImageDraw.Draw(ref).text(
        (frame.margin, round(frame.height * SETTINGS.title_y_frac)),
        title,
        font=font(BOLD, SETTINGS.title_size_px),
        fill=SETTINGS.title_colour,
        anchor="la",
    )
    assert np.array_equal(drawn, np.asarray(ref)) and drawn.any()


def test_artwork_fills_both_frame_shapes(tmp_path):
    art = tmp_path / "art.png"
    Image.new("RGB", (800, 450), (200, 10, 10)).save(art)
    assert artwork_or_generated(art, landscape(SETTINGS), SETTINGS).size == (1920, 1080)
    assert artwork_or_generated(art, vertical(SETTINGS), SETTINGS).size == (1080, 1920)


def test_unreadable_artwork_says_what_to_do(tmp_path):
    bad = tmp_path / "art.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(VideoError, match="export it again"):
        artwork_or_generated(bad, landscape(SETTINGS), SETTINGS)


def test_lower_third_is_an_even_sized_panel_with_text():
    panel = lower_third("Jane O'Neil", "Host · 主持人", BOLD, REGULAR, SETTINGS)
    assert panel.mode == "RGBA" and panel.width % 2 == 0 and panel.height % 2 == 0
    alpha = np.asarray(panel)[..., 3]
    assert alpha.min() == SETTINGS.panel_rgba[3]
    text = (np.asarray(panel)[..., :3].astype(int) - np.array(SETTINGS.panel_rgba[:3])).any(axis=2)
    assert text[:, 20:].mean() > 0.05


def test_bar_images_span_the_title_safe_width():
    track, fill = bar_images(landscape(SETTINGS), SETTINGS)
    assert track.size == fill.size == (1728, SETTINGS.bar_height_px)


def test_host_label_comes_from_the_role_table():
    assert host_label("Host") == "Host · 主持人"
    assert host_label("Unknown Role") == "Unknown Role"


def test_fonts_dir_is_searched_by_family_and_style(tmp_path):
    (tmp_path / "cjk.ttc").symlink_to(BOLD.path)
    found = face_for(SETTINGS.font_family, "Bold", tmp_path)
    assert found.path == tmp_path / "cjk.ttc" and found.index == BOLD.index


def test_missing_fonts_dir_is_refused(tmp_path):
    with pytest.raises(VideoError, match="fonts folder"):
        face_for(SETTINGS.font_family, "Bold", tmp_path / "none")


def test_characters_without_glyphs_are_named():
    with pytest.raises(VideoError, match="U\\+1F600"):
        check_glyphs(BOLD, {"title": "Markets 😀"})
    check_glyphs(BOLD, {"title": "深圳 DeepSeek: 100%"})
