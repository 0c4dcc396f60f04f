"""WebVTT (.vtt), written here (it is a small format) and read back with webvtt-py.

Text is escaped with the three entities WebVTT defines for it (``&amp; &lt; &gt;``), which
also means a caption can never contain ``-->``. With ``settings.speaker`` each cue opens with
a ``<v Speaker>`` voice span (Apple Podcasts ingests them).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from ...models import Cue
from ..settings import CaptionError, CaptionSettings
from .checks import refuse_line_breaks

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def escape(text: str) -> str:
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


def unescape(text: str) -> str:
    return html.unescape(text)


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


class VttFormat:
    name = "vtt"
    extension = ".vtt"

    def dumps(self, cues: Sequence[Cue], settings: CaptionSettings) -> str:
        refuse_line_breaks(cues)
        speaker = " ".join((settings.speaker or "").split())  # one line, whatever was typed
        voice = f"<v {escape(speaker)}>" if speaker else ""
        blocks = ["WEBVTT"]
        for i, cue in enumerate(cues, start=1):
            lines = [escape(line) for line in cue.lines]
            lines[0] = voice + lines[0]
            blocks.append(
                f"{i}\n{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}\n" + "\n".join(lines)
            )
        return "\n\n".join(blocks) + "\n"

    def loads(self, text: str, lang: str) -> list[Cue]:
        try:
            captions = webvtt.from_string(text).captions
        except (MalformedCaptionError, MalformedFileError) as err:
            raise CaptionError(f"not a valid WebVTT file ({err}); rebuild the captions") from err
        return [
            Cue(
                c.start_time.in_milliseconds(),
                c.end_time.in_milliseconds(),
                tuple(unescape(line) for line in c.text.split("\n")),
                lang,
            )
            for c in captions
        ]


def voices(text: str) -> list[str | None]:
    """The ``<v>`` speaker of every cue in a WebVTT text (None where a cue has none)."""
    return [c.voice for c in webvtt.from_string(text).captions]
