"""Credit-roll geometry: settings, title-safe box, the drawn roll image and the scroll plan.

Everything the video shows is drawn here by Pillow into one RGBA image; ffmpeg only moves that
image (text never reaches an ffmpeg filter string, so there is nothing to escape).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageColor, ImageDraw, ImageFont

from ..errors import RenderError
from ..settings import load_table
from .fonts import FontFace, check_coverage, find_font, load_font
from .roll import CreditRoll, RollEntry


@dataclass(frozen=True)
class RollSettings:
    width: int = 1920  # px; 1920×1080 (docs/output-rules.md "Publishing")
    height: int = 1080  # px
    fps: int = 25  # frames per second (25: PAL/China broadcast rate)
    duration_ms: int = 20_000  # the roll's slot at the end of the episode (fits the outro music)
    px_per_frame: int = 3  # slowest scroll, whole px per frame: 3 at 1080p (docs/output-rules.md "Credit roll")
    max_px_per_frame: int = 6  # faster than this (150 px/s at 25 fps) -> static end card instead
    title_safe: float = 0.90  # share of width and height text may use: title-safe (docs/output-rules.md "Credit roll")
    fade_px: int = 48  # text fades in/out over this band at the top and bottom of the text area
    # px below the title-safe top edge kept clear of text: the show's artwork
    # (assets/artwork/background.png) prints the show name there, baseline at 10% of the height
    clear_top_px: int = 80
    font_family: str = "Noto Sans CJK SC"  # must have CJK glyphs (docs/output-rules.md "Credit roll")
    role_zh_size: int = 44  # px, Chinese role (bold)
    role_en_size: int = 30  # px, English role
    name_size: int = 54  # px, names
    min_card_size: int = 22  # px, smallest text an end card may shrink to
    line_spacing: float = 1.35  # line box height / font size
    role_gap_px: int = 6  # px between the role lines and the names
    entry_gap_px: int = 56  # px between roles
    card_gutter_px: int = 48  # px between role and name columns on an end card
    text_colour: str = "#FFFFFF"  # names
    role_colour: str = "#E8A13B"  # roles: the artwork's accent (assets/make_assets.py ACCENT)
    role_en_colour: str = "#C9D1D9"  # English role
    background_colour: str = "#0E1B2E"  # no artwork: its ink blue (make_assets.py INK)
    # the roll is an intermediate (build/.work) that the video stage decodes and re-encodes:
    # ultrafast at crf 16 takes half the CPU of veryfast at crf 18 and is closer to the lossless
    # picture (PSNR 62.8 dB against 53.3 dB for the 500-frame roll; bench/README.md, "Produce"),
    # at 5× the size (6 MB), which nothing keeps
    x264_preset: str = "ultrafast"
    crf: int = 16  # x264 quality (visually lossless range)


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class RollLine:
    kind: str  # "role_zh", "role_en", "role" (end card: both), "name"
    text: str
    entry: int  # index into CreditRoll.entries
    ink: tuple[int, int, int, int]  # drawn pixels' box (left, top, right, bottom) in roll-image px


@dataclass(frozen=True)
class RollLayout:
    image: Image.Image  # RGBA, transparent where nothing is drawn
    lines: tuple[RollLine, ...]
    kind: str  # "stacked" (scrolls or fits one screen) or "columns" (compact end card)


@dataclass(frozen=True)
class RollPlan:
    mode: str  # "scroll" or "card"
    frames: int
    px_per_frame: int  # 0 for a card
    start_y: int  # roll-image top relative to the text area's top (text_box) at frame 0


def safe_box(settings: RollSettings) -> Box:
    """Title-safe rectangle: ``title_safe`` of each dimension, centred."""
    w = int(round(settings.width * settings.title_safe))
    h = int(round(settings.height * settings.title_safe))
    return Box(x=(settings.width - w) // 2, y=(settings.height - h) // 2, w=w, h=h)


def text_box(settings: RollSettings) -> Box:
    """Where text may appear: the title-safe box less ``clear_top_px`` at its top."""
    safe = safe_box(settings)
    return Box(
        x=safe.x, y=safe.y + settings.clear_top_px, w=safe.w, h=safe.h - settings.clear_top_px
    )


def frame_count(settings: RollSettings) -> int:
    return max(1, round(settings.duration_ms * settings.fps / 1000))


def settings_problems(settings: RollSettings) -> list[str]:
    """What makes ``settings`` impossible for any roll, one line each (empty when they are fine)."""
    rules = (
        (settings.width >= 64 and settings.height >= 64, "width and height must be at least 64 px"),
        (
            settings.width % 2 == 0 and settings.height % 2 == 0,
            "width and height must be even (yuv420p)",
        ),
        (settings.fps >= 1, "fps must be a whole number ≥ 1"),
        (settings.duration_ms >= 1000, "duration_ms must be at least 1000"),
        (
            1 <= settings.px_per_frame <= settings.max_px_per_frame,
            "need 1 ≤ px_per_frame ≤ max_px_per_frame",
        ),
        (0.5 <= settings.title_safe <= 1.0, "title_safe must be between 0.5 and 1.0"),
        (
            0 <= settings.clear_top_px < safe_box(settings).h // 2,
            "clear_top_px must leave half the safe area",
        ),
        (
            0 <= 2 * settings.fade_px < text_box(settings).h,
            "fade_px must leave room inside the text area",
        ),
        (
            min(
                settings.role_zh_size,
                settings.role_en_size,
                settings.name_size,
                settings.min_card_size,
            )
            >= 8,
            "font sizes must be at least 8 px",
        ),
        (settings.line_spacing >= 1.0, "line_spacing must be at least 1.0"),
    )
    problems = [rule for ok, rule in rules if not ok]
    for name in ("text_colour", "role_colour", "role_en_colour", "background_colour"):
        try:
            rgb(getattr(settings, name), name)
        except RenderError:
            problems.append(f"{name} {getattr(settings, name)!r} is not a colour; use #RRGGBB")
    return problems


def check_settings(settings: RollSettings) -> None:
    """RenderError for settings no roll can be made with."""
    for problem in settings_problems(settings):
        raise RenderError(f"credit roll settings: {problem}; fix RollSettings")


def roll_settings(
    overrides: Mapping[str, Any] | None = None, base: RollSettings | None = None
) -> RollSettings:
    """``base`` with episode.toml ``[credit_roll]`` overrides.

    EpisodeError for an unknown key or a value of the wrong type or range.
    """
    return load_table(RollSettings, "credit_roll", overrides, base or RollSettings(), settings_problems)


def rgb(colour: str, name: str = "colour") -> tuple[int, int, int]:
    try:
        value = ImageColor.getrgb(colour)
    except ValueError as err:
        raise RenderError(
            f"credit roll settings: {name} {colour!r} is not a colour; use #RRGGBB"
        ) from err
    return value[0], value[1], value[2]


# --- drawing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    face: FontFace
    font: ImageFont.FreeTypeFont
    colour: tuple[int, int, int]
    spacing: float

    @property
    def line_h(self) -> int:
        return int(math.ceil(self.font.size * self.spacing))


def _styles(settings: RollSettings, scale: float = 1.0) -> dict[str, _Style]:
    regular = find_font(settings.font_family, "Regular")
    bold = find_font(settings.font_family, "Bold")

    def style(face: FontFace, size: int, colour: str) -> _Style:
        font = load_font(face, max(8, round(size * scale)))
        return _Style(face, font, rgb(colour), settings.line_spacing)

    return {
        "role_zh": style(bold, settings.role_zh_size, settings.role_colour),
        "role_en": style(regular, settings.role_en_size, settings.role_en_colour),
        # end card: "执行主编  Executive Editor" on one line, between the two sizes
        "role": style(
            regular, (settings.role_zh_size + settings.role_en_size) // 2, settings.role_colour
        ),
        "name": style(regular, settings.name_size, settings.text_colour),
    }


def name_label(name: str, name_zh: str | None) -> str:
    return name if name_zh is None else f"{name_zh}  {name}"


def role_label(entry: RollEntry) -> str:
    return entry.role_en if entry.role_zh is None else f"{entry.role_zh}  {entry.role_en}"


def _check_glyphs(roll: CreditRoll, styles: dict[str, _Style]) -> None:
    """RenderError before drawing when a character would come out as a tofu box."""
    texts = [
        t
        for e in roll.entries
        for t in (e.role_en, e.role_zh or "", *e.names, *(z or "" for z in e.names_zh))
    ]
    for style in {s.face: s for s in styles.values()}.values():
        check_coverage(style.font, style.face, texts)


@dataclass(frozen=True)
class _Cell:
    kind: str  # RollLine.kind
    text: str
    font: ImageFont.FreeTypeFont
    colour: tuple[int, int, int]
    x: int  # anchor x in roll-image px
    anchor: str  # Pillow anchor: "mm" centred, "rm" right-aligned, "lm" left-aligned


@dataclass(frozen=True)
class _Row:
    cells: tuple[_Cell, ...]
    entry: int
    line_h: int
    gap_after: int = 0


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` px; a single word wider than that stays on its own line."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit_font(text: str, font: ImageFont.FreeTypeFont, width: int) -> ImageFont.FreeTypeFont:
    """Shrink (in 2 px steps) until ``text`` fits ``width`` px."""
    while font.getlength(text) > width and font.size > 8:
        font = font.font_variant(size=font.size - 2)
    return font


def layout_stacked(roll: CreditRoll, settings: RollSettings) -> RollLayout:
    """Centred column: Chinese role, English role, then the names; role after role."""
    styles = _styles(settings)
    _check_glyphs(roll, styles)
    width = safe_box(settings).w
    rows: list[_Row] = []
    for i, entry in enumerate(roll.entries):
        heads = ([("role_zh", entry.role_zh)] if entry.role_zh else []) + [
            ("role_en", entry.role_en)
        ]
        for kind, text in heads:
            rows += _centred_rows(kind, text, i, styles[kind], width)
        _set_gap(rows, settings.role_gap_px)
        for name, zh in zip(entry.names, entry.names_zh, strict=True):
            rows += _centred_rows("name", name_label(name, zh), i, styles["name"], width)
        _set_gap(rows, settings.entry_gap_px)
    _set_gap(rows, 0)
    return _draw(rows, width, settings.entry_gap_px // 2, "stacked")


def _centred_rows(kind: str, text: str, entry: int, style: _Style, width: int) -> list[_Row]:
    return [
        _Row(
            (
                _Cell(
                    kind, part, _fit_font(part, style.font, width), style.colour, width // 2, "mm"
                ),
            ),
            entry,
            style.line_h,
        )
        for part in _wrap(text, style.font, width)
    ]


def _set_gap(rows: list[_Row], gap: int) -> None:
    if rows:
        last = rows[-1]
        rows[-1] = _Row(last.cells, last.entry, last.line_h, gap)


def _draw(rows: list[_Row], width: int, pad: int, kind: str) -> RollLayout:
    height = pad * 2 + sum(row.line_h + row.gap_after for row in rows)
    image = Image.new("RGBA", (width, max(1, height)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    lines: list[RollLine] = []
    y = pad
    for row in rows:
        centre_y = y + row.line_h // 2
        for cell in row.cells:
            draw.text(
                (cell.x, centre_y),
                cell.text,
                font=cell.font,
                fill=(*cell.colour, 255),
                anchor=cell.anchor,
            )
            box = draw.textbbox((cell.x, centre_y), cell.text, font=cell.font, anchor=cell.anchor)
            lines.append(
                RollLine(
                    cell.kind,
                    cell.text,
                    row.entry,
                    (int(box[0]), int(box[1]), int(box[2]), int(box[3])),
                )
            )
        y += row.line_h + row.gap_after
    return RollLayout(image=image, lines=tuple(lines), kind=kind)


def layout_columns(roll: CreditRoll, settings: RollSettings) -> RollLayout:
    """Compact end card: role (Chinese and English) right-aligned beside its names, which are
    left-aligned; the text shrinks (2 px steps) until the card fits inside the safe area."""
    _check_glyphs(roll, _styles(settings))
    for size in range(settings.name_size, settings.min_card_size - 1, -2):
        layout = _columns_at(roll, settings, size / settings.name_size)
        if layout is not None:
            return layout
    raise RenderError(
        f"the credits do not fit one screen even at {settings.min_card_size} px "
        "and would scroll faster "
        f"than {settings.max_px_per_frame} px/frame: lengthen duration_ms or raise max_px_per_frame"
    )


def _columns_at(roll: CreditRoll, settings: RollSettings, scale: float) -> RollLayout | None:
    box = text_box(settings)
    styles = _styles(settings, scale)
    role_x, name_x = (box.w - settings.card_gutter_px) // 2, (box.w + settings.card_gutter_px) // 2
    half = role_x
    name, role = styles["name"], styles["role"]
    rows: list[_Row] = []
    for i, entry in enumerate(roll.entries):
        labels = [name_label(n, z) for n, z in zip(entry.names, entry.names_zh, strict=True)]
        if role.font.getlength(role_label(entry)) > half or any(
            name.font.getlength(t) > half for t in labels
        ):
            return None
        for j, label in enumerate(labels):
            cells = [_Cell("name", label, name.font, name.colour, name_x, "lm")]
            if j == 0:
                cells.insert(
                    0, _Cell("role", role_label(entry), role.font, role.colour, role_x, "rm")
                )
            rows.append(_Row(tuple(cells), i, name.line_h))
        _set_gap(rows, max(2, round(settings.entry_gap_px * scale / 3)))
    _set_gap(rows, 0)
    if sum(r.line_h + r.gap_after for r in rows) > box.h - 2 * settings.fade_px:
        return None
    return _draw(rows, box.w, 0, "columns")


# --- timing --------------------------------------------------------------------------------


def plan_roll(roll_height: int, settings: RollSettings) -> RollPlan | None:
    """Plan for a stacked roll ``roll_height`` px tall: a static card when it fits one screen,
    a scroll when that needs at most ``max_px_per_frame``, else None (use a compact end card).

    A scroll enters at the text area's bottom edge and leaves at its top edge, moving the same
    whole number of px every frame; spare time is split evenly before and after.
    """
    box, frames = text_box(settings), frame_count(settings)
    if roll_height <= box.h - 2 * settings.fade_px:
        return card_plan(roll_height, settings)
    travel = box.h + roll_height  # first line in at the bottom edge -> last line out at the top
    ppf = max(settings.px_per_frame, math.ceil(travel / max(1, frames - 1)))
    if ppf > settings.max_px_per_frame:
        return None
    lead = ((frames - 1) * ppf - travel) // 2
    return RollPlan("scroll", frames, ppf, box.h + lead)


def card_plan(roll_height: int, settings: RollSettings) -> RollPlan:
    """A static card, centred vertically in the text area, for the whole duration."""
    return RollPlan("card", frame_count(settings), 0, (text_box(settings).h - roll_height) // 2)
