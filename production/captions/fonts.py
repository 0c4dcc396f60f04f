"""Where the caption font lives, so renderers can pass it to libass as ``fontsdir``.

Without a CJK font libass draws empty boxes ("tofu") for Chinese (docs/output-rules.md "Credit roll").
"""

from __future__ import annotations

import bisect
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .settings import CaptionError

CAPTION_FONT = "Noto Sans CJK SC"  # the family assets/caption_styles.toml names


def font_files(family: str = CAPTION_FONT) -> list[Path]:
    """Font files of ``family`` known to fontconfig (empty when it is not installed)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise CaptionError(
            "fc-list is not installed: install it with `sudo apt-get install fontconfig`"
        )
    out = subprocess.run(
        [fc_list, f":family={family}", "file"], capture_output=True, text=True, check=False
    )
    return sorted(
        {Path(line.split(":")[0].strip()) for line in out.stdout.splitlines() if line.strip()}
    )


def font_dir(family: str = CAPTION_FONT) -> Path:
    """The folder holding ``family``'s fonts, or a CaptionError saying how to install it."""
    files = font_files(family)
    if not files:
        raise CaptionError(
            f"font {family!r} is not installed, so Chinese captions would show empty boxes: "
            "install it with `sudo apt-get install fonts-noto-cjk` (or `make setup`)"
        )
    return files[0].parent


# ------------------------------------------------------------------ per-character fallback
# Families tried, in order, for a character the style's font cannot draw (a guest's name in
# Hebrew, Arabic, Cyrillic, Greek or with Latin diacritics): Noto "no tofu" families. Debian:
# fonts-noto-core (Noto Sans and the script families), fonts-noto-cjk (CJK).
FALLBACK_FAMILIES = (
    "Noto Sans",  # Latin with diacritics, Cyrillic, Greek
    "Noto Sans Hebrew",
    "Noto Sans Arabic",
    "Noto Sans Devanagari",
    "Noto Sans Thai",
    "Noto Sans Armenian",
    "Noto Sans Georgian",
    "Noto Sans CJK SC",  # Han, kana, hangul
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
)
FALLBACK_PACKAGES = "fonts-noto-core fonts-noto-cjk"  # Debian packages holding FALLBACK_FAMILIES
JOINERS = "\u200c\u200d\u2060\ufe0e\ufe0f"  # ZWNJ, ZWJ, word joiner, variation selectors: stay in their run


@dataclass(frozen=True)
class Charset:
    """The code points a font maps, as fontconfig lists them (sorted inclusive ranges)."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __contains__(self, ch: object) -> bool:
        if not isinstance(ch, str) or len(ch) != 1:
            return False
        cp = ord(ch)
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]


def _parse_charset(text: str) -> Charset:
    starts, ends = [], []
    for part in text.split():
        lo, _, hi = part.partition("-")
        starts.append(int(lo, 16))
        ends.append(int(hi or lo, 16))
    return Charset(tuple(starts), tuple(ends))


@lru_cache(maxsize=64)
def charset(family: str) -> Charset | None:
    """What ``family`` can draw, from fontconfig; None when it (or fontconfig) is not installed."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    out = subprocess.run(
        [fc_match, "-f", "%{family}\n%{charset}", family], capture_output=True, text=True, check=False
    )
    name, _, ranges = out.stdout.partition("\n")
    if out.returncode != 0 or family.casefold() not in {f.strip().casefold() for f in name.split(",")}:
        return None  # fontconfig offers a substitute: the family itself is not installed
    return _parse_charset(ranges)


def _follows(ch: str) -> bool:
    """Characters drawn with the character before them: spaces, combining marks, joiners."""
    return ch.isspace() or ch in JOINERS or unicodedata.category(ch).startswith("M")


def first_fallback(ch: str, exclude: str = "") -> str | None:
    """The first installed fallback family (other than ``exclude``) that draws ``ch``."""
    return next((f for f in FALLBACK_FAMILIES if f != exclude and (cs := charset(f)) is not None and ch in cs), None)


def fallback_family(ch: str, primary: str) -> str | None:
    """The first fallback family that draws ``ch`` (None: ``primary`` does, or none does)."""
    main = charset(primary)
    if main is None or ch in main:
        return None
    return first_fallback(ch, primary)


def family_files(family: str) -> set[Path]:
    """The regular and bold files of an installed ``family`` (what libass needs to draw it)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return set()
    found = set()
    for style in ("Regular", "Bold"):
        out = subprocess.run(
            [fc_match, "-f", "%{family}\n%{file}", f"{family}:style={style}"],
            capture_output=True,
            text=True,
            check=False,
        )
        name, _, file = out.stdout.partition("\n")
        if family.casefold() in {f.strip().casefold() for f in name.split(",")} and Path(file).is_file():
            found.add(Path(file))
    return found


def fallback_fonts(missing: list[str], primary: str) -> tuple[set[Path], list[str]]:
    """For characters ``primary`` cannot draw: the font files of the fallback families that
    draw them, and the characters no installed family draws."""
    files: set[Path] = set()
    nobody = []
    for ch in missing:
        family = first_fallback(ch, primary)
        if family is None:
            nobody.append(ch)
        else:
            files |= family_files(family)
    return files, nobody


def font_runs(text: str, primary: str) -> list[tuple[str | None, str]]:
    """``text`` cut into runs drawn by one font: (None, run) for ``primary``, (family, run) for a
    fallback family. Spaces and combining marks stay in the run they follow."""
    runs: list[tuple[str | None, str]] = []
    for ch in text:
        family = runs[-1][0] if runs and _follows(ch) else fallback_family(ch, primary)
        if runs and runs[-1][0] == family:
            runs[-1] = (family, runs[-1][1] + ch)
        else:
            runs.append((family, ch))
    return runs


def undrawable(text: str, primary: str) -> list[str]:
    """Characters of ``text`` that neither ``primary`` nor any installed fallback family draws
    (empty when fontconfig cannot tell: nothing is known to be missing)."""
    main = charset(primary)
    if main is None:
        return []
    chars = sorted({ch for ch in text if not _follows(ch) and ch not in main})
    return [ch for ch in chars if fallback_family(ch, primary) is None]


def undrawable_warning(chars: list[str], where: str) -> str:
    """One line naming characters no installed font draws and the packages that may."""
    shown = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in chars[:8]) + (" …" if len(chars) > 8 else "")
    return (
        f"warning: no installed font draws {shown} in {where}; they show as empty boxes: install "
        f"{FALLBACK_PACKAGES} (sudo apt-get install) or correct the text"
    )
