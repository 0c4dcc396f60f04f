"""SubRip (.srt), written and read with the ``srt`` library.

Players treat ``<i>``-style tags and ``{\\an8}``-style overrides in SRT as markup, and some
take ``\\N`` as a line break; a caption line containing ``-->`` can confuse parsers. A word
joiner (U+2060, zero width, ignored by renderers) after ``<``, ``{`` and ``\\`` and inside
``-->`` keeps such text literal while it looks the same on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import srt

from ...models import Cue
from ..settings import CaptionError, CaptionSettings
from .checks import refuse_line_breaks

WORD_JOINER = "\u2060"
_AFTER = ("<", "{", "\\")  # a word joiner goes after each of these
_ARROW, _SAFE_ARROW = "-->", "--" + WORD_JOINER + ">"


def escape(line: str) -> str:
    line = line.replace(_ARROW, _SAFE_ARROW)
    for ch in _AFTER:
        line = line.replace(ch, ch + WORD_JOINER)
    return line


def unescape(line: str) -> str:
    for ch in _AFTER:
        line = line.replace(ch + WORD_JOINER, ch)
    return line.replace(_SAFE_ARROW, _ARROW)


class SrtFormat:
    name = "srt"
    extension = ".srt"

    def dumps(self, cues: Sequence[Cue], settings: CaptionSettings) -> str:
        refuse_line_breaks(cues)
        subs = [
            srt.Subtitle(
                i,
                timedelta(milliseconds=c.start_ms),
                timedelta(milliseconds=c.end_ms),
                "\n".join(escape(line) for line in c.lines),
            )
            for i, c in enumerate(cues, start=1)
        ]
        return srt.compose(subs, reindex=False, strict=True)

    def loads(self, text: str, lang: str) -> list[Cue]:
        try:
            subs = list(srt.parse(text))
        except srt.SRTParseError as err:
            raise CaptionError(f"not a valid SRT file ({err}); rebuild the captions") from err
        return [
            Cue(
                _ms(s.start),
                _ms(s.end),
                tuple(unescape(line) for line in s.content.split("\n")),
                lang,
            )
            for s in subs
        ]


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)
