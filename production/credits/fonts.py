"""Find the CJK font through fontconfig and check it draws every character (no tofu boxes)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from ..errors import RenderError, ToolMissingError
from ..tools import run

FONT_PACKAGE = "fonts-noto-cjk"  # Debian package with Noto Sans CJK SC
# A code point no text font maps (plane 16 private use): Pillow draws the font's .notdef for it.
_UNMAPPED = "\U0010fffd"


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int  # face index inside a .ttc collection
    family: str


@lru_cache(maxsize=16)
def find_font(family: str, style: str = "Regular") -> FontFace:
    """Locate ``family``/``style`` with fc-match; ToolMissingError if only a substitute exists."""
    if shutil.which("fc-match") is None:
        raise ToolMissingError(
            f"fc-match is not installed: install fontconfig and {FONT_PACKAGE} with "
            f"`sudo apt-get install fontconfig {FONT_PACKAGE}` (or `make setup`) and run again"
        )
    out = run(
        ["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"{family}:style={style}"],
        what="fc-match",
    )
    path, index, families = (out.decode("utf-8", "replace").split("\n") + ["", "", ""])[:3]
    offered = [f.strip() for f in families.split(",")]
    if family.casefold() not in {f.casefold() for f in offered} or not Path(path).is_file():
        raise ToolMissingError(
            f"font {family!r} is not installed (fontconfig offers {offered[0]!r} instead): "
            "install it "
            f"with `sudo apt-get install {FONT_PACKAGE}` (or `make setup`) and run again"
        )
    return FontFace(path=Path(path), index=int(index or 0), family=family)


@lru_cache(maxsize=64)
def load_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(face.path), size, index=face.index)
    except OSError as err:
        raise RenderError(
            f"cannot load font {face.path} ({err}): reinstall {FONT_PACKAGE}"
        ) from err


def missing_glyphs(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """Characters of ``text`` that ``font`` would draw as its .notdef box (tofu)."""
    notdef = _mask_key(font, _UNMAPPED)
    chars = sorted({ch for ch in text if not ch.isspace()})
    return [ch for ch in chars if _mask_key(font, ch) == notdef]


def _mask_key(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


def check_coverage(font: ImageFont.FreeTypeFont, face: FontFace, texts: list[str]) -> None:
    """RenderError naming every character the font cannot draw (before anything is rendered)."""
    missing = missing_glyphs(font, "".join(texts))
    if missing:
        shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing[:8])
        raise RenderError(
            f"font {face.family!r} has no glyph for {shown}: these would render as empty boxes; "
            "correct the credits or choose a font that has them (RollSettings.font_family)"
        )
