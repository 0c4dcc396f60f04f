"""Everything the video shows besides captions and the credit roll, drawn by Pillow.

Titles and names are drawn here into PNGs and ffmpeg only overlays those images, so no user
text ever reaches an ffmpeg filter string: a title such as ``DeepSeek aftermath: Should
Shenzhen…`` or ``100% 'real' \\ [costs]; %{pts}`` renders exactly as written.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ..assets import asset
from ..credits.fonts import FontFace, find_font, load_font, missing_glyphs
from ..errors import ProductionError
from .settings import RGB, VideoError, VideoSettings

log = logging.getLogger(__name__)

ARTWORK = asset("artwork/background.png")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
ELLIPSIS = "…"
# CJK radicals to ideographs, compatibility ideographs, full-width forms, CJK punctuation
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# one token per CJK character (lines may break between any two), one per Latin word + its spaces
_TOKENS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")
_MAX_FACES_PER_FILE = 32  # .ttc collections: Noto Sans CJK has 10 faces


@dataclass(frozen=True)
class Frame:
    """Where things go on one frame shape (landscape episode or vertical clip)."""

    width: int  # px
    height: int  # px
    title_y_frac: float  # title's top edge, share of the height
    bar_y_frac: float  # progress bar's top edge
    lower_third_y_frac: float  # lower-third's top edge
    safe_frac: float = 0.90  # title-safe share of the width

    @property
    def margin(self) -> int:
        """px from the left/right edge to the title-safe area (5 % each side at 90 % safe)."""
        return round(self.width * (1 - self.safe_frac) / 2)


def landscape(settings: VideoSettings) -> Frame:
    return Frame(
        settings.width,
        settings.height,
        settings.title_y_frac,
        settings.bar_y_frac,
        settings.lower_third_y_frac,
        settings.safe_frac,
    )


def vertical(settings: VideoSettings) -> Frame:
    return Frame(
        settings.clip_width,
        settings.clip_height,
        settings.clip_title_y_frac,
        settings.clip_bar_y_frac,
        settings.clip_lower_third_y_frac,
        settings.safe_frac,
    )


# ---------------------------------------------------------------- fonts


@lru_cache(maxsize=32)
def face_for(family: str, style: str, fonts_dir: Path | None) -> FontFace:
    """The font file for ``family``/``style``: from ``fonts_dir`` when given, else fontconfig."""
    if fonts_dir is not None:
        found = _face_in_dir(family, style, Path(fonts_dir))
        if found is not None:
            return found
        log.info("%s %s not in %s; asking fontconfig", family, style, fonts_dir)
    return find_font(family, style)


def _face_in_dir(family: str, style: str, folder: Path) -> FontFace | None:
    if not folder.is_dir():
        raise VideoError(
            f"fonts folder {folder} does not exist: point fonts_dir at the folder holding "
            "the CJK font"
        )
    fallback: FontFace | None = None
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in FONT_SUFFIXES):
        for index in range(_MAX_FACES_PER_FILE):
            try:
                fam, sty = ImageFont.truetype(str(path), 12, index=index).getname()
            except OSError:
                break
            if (fam or "").casefold() == family.casefold():
                if (sty or "").casefold() == style.casefold():
                    return FontFace(path=path, index=index, family=family)
                fallback = fallback or FontFace(path=path, index=index, family=family)
    return fallback


def font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    return load_font(face, size)


def check_glyphs(face: FontFace, texts: dict[str, str]) -> None:
    """VideoError naming the characters ``face`` would draw as empty boxes, per text."""
    f = font(face, 32)
    for what, text in texts.items():
        missing = missing_glyphs(f, text)
        if missing:
            shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing[:8])
            raise VideoError(
                f"the {what} has characters font {face.family!r} cannot draw ({shown}); "
                "they would show as empty boxes: remove them or choose another font_family"
            )


# ---------------------------------------------------------------- text layout


def wrap(text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line breaking at spaces (Latin) or between characters (CJK) within ``width`` px."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        candidate = line + token
        if line and f.getlength(candidate.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit_title(
    text: str, face: FontFace, width: int, settings: VideoSettings
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """Lines and font for the title: shrink until it fits ``title_max_lines``, then end with …"""
    size = settings.title_size_px
    while True:
        f = font(face, size)
        lines = wrap(text, f, width)
        if len(lines) <= settings.title_max_lines or size <= settings.min_title_size_px:
            break
        size = max(settings.min_title_size_px, size - 4)
    if len(lines) > settings.title_max_lines:
        lines = lines[: settings.title_max_lines]
        lines[-1] = _ellipsize(lines[-1], f, width)
    return lines, f


def _ellipsize(line: str, f: ImageFont.FreeTypeFont, width: int) -> str:
    while line and f.getlength(line + ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


# ---------------------------------------------------------------- images


def artwork_or_generated(
    background: Path | None, frame: Frame, settings: VideoSettings
) -> Image.Image:
    """The show's artwork scaled to cover the frame (centre crop), or a drawn gradient if none."""
    source = background if background is not None else (ARTWORK if ARTWORK.is_file() else None)
    if source is None:
        log.info("no artwork at %s: drawing a plain background", ARTWORK)
        return gradient(frame, settings.background_top, settings.background_bottom)
    try:
        with Image.open(source) as img:
            img.load()
            rgb = img.convert("RGB")
    except (OSError, ValueError) as err:
        raise VideoError(
            f"background {source} is not a readable image ({err}): export it again as PNG or JPEG"
        ) from err
    return ImageOps.fit(rgb, (frame.width, frame.height), Image.Resampling.LANCZOS)


def gradient(frame: Frame, top: RGB, bottom: RGB) -> Image.Image:
    column = Image.linear_gradient("L").resize((1, frame.height))
    img = Image.composite(
        Image.new("RGB", (1, frame.height), bottom),
        Image.new("RGB", (1, frame.height), top),
        column,
    )
    return img.resize((frame.width, frame.height))


def background_with_title(
    base: Image.Image, title: str, face: FontFace, frame: Frame, settings: VideoSettings
) -> Image.Image:
    """``base`` with the episode title in the title-safe area, left aligned at ``title_y_frac``."""
    img = base.copy()
    if not title.strip():
        return img
    lines, f = fit_title(title, face, frame.width - 2 * frame.margin, settings)
    draw = ImageDraw.Draw(img)
    ascent, descent = f.getmetrics()
    y = round(frame.height * frame.title_y_frac)
    for line in lines:
        draw.text((frame.margin, y), line, font=f, fill=settings.title_colour, anchor="la")
        y += round((ascent + descent) * 1.15)
    return img


def lower_third(
    host: str, label: str, name_face: FontFace, label_face: FontFace, settings: VideoSettings
) -> Image.Image:
    """RGBA panel: accent edge, host name, role label."""
    name_font = font(name_face, settings.name_size_px)
    label_font = font(label_face, settings.label_size_px)
    pad, edge, gap = 28, 8, 10  # px: inner padding, accent edge width, name-to-label gap
    text_w = max(name_font.getlength(host), label_font.getlength(label))
    n_asc, n_desc = name_font.getmetrics()
    l_asc, l_desc = label_font.getmetrics()
    w = int(edge + 2 * pad + text_w)
    h = int(2 * pad * 0.75 + n_asc + n_desc + gap + l_asc + l_desc)
    img = Image.new("RGBA", (w + w % 2, h + h % 2), settings.panel_rgba)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, edge - 1, img.height], fill=(*settings.accent_colour, 255))
    y = round(pad * 0.75)
    draw.text((edge + pad, y), host, font=name_font, fill=(*settings.name_colour, 255), anchor="la")
    draw.text(
        (edge + pad, y + n_asc + n_desc + gap),
        label,
        font=label_font,
        fill=(*settings.label_colour, 255),
        anchor="la",
    )
    return img


def bar_images(frame: Frame, settings: VideoSettings) -> tuple[Image.Image, Image.Image]:
    """(track, fill): two solid strips the width of the title-safe area."""
    size = (frame.width - 2 * frame.margin, settings.bar_height_px)
    return Image.new("RGB", size, settings.track_colour), Image.new(
        "RGB", size, settings.bar_colour
    )


def save_png(img: Image.Image, path: Path) -> Path:
    img.save(path, format="PNG", compress_level=1)  # temporary: fast beats small
    return path


def host_label(role: str) -> str:
    """``Host · 主持人`` from assets/roles.toml; the English role alone if the table can't say."""
    try:
        from ..credits.roles import load_roles, role_key

        info = load_roles().get(role_key(role))
    except ProductionError as err:
        log.warning("role table unusable (%s): lower-third shows %r only", err, role)
        return role
    return f"{role} · {info.zh}" if info and info.zh else role
