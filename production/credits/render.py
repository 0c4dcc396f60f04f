"""Render the credit roll: a silent H.264 segment, and a contact-sheet preview.

Pillow draws the whole roll once (layout.py); ffmpeg overlays it on the background, moving it
a whole number of pixels per frame (``y = … - n*px_per_frame``), and a mask keeps every pixel
of text inside title-safe (below the artwork's header), fading it in and out at the safe edges.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps, PngImagePlugin, UnidentifiedImageError

from ..assets import asset
from ..errors import EpisodeError, RenderError, ScriptError
from ..fsutil import atomic_path
from ..tools import run
from .layout import (
    Box,
    RollLayout,
    RollLine,
    RollPlan,
    RollSettings,
    card_plan,
    check_settings,
    layout_columns,
    layout_stacked,
    plan_roll,
    rgb,
    safe_box,
    text_box,
)
from .roll import CreditRoll

log = logging.getLogger(__name__)

DEFAULT_BACKGROUND = asset("artwork/background.png")
PREVIEW_TILE_WIDTH = 640  # px per frame on the contact sheet (a third of 1920)
PREVIEW_MAX_FRAMES = 36  # a contact sheet beyond 6×6 stops being readable
_PREVIEW_GAP = 8  # px between tiles


@dataclass(frozen=True)
class RollInfo:
    path: Path | None  # the MP4 (None for a plan made without rendering)
    mode: str  # "scroll" or "card"
    fps: int
    frames: int
    px_per_frame: int  # whole px the text moves each frame; 0 for a card
    roll_duration_ms: int  # frames / fps, in ms
    safe: Box  # title-safe rectangle in frame px
    text_area: Box  # where text may appear: inside ``safe``, below the artwork's header
    start_y: int  # roll-image top relative to text_area.y at frame 0
    roll_size: tuple[int, int]  # roll image (width, height) px; its left edge sits at safe.x
    lines: tuple[RollLine, ...]  # every drawn line, with its ink box in roll-image px

    def roll_top(self, frame: int) -> int:
        """Frame y of the roll image's top edge at ``frame`` (0-based)."""
        return self.text_area.y + self.start_y - frame * self.px_per_frame

    def line_box(self, line: RollLine, frame: int) -> tuple[int, int, int, int]:
        """``line``'s ink box (left, top, right, bottom) in frame px at ``frame`` (unclipped)."""
        top = self.roll_top(frame)
        x = self.text_area.x
        return (x + line.ink[0], top + line.ink[1], x + line.ink[2], top + line.ink[3])


def default_background() -> Path | None:
    """The show's background artwork, when assets/artwork/background.png exists."""
    return DEFAULT_BACKGROUND if DEFAULT_BACKGROUND.is_file() else None


def plan(roll: CreditRoll, settings: RollSettings | None = None) -> tuple[RollLayout, RollInfo]:
    """Lay the roll out and decide scroll or end card, without rendering."""
    settings = settings or RollSettings()
    check_settings(settings)
    if not roll.entries:
        raise ScriptError(
            "no credits to roll: add a credits block to the script or [credits] to episode.toml"
        )
    layout = layout_stacked(roll, settings)
    chosen: RollPlan | None = plan_roll(layout.image.height, settings)
    if chosen is None:
        log.info(
            "credits too long to scroll at ≤ %d px/frame: compact end card",
            settings.max_px_per_frame,
        )
        layout = layout_columns(roll, settings)
        chosen = card_plan(layout.image.height, settings)
    return layout, _info(None, layout, chosen, settings)


def _info(
    path: Path | None, layout: RollLayout, chosen: RollPlan, settings: RollSettings
) -> RollInfo:
    return RollInfo(
        path=path,
        mode=chosen.mode,
        fps=settings.fps,
        frames=chosen.frames,
        px_per_frame=chosen.px_per_frame,
        roll_duration_ms=chosen.frames * 1000 // settings.fps,
        safe=safe_box(settings),
        text_area=text_box(settings),
        start_y=chosen.start_y,
        roll_size=layout.image.size,
        lines=layout.lines,
    )


def render_roll(
    roll: CreditRoll,
    out_path: Path,
    settings: RollSettings | None = None,
    background: Path | None = None,
) -> RollInfo:
    """Write a silent 1920×1080 H.264 yuv420p MP4 of the credit roll; return its geometry.

    ``background``: an image (scaled and cropped to fill the frame); None uses the show's
    artwork (``default_background()``) or, without it, ``settings.background_colour``.
    """
    settings = settings or RollSettings()
    layout, info = plan(roll, settings)
    out_path = Path(out_path)
    with (
        tempfile.TemporaryDirectory(prefix="perspective-roll-") as tmp,
        atomic_path(out_path) as part,
    ):
        inputs = _write_inputs(Path(tmp), layout, settings, background)
        graph = _video_graph(info)
        run(
            [
                *_ffmpeg_inputs(inputs),
                "-filter_complex",
                graph,
                "-map",
                "[v]",
                "-frames:v",
                str(info.frames),
                *_x264_args(settings),
                "-an",
                str(part),
            ],
            what="rendering the credit roll",
        )
    return replace(info, path=out_path)


def _write_inputs(
    tmp: Path, layout: RollLayout, settings: RollSettings, background: Path | None
) -> list[Path]:
    paths = [tmp / "background.png", tmp / "roll.png", tmp / "mask.png"]
    _background_image(background, settings).save(paths[0])
    layout.image.save(paths[1])
    _safe_mask(settings).save(paths[2])
    return paths


def _background_image(background: Path | None, settings: RollSettings) -> Image.Image:
    size = (settings.width, settings.height)
    source = background if background is not None else default_background()
    if source is None:
        return Image.new("RGB", size, rgb(settings.background_colour, "background_colour"))
    try:
        with Image.open(source) as img:
            return ImageOps.fit(img.convert("RGB"), size, method=Image.Resampling.LANCZOS)
    except FileNotFoundError as err:
        raise EpisodeError(
            f"credit roll background {source} not found: give an existing image"
        ) from err
    except (UnidentifiedImageError, OSError) as err:
        raise EpisodeError(
            f"credit roll background {source} is not a readable image ({err}): use a PNG or JPEG"
        ) from err


def _safe_mask(settings: RollSettings) -> Image.Image:
    """White inside the text area, black outside, ramping over ``fade_px`` at its top and bottom."""
    box = text_box(settings)
    column = np.zeros(settings.height, dtype=np.float32)
    column[box.y : box.y + box.h] = 1.0
    if settings.fade_px:
        ramp = (np.arange(settings.fade_px, dtype=np.float32) + 0.5) / settings.fade_px
        column[box.y : box.y + settings.fade_px] = ramp
        column[box.y + box.h - settings.fade_px : box.y + box.h] = ramp[::-1]
    mask = np.zeros((settings.height, settings.width), dtype=np.uint8)
    mask[:, box.x : box.x + box.w] = np.round(column * 255).astype(np.uint8)[:, None]
    return Image.fromarray(mask, mode="L")


def _ffmpeg_inputs(inputs: list[Path]) -> list[str]:
    background, roll_png, mask = (str(p) for p in inputs)
    quiet = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    return [*quiet, "-i", background, "-i", roll_png, "-i", mask]


def _graph(info: RollInfo, tail: str) -> str:
    """Filter graph; only integers from the plan go into it, never text.

    Background and mask are decoded once and repeated in memory (``loop``), each frame
    stamped ``N/fps``. The roll's frame number comes from that timestamp (``round(t*fps)``):
    overlay's own ``n`` starts at 1 in some ffmpeg versions (5.1 among them), which would
    shift the roll by a frame. Overlaying in planar RGB keeps odd y positions (in yuv420
    overlay rounds y to even rows, which would make a 3 px/frame scroll judder).
    """
    still = f"loop=loop=-1:size=1:start=0,setpts=N/({info.fps}*TB)"
    y = f"{info.text_area.y + info.start_y}-{info.px_per_frame}*round(t*{info.fps})"
    return (
        f"[0:v]format=gbrp,{still},split[base][under];"
        f"[under][1:v]overlay=x={info.text_area.x}:y={y}:format=gbrp:eof_action=repeat[text];"
        f"[2:v]format=gbrp,{still}[mask];"
        f"[base][text][mask]maskedmerge,{tail}[v]"
    )


def _video_graph(info: RollInfo) -> str:
    """The roll for the MP4: only the text area is composed frame by frame.

    Outside the text area every frame is the background (the mask is black there), so the
    background is converted to yuv420p once and repeated; the scrolling text, the mask merge
    and the conversion run on the text area alone (widened to even pixels, where yuv420p
    overlays place exactly), which is then laid on the background. Same picture as
    :func:`_graph` followed by the conversion, for the per-frame work of the area.
    """
    area = info.text_area
    x0, y0 = area.x - area.x % 2, area.y - area.y % 2
    x1, y1 = area.x + area.w + (area.x + area.w) % 2, area.y + area.h + (area.y + area.h) % 2
    crop = f"crop=w={x1 - x0}:h={y1 - y0}:x={x0}:y={y0}"
    still = f"loop=loop=-1:size=1:start=0,setpts=N/({info.fps}*TB)"
    y = f"{area.y - y0 + info.start_y}-{info.px_per_frame}*round(t*{info.fps})"
    yuv = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    return (
        f"[0:v]format=gbrp,split[full][part];"
        f"[full]{yuv},{still}[base];"
        f"[part]{crop},{still},split[under][back];"
        f"[back][1:v]overlay=x={area.x - x0}:y={y}:format=gbrp:eof_action=repeat[text];"
        f"[2:v]format=gbrp,{crop},{still}[mask];"
        f"[under][text][mask]maskedmerge,{yuv}[area];"
        f"[base][area]overlay=x={x0}:y={y0}:format=yuv420:eof_action=repeat[v]"
    )


def _x264_args(settings: RollSettings) -> list[str]:
    return [
        "-r",
        str(settings.fps),
        "-c:v",
        "libx264",
        "-preset",
        settings.x264_preset,
        "-crf",
        str(settings.crf),
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-movflags",
        "+faststart",
    ]


def preview_frames(info: RollInfo, count: int) -> list[int]:
    """``count`` frame numbers spread evenly over the roll (its ends excluded: they are empty)."""
    return [round((i + 1) * (info.frames - 1) / (count + 1)) for i in range(count)]


def preview_png(
    roll: CreditRoll,
    out_png: Path,
    settings: RollSettings | None = None,
    frames: int = 4,
    background: Path | None = None,
) -> Path:
    """Contact sheet of ``frames`` frames of the roll, taken from the same render graph."""
    if not 1 <= frames <= PREVIEW_MAX_FRAMES:
        raise RenderError(
            f"preview frames must be between 1 and {PREVIEW_MAX_FRAMES}, not {frames}: "
            "pick another count"
        )
    settings = settings or RollSettings()
    layout, info = plan(roll, settings)
    picks = preview_frames(info, frames)
    tile_h = int(round(PREVIEW_TILE_WIDTH * settings.height / settings.width / 2)) * 2
    with tempfile.TemporaryDirectory(prefix="perspective-roll-") as tmp:
        inputs = _write_inputs(Path(tmp), layout, settings, background)
        select = "+".join(f"eq(n\\,{n})" for n in sorted(set(picks)))
        graph = _graph(info, f"select={select},scale={PREVIEW_TILE_WIDTH}:{tile_h},format=rgb24")
        raw = run(
            [
                *_ffmpeg_inputs(inputs),
                "-filter_complex",
                graph,
                "-map",
                "[v]",
                "-frames:v",
                str(len(set(picks))),
                "-fps_mode",
                "passthrough",
                "-f",
                "rawvideo",
                "pipe:1",
            ],
            what="rendering the credit roll preview",
        )
    tiles = _tiles(raw, PREVIEW_TILE_WIDTH, tile_h)
    sheet = _contact_sheet([tiles[sorted(set(picks)).index(n)] for n in picks], picks, info)
    info_chunk = PngImagePlugin.PngInfo()
    info_chunk.add_text(PREVIEW_SOFTWARE_KEY, PREVIEW_SOFTWARE)  # marks it as ours: replaceable
    with atomic_path(out_png) as part:
        sheet.save(part, format="PNG", pnginfo=info_chunk)
    return Path(out_png)


PREVIEW_SOFTWARE_KEY = "Software"  # PNG tEXt keyword (PNG specification 11.3.4.2)
PREVIEW_SOFTWARE = "perspective credits --preview"


def is_preview_png(path: Path) -> bool:
    """Whether ``path`` is a contact sheet ``preview_png`` wrote (so it may be replaced)."""
    try:
        with Image.open(path) as img:
            return img.format == "PNG" and img.info.get(PREVIEW_SOFTWARE_KEY) == PREVIEW_SOFTWARE
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def _tiles(raw: bytes, w: int, h: int) -> list[Image.Image]:
    size = w * h * 3
    if not raw or len(raw) % size:
        raise RenderError(
            f"credit roll preview: ffmpeg returned {len(raw)} bytes, not whole {w}×{h} frames"
        )
    return [Image.frombytes("RGB", (w, h), raw[i : i + size]) for i in range(0, len(raw), size)]


def _contact_sheet(tiles: list[Image.Image], picks: list[int], info: RollInfo) -> Image.Image:
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    w, h = tiles[0].size
    sheet = Image.new(
        "RGB",
        (cols * w + (cols + 1) * _PREVIEW_GAP, rows * h + (rows + 1) * _PREVIEW_GAP),
        (40, 40, 40),
    )
    draw = ImageDraw.Draw(sheet)
    for i, (tile, frame) in enumerate(zip(tiles, picks, strict=True)):
        x = _PREVIEW_GAP + (i % cols) * (w + _PREVIEW_GAP)
        y = _PREVIEW_GAP + (i // cols) * (h + _PREVIEW_GAP)
        sheet.paste(tile, (x, y))
        draw.text((x + 6, y + 4), f"{frame * 1000 // info.fps / 1000:.2f} s", fill=(255, 255, 0))
    return sheet
