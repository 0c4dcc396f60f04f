"""The rendered roll: frames decoded from the MP4 are checked against the scroll geometry.

Every check reads real pixels of the encoded video: no ink outside title-safe, each name's
ink where the geometry says it is (and as wide as that name set in Noto Sans), Chinese roles
drawn with real CJK glyphs (not tofu boxes), and a constant whole-pixel scroll per frame.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from production.credits import (
    CreditRoll,
    RollInfo,
    RollSettings,
    build_credit_roll,
    plan,
    preview_png,
    render_roll,
)
from production.credits.render import _background_image, default_background
from production.errors import EpisodeError, RenderError, ScriptError, ToolMissingError
from production.models import Credit

BACKGROUND_RGB = (15, 26, 42)
INK_LEVELS = 40  # luma difference from the background that counts as drawn text
# 6 s instead of 20 s and a fast x264 preset keep the test quick; the seed roll then has
# to move 20 px/frame, so the speed limit is raised for it.
FAST = RollSettings(duration_ms=6000, max_px_per_frame=24, x264_preset="superfast")


def fc_font(pattern: str, size: int) -> ImageFont.FreeTypeFont:
    """A font found by fontconfig directly (independently of the code under test)."""
    out = subprocess.run(
        ["fc-match", "-f", "%{file}\n%{index}", pattern], capture_output=True, check=True
    )
    path, index = out.stdout.decode().split("\n")
    return ImageFont.truetype(path, size, index=int(index))


def decode_luma(path: Path, frames: list[int]) -> dict[int, np.ndarray]:
    """The luma plane of the given frames (0-based), decoded by ffmpeg."""
    wanted = sorted(set(frames))
    select = "+".join(f"eq(n\\,{n})" for n in wanted)
    out = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-vf",
            f"select={select},format=gray",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    planes = np.frombuffer(out, np.uint8).reshape(len(wanted), FAST.height, FAST.width)
    return dict(zip(wanted, planes, strict=True))


def ink(luma: np.ndarray, background_level: float) -> np.ndarray:
    return np.abs(luma.astype(np.int16) - background_level) > INK_LEVELS


def background_level(luma: np.ndarray) -> float:
    return float(np.median(luma[:40, :]))  # above title-safe: never text


def mid_frame(info: RollInfo, line_ink: tuple[int, int, int, int]) -> int:
    """The frame at which this line's centre crosses the middle of the text area."""
    centre = (line_ink[1] + line_ink[3]) / 2
    middle = info.text_area.y + info.text_area.h / 2
    return round((info.roll_top(0) + centre - middle) / info.px_per_frame)


def crop(mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    left, top, right, bottom = box
    return mask[top:bottom, left:right]


def ink_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def text_mask(text: str, font: ImageFont.FreeTypeFont) -> np.ndarray:
    """``text`` set by Pillow in ``font``, cropped to its ink."""
    size = int(font.size)
    image = Image.new("L", (int(font.getlength(text)) + 40, size * 2), 0)
    ImageDraw.Draw(image).text((20, size), text, font=font, fill=255, anchor="lm")
    mask = np.array(image) > 127
    return crop(mask, ink_bbox(mask))


def resized(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(mask.astype(np.uint8) * 255).resize(
        (shape[1], shape[0]), Image.Resampling.BILINEAR
    )
    return np.array(image) > 127


@pytest.fixture(scope="module")
def solid_background(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bg") / "solid.png"
    Image.new("RGB", (1920, 1080), BACKGROUND_RGB).save(path)
    return path


@pytest.fixture(scope="module")
def seed_video(
    tmp_path_factory: pytest.TempPathFactory, seed_roll: CreditRoll, solid_background: Path
) -> RollInfo:
    out = tmp_path_factory.mktemp("roll") / "credits roll.mp4"  # a space in the name on purpose
    return render_roll(seed_roll, out, FAST, solid_background)


@pytest.fixture(scope="module")
def seed_frames(seed_video: RollInfo) -> dict[int, np.ndarray]:
    names = [line for line in seed_video.lines if line.kind in ("name", "role_zh")]
    middle = seed_video.frames // 2
    wanted = [mid_frame(seed_video, line.ink) for line in names] + [
        0,
        middle,
        middle + 1,
        middle + 10,
    ]
    assert seed_video.path is not None
    return decode_luma(seed_video.path, [*wanted, seed_video.frames - 1])


def test_the_segment_is_silent_1080p_h264_yuv420p(seed_video: RollInfo) -> None:
    assert seed_video.path is not None
    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-count_frames",
                "-show_streams",
                "-show_format",
                "-of",
                "json",
                str(seed_video.path),
            ],
            capture_output=True,
            check=True,
        ).stdout
    )
    (stream,) = probe["streams"]  # no audio stream
    assert (stream["codec_name"], stream["profile"], stream["pix_fmt"]) == (
        "h264",
        "High",
        "yuv420p",
    )
    assert (stream["width"], stream["height"], stream["avg_frame_rate"]) == (1920, 1080, "25/1")
    assert int(stream["nb_read_frames"]) == seed_video.frames == 150
    assert seed_video.roll_duration_ms == 6000
    assert abs(float(probe["format"]["duration"]) * 1000 - seed_video.roll_duration_ms) <= 40


def test_no_ink_outside_title_safe(
    seed_video: RollInfo, seed_frames: dict[int, np.ndarray]
) -> None:
    safe, area = seed_video.safe, seed_video.text_area
    for n, luma in seed_frames.items():
        drawn = ink(luma, background_level(luma))
        outside = drawn.copy()
        outside[area.y : area.y + area.h, area.x : area.x + area.w] = False  # text area ⊂ safe
        assert not outside.any(), f"frame {n}: ink at {np.argwhere(outside)[:3].tolist()}"
        assert area.y >= safe.y and area.y + area.h <= safe.y + safe.h
    assert sum(ink(f, background_level(f)).sum() for f in seed_frames.values()) > 10_000


def test_every_name_is_drawn_where_the_scroll_puts_it(
    seed_video: RollInfo, seed_frames: dict[int, np.ndarray], seed_roll: CreditRoll
) -> None:
    layout, _ = plan(seed_roll, FAST)
    alpha = np.array(layout.image.getchannel("A")) > 127
    name_font = fc_font("Noto Sans CJK SC", FAST.name_size)
    names = [line for line in seed_video.lines if line.kind == "name"]
    assert [line.text for line in names] == [n for e in seed_roll.entries for n in e.names]
    for line in names:
        n = mid_frame(seed_video, line.ink)
        luma = seed_frames[n]
        box = seed_video.line_box(line, n)
        pad = (box[0] - 6, box[1] - 6, box[2] + 6, box[3] + 6)
        seen = crop(ink(luma, background_level(luma)), pad)
        expected = np.pad(crop(alpha, line.ink), 6)
        assert iou(seen, expected) > 0.6, f"{line.text!r} not where expected at frame {n}"
        width = ink_bbox(seen)[2] - ink_bbox(seen)[0]
        assert abs(width - text_mask(line.text, name_font).shape[1]) <= 4, line.text


def test_chinese_roles_are_drawn_with_cjk_glyphs_not_tofu(
    seed_video: RollInfo, seed_frames: dict[int, np.ndarray]
) -> None:
    cjk = fc_font("Noto Sans CJK SC:style=Bold", FAST.role_zh_size)
    no_cjk = fc_font(
        "DejaVu Sans", FAST.role_zh_size
    )  # has no CJK: draws its empty .notdef box for each character
    roles = [line for line in seed_video.lines if line.kind == "role_zh"]
    assert len(roles) == 8
    for line in roles:
        n = mid_frame(seed_video, line.ink)
        luma = seed_frames[n]
        seen = crop(ink(luma, background_level(luma)), seed_video.line_box(line, n))
        seen = crop(seen, ink_bbox(seen))
        real = iou(seen, resized(text_mask(line.text, cjk), seen.shape))
        tofu = iou(seen, resized(text_mask(line.text, no_cjk), seen.shape))
        assert real > 0.6 and real > tofu + 0.2, (line.text, real, tofu)


def test_scroll_is_a_constant_whole_number_of_pixels_per_frame(
    seed_video: RollInfo, seed_frames: dict[int, np.ndarray]
) -> None:
    assert seed_video.mode == "scroll" and seed_video.px_per_frame == 20
    middle = seed_video.frames // 2
    for step in (1, 10):
        search = (seed_video.px_per_frame + 5) * step
        assert measured_shift(
            seed_frames[middle], seed_frames[middle + step], seed_video, search
        ) == (seed_video.px_per_frame * step)


def measured_shift(before: np.ndarray, after: np.ndarray, info: RollInfo, max_shift: int) -> int:
    """Rows the picture moved up between two frames: the shift with the least squared difference."""
    area = info.text_area
    top, bottom = area.y + FAST.fade_px, area.y + area.h - FAST.fade_px - max_shift
    a = after[top:bottom, area.x : area.x + area.w].astype(np.float32)
    errors = [
        float(
            np.mean(
                (a - before[top + s : bottom + s, area.x : area.x + area.w].astype(np.float32)) ** 2
            )
        )
        for s in range(max_shift + 1)
    ]
    best = int(np.argmin(errors))
    assert errors[best] < 0.2 * sorted(errors)[1] or errors[best] < 1.0, errors
    return best


def test_the_roll_starts_and_ends_empty(
    seed_video: RollInfo, seed_frames: dict[int, np.ndarray]
) -> None:
    for n in (0, seed_video.frames - 1):
        assert not ink(seed_frames[n], background_level(seed_frames[n])).any(), n


# --- end cards ---------------------------------------------------------------------------------


HOSTILE = "O'Brien: [x]; drawtext=text='%{pts}' \\, $(rm -rf /)"  # filter and shell syntax


def test_a_short_roll_is_a_static_end_card_with_text_drawn_literally(
    tmp_path: Path, solid_background: Path
) -> None:
    roll = build_credit_roll(
        [Credit("Host", ("Stephanie LI",)), Credit("Presented by", (HOSTILE,))]
    )
    settings = RollSettings(duration_ms=1000, x264_preset="superfast")
    info = render_roll(roll, tmp_path / "card.mp4", settings, solid_background)
    assert (info.mode, info.px_per_frame, info.frames) == ("card", 0, 25)
    assert [line.text for line in info.lines if line.kind == "name"] == ["Stephanie LI", HOSTILE]
    assert info.path is not None
    frames = decode_luma(info.path, [0, 24])
    first, last = (ink(frames[n], background_level(frames[n])) for n in (0, 24))
    assert iou(first, last) > 0.95 and first.sum() > 1000  # static: the same text in the same place
    assert_lines_drawn(info, frames[0], roll, settings)


def test_a_roll_too_fast_to_read_becomes_a_compact_card(
    tmp_path: Path, solid_background: Path, seed_roll: CreditRoll
) -> None:
    settings = RollSettings(duration_ms=1000, x264_preset="superfast")  # would need > 6 px/frame
    info = render_roll(seed_roll, tmp_path / "card.mp4", settings, solid_background)
    assert info.mode == "card"
    assert {line.kind for line in info.lines} == {"role", "name"}
    assert info.path is not None
    assert_lines_drawn(info, decode_luma(info.path, [12])[12], seed_roll, settings)


def assert_lines_drawn(
    info: RollInfo, luma: np.ndarray, roll: CreditRoll, settings: RollSettings
) -> None:
    layout, _ = plan(roll, settings)
    alpha = np.array(layout.image.getchannel("A")) > 127
    drawn = ink(luma, background_level(luma))
    area = info.text_area
    assert not drawn[: area.y].any() and not drawn[area.y + area.h :].any()
    assert not drawn[:, : area.x].any() and not drawn[:, area.x + area.w :].any()
    for line in info.lines:
        box = info.line_box(line, 0)
        assert area.y <= box[1] and box[3] <= area.y + area.h, line
        assert iou(crop(drawn, box), crop(alpha, line.ink)) > 0.5, line.text


# --- preview, inputs, failures -------------------------------------------------------------------


def test_preview_is_a_contact_sheet_of_frames(
    tmp_path: Path, seed_roll: CreditRoll, solid_background: Path
) -> None:
    quick = RollSettings(duration_ms=3000, max_px_per_frame=64)  # preview: frames only, no encode
    out = preview_png(
        seed_roll, tmp_path / "preview.png", quick, frames=4, background=solid_background
    )
    with Image.open(out) as sheet:
        assert sheet.size == (2 * 640 + 3 * 8, 2 * 360 + 3 * 8)
        tiles = [
            sheet.crop((8 + c * 648, 8 + r * 368, 8 + c * 648 + 640, 8 + r * 368 + 360))
            for r in (0, 1)
            for c in (0, 1)
        ]
    for tile in tiles:
        luma = np.array(tile.convert("L"))
        assert (
            np.abs(luma.astype(int) - int(np.median(luma))) > INK_LEVELS
        ).sum() > 200  # text on it


def test_preview_frame_count_is_checked(tmp_path: Path, seed_roll: CreditRoll) -> None:
    with pytest.raises(RenderError, match="between 1 and"):
        preview_png(seed_roll, tmp_path / "p.png", FAST, frames=0)


def test_default_background_is_the_show_artwork_or_a_solid_colour() -> None:
    image = _background_image(None, RollSettings())
    assert image.size == (1920, 1080)
    artwork = default_background()
    if artwork is None:
        assert image.getpixel((5, 5)) == (14, 27, 46)  # RollSettings.background_colour
    else:
        with Image.open(artwork) as expected:
            assert image.getpixel((5, 5)) == expected.convert("RGB").getpixel((5, 5))


def test_a_background_that_is_not_an_image_is_an_episode_error(
    tmp_path: Path, seed_roll: CreditRoll
) -> None:
    fake = tmp_path / "background.png"
    fake.write_text("not an image")
    with pytest.raises(EpisodeError, match="not a readable image"):
        render_roll(seed_roll, tmp_path / "out.mp4", FAST, fake)
    assert not (tmp_path / "out.mp4").exists()


def test_a_name_the_font_cannot_draw_fails_before_rendering(tmp_path: Path) -> None:
    roll = build_credit_roll([Credit("Host", ("Anna \U00013000",))])
    with pytest.raises(RenderError, match="U\\+13000"):
        render_roll(roll, tmp_path / "out.mp4", FAST)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_cjk_font_names_fonts_noto_cjk(tmp_path: Path, seed_roll: CreditRoll) -> None:
    with pytest.raises(ToolMissingError, match="fonts-noto-cjk"):
        render_roll(
            seed_roll, tmp_path / "out.mp4", RollSettings(font_family="No Such Font CJK QX")
        )


def test_an_empty_roll_cannot_be_rendered(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="no credits to roll"):
        render_roll(build_credit_roll([]), tmp_path / "out.mp4", FAST)


@pytest.mark.slow
def test_default_settings_scroll_the_seed_at_whole_pixels(
    tmp_path: Path, seed_roll: CreditRoll, solid_background: Path
) -> None:
    info = render_roll(seed_roll, tmp_path / "roll.mp4", RollSettings(), solid_background)
    assert (info.mode, info.frames, info.roll_duration_ms) == ("scroll", 500, 20_000)
    assert info.path is not None
    frames = decode_luma(info.path, [250, 251])
    assert measured_shift(frames[250], frames[251], info, 12) == info.px_per_frame == 6
