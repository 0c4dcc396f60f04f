"""Caption file formats behind a small registry (pysubs2 style): name -> format, extension -> name.

Each format writes cues with its own escaping (caption text is never markup) and reads a file
back with an independent library, undoing that escaping, so ``loads(dumps(cues)) == cues``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ...models import Cue
from ..settings import CaptionError, CaptionSettings
from .ass import AssFormat
from .srt import SrtFormat
from .vtt import VttFormat


class CaptionFormat(Protocol):
    name: str
    extension: str

    def dumps(self, cues: Sequence[Cue], settings: CaptionSettings) -> str: ...

    def loads(self, text: str, lang: str) -> list[Cue]: ...


FORMATS: dict[str, CaptionFormat] = {f.name: f for f in (SrtFormat(), VttFormat(), AssFormat())}
EXTENSION_TO_FORMAT = {f.extension: name for name, f in FORMATS.items()}


def get_format(name_or_path: str | Path) -> CaptionFormat:
    """The format for a name ("srt") or a file name ("x.en.vtt")."""
    key = str(name_or_path)
    name = EXTENSION_TO_FORMAT.get(Path(key).suffix.lower(), key.lower())
    if name not in FORMATS:
        raise CaptionError(f"unknown caption format {key!r}: use one of {', '.join(FORMATS)}")
    return FORMATS[name]


__all__ = ["EXTENSION_TO_FORMAT", "FORMATS", "CaptionFormat", "get_format"]
