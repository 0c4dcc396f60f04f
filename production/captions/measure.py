"""How long a caption line is and how fast it reads, per language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

# Han ideographs, CJK punctuation, full-width forms: the characters that make a line Chinese.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Zero-width characters the writers use for escaping; they take no room on screen.
INVISIBLE = {"\u2060", "\u200b", "\ufeff"}


def has_cjk(text: str) -> bool:
    """True when ``text`` has a Han character, CJK punctuation or a full-width form: a line
    of the Chinese part of a stacked cue always has one (pairing.py makes sure)."""
    return _CJK.search(text) is not None or _HAN.search(text) is not None


def split_stacked(lines: Sequence[str], zh_max: int, en_max: int) -> tuple[list[str], list[str]]:
    """(Chinese lines, English lines) of a stacked cue: Chinese on top, at least one English line.

    With one line of each allowed (the default) the position decides alone, so a Chinese part
    that happens to be all Latin letters (DeepSeek-R1) is still the Chinese line. When the
    counts leave a choice, leading lines with CJK characters are the Chinese ones.
    """
    lines = list(lines)
    fewest, most = max(0, len(lines) - en_max), min(zh_max, len(lines) - 1)
    if fewest > most:  # more lines than allowed: count what looks Chinese (the QC says so)
        fewest, most = 0, len(lines) - 1
    leading = next((k for k, ln in enumerate(lines) if not has_cjk(ln)), len(lines))
    n = min(max(leading, fewest), most) if lines else 0
    return lines[:n], lines[n:]


def is_cjk_char(ch: str) -> bool:
    return _CJK.match(ch) is not None


@lru_cache(maxsize=65536)
def zh_width(text: str) -> float:
    """Netflix character count for Chinese: full-width 1, half-width (Latin, digits) 0.5."""
    return sum(_char_width(ch) for ch in text)


@lru_cache(maxsize=8192)
def _char_width(ch: str) -> float:
    if ch in INVISIBLE:
        return 0.0
    # "A" (ambiguous: “ ” · …) is drawn full-width by CJK fonts, so it counts 1
    return 1.0 if unicodedata.east_asian_width(ch) in ("F", "W", "A") else 0.5


@lru_cache(maxsize=65536)
def en_chars(text: str) -> int:
    """Characters as a reader sees them (spaces and punctuation count; escapes don't, nor the
    space before a glued piece of a cut word, segment.GLUE, which is shown without it)."""
    return len(text) - sum(text.count(ch) for ch in INVISIBLE) - text.count(" \u2060")


def reading_chars(lines: Sequence[str], chinese: bool) -> float:
    """Characters a reader reads in a cue: lines joined by one space (Chinese: by nothing)."""
    if chinese:
        return sum(zh_width(line.strip()) for line in lines)
    return float(en_chars(" ".join(line.strip() for line in lines)))


def cps(lines: Sequence[str], duration_ms: int, chinese: bool) -> float:
    """Reading speed in characters per second (infinite for a cue of no duration)."""
    if duration_ms <= 0:
        return float("inf")
    return reading_chars(lines, chinese) * 1000.0 / duration_ms
