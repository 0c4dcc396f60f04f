"""Advanced SubStation Alpha (.ass) for designers (Aegisub) and for burning in (libass).

Written and read with pysubs2. Styles come from assets/caption_styles.toml: a stacked cue is
two events at the same times, "Chinese" (larger, on top) and "English" (below). When the
English takes two lines, the Chinese event's own bottom margin moves it up one English line.

Text safety: ``{`` and ``}`` become ``\\{`` and ``\\}`` (libass draws them literally), and a
backslash gets a word joiner (U+2060) after it, so ``\\N``, ``\\i1`` and the like are never
read as override codes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pysubs2

from ...assets import asset
from ...models import Cue
from ..fonts import FALLBACK_FAMILIES, font_runs
from ..measure import split_stacked
from ..settings import CaptionError, CaptionSettings
from .checks import refuse_line_breaks

STYLES_PATH = asset("caption_styles.toml")
CHINESE, ENGLISH = "Chinese", "English"
WORD_JOINER = "\u2060"


# a font switch the writer adds ({\\fnFamily} for a fallback family, {\\fn} back to the style's);
# a "{" from the text is always escaped, so nothing else can match
FONT_TAG = re.compile(
    r"(?<!\\)\{\\fn(?:" + "|".join(re.escape(f) for f in sorted(FALLBACK_FAMILIES, key=len, reverse=True)) + r")?\}"
)


def escape(line: str) -> str:
    return line.replace("\\", "\\" + WORD_JOINER).replace("{", "\\{").replace("}", "\\}")


def unescape(line: str) -> str:
    return line.replace("\\{", "{").replace("\\}", "}").replace("\\" + WORD_JOINER, "\\")


@dataclass(frozen=True)
class StyleSheet:
    info: dict[str, str]
    styles: dict[str, pysubs2.SSAStyle]
    line_steps: dict[str, int]  # style name -> height of one of its lines, pixels


class AssFormat:
    name = "ass"
    extension = ".ass"

    def __init__(self, styles_path: Path | None = None) -> None:
        self.styles_path = styles_path or STYLES_PATH

    def dumps(self, cues: Sequence[Cue], settings: CaptionSettings) -> str:
        refuse_line_breaks(cues)
        sheet = load_styles(self.styles_path)
        subs = pysubs2.SSAFile()
        subs.info.update(sheet.info)
        subs.styles = {name: style.copy() for name, style in sheet.styles.items()}
        for cue in cues:
            subs.events.extend(_events(cue, sheet, settings))
        return str(subs.to_string("ass"))

    def loads(self, text: str, lang: str) -> list[Cue]:
        try:
            subs = pysubs2.SSAFile.from_string(text, format_="ass")
        except (pysubs2.exceptions.Pysubs2Error, ValueError) as err:
            raise CaptionError(f"not a valid ASS file ({err}); rebuild the captions") from err
        cues: list[Cue] = []
        grouped: dict[tuple[int, int], dict[str, list[str]]] = {}
        for event in subs.events:
            if event.is_comment:
                continue
            key = (event.start, event.end)
            grouped.setdefault(key, {}).setdefault(event.style, []).extend(
                unescape(FONT_TAG.sub("", line)) for line in event.text.split("\\N")
            )
        for (start, end), by_style in grouped.items():
            lines = by_style.pop(CHINESE, []) + by_style.pop(ENGLISH, [])
            lines += [line for rest in by_style.values() for line in rest]
            cues.append(Cue(start, end, tuple(lines), lang))
        return cues


def _events(cue: Cue, sheet: StyleSheet, settings: CaptionSettings) -> list[pysubs2.SSAEvent]:
    """A "Chinese" event over an "English" event (either may be absent)."""
    speaker = settings.speaker or ""
    zh: list[str]
    en: list[str]
    if cue.lang.startswith("zh"):
        zh, en = list(cue.lines), []
    elif cue.lang == "bilingual":
        zh, en = split_stacked(cue.lines, settings.bilingual_zh_lines, settings.bilingual_en_lines)
    else:
        zh, en = [], list(cue.lines)
    events = []
    if zh:
        raise_by = max(len(en) - 1, 0) * sheet.line_steps.get(ENGLISH, 0)
        margin_v = sheet.styles[CHINESE].marginv + raise_by if raise_by else 0
        events.append(_event(cue, zh, CHINESE, speaker, margin_v, sheet.styles[CHINESE].fontname))
    if en:
        events.append(_event(cue, en, ENGLISH, speaker, 0, sheet.styles[ENGLISH].fontname))
    return events


def with_fallback_fonts(line: str, font: str) -> str:
    """``line`` escaped, with each run ``font`` cannot draw (a Hebrew or Arabic name) set in a
    Noto family that can: ``{\\fnNoto Sans Hebrew}…{\\fn}`` (libass and Aegisub read it)."""
    return "".join(
        escape(run) if family is None else f"{{\\fn{family}}}{escape(run)}{{\\fn}}"
        for family, run in font_runs(line, font)
    )


def _event(
    cue: Cue, lines: Sequence[str], style: str, speaker: str, margin_v: int, font: str = ""
) -> pysubs2.SSAEvent:
    text = "\\N".join(with_fallback_fonts(line, font) if font else escape(line) for line in lines)
    return pysubs2.SSAEvent(
        start=cue.start_ms, end=cue.end_ms, text=text, style=style, name=speaker, marginv=margin_v
    )


# --------------------------------------------------------------------------- style sheet


@lru_cache(maxsize=8)
def load_styles(path: Path = STYLES_PATH) -> StyleSheet:
    """The ASS script info and styles from a caption_styles.toml."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        script, styles = data["script"], data["styles"]
        info = {
            "Title": str(script.get("title", "")),
            "PlayResX": str(int(script["play_res_x"])),
            "PlayResY": str(int(script["play_res_y"])),
            "WrapStyle": str(int(script.get("wrap_style", 2))),
            "ScaledBorderAndShadow": "yes"
            if script.get("scaled_border_and_shadow", True)
            else "no",
            "YCbCr Matrix": str(script.get("ycbcr_matrix", "TV.709")),
        }
        sheet = StyleSheet(
            info,
            {name: _style(spec) for name, spec in styles.items()},
            {name: int(spec.get("line_step", 0)) for name, spec in styles.items()},
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as err:
        raise CaptionError(
            f"caption styles {path} unusable ({err!r}): fix the file or restore it from git"
        ) from err
    missing = {CHINESE, ENGLISH} - set(sheet.styles)
    if missing:
        raise CaptionError(f"caption styles {path} lack style(s) {sorted(missing)}: add them back")
    return sheet


def _style(spec: dict[str, Any]) -> pysubs2.SSAStyle:
    return pysubs2.SSAStyle(
        fontname=str(spec["font"]),
        fontsize=float(spec["size"]),
        bold=bool(spec.get("bold", False)),
        primarycolor=_colour(spec.get("primary_colour", "#FFFFFF"), 0),
        outlinecolor=_colour(spec.get("outline_colour", "#000000"), 0),
        backcolor=_colour(spec.get("shadow_colour", "#000000"), int(spec.get("shadow_alpha", 128))),
        outline=float(spec.get("outline", 2.0)),
        shadow=float(spec.get("shadow", 1.0)),
        alignment=pysubs2.Alignment(int(spec.get("alignment", 2))),
        marginl=int(spec.get("margin_l", 60)),
        marginr=int(spec.get("margin_r", 60)),
        marginv=int(spec.get("margin_v", 40)),
    )


def _colour(value: str, alpha: int) -> pysubs2.Color:
    hexa = value.lstrip("#")
    if len(hexa) != 6:
        raise ValueError(f"colour {value!r} is not #RRGGBB")
    r, g, b = (int(hexa[i : i + 2], 16) for i in (0, 2, 4))
    if not 0 <= alpha <= 255:
        raise ValueError(f"alpha {alpha} is not 0..255")
    return pysubs2.Color(r, g, b, alpha)
