"""Caption files with the fixed names of docs/contracts.md "build/ outputs", written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..fsutil import write_text
from ..layout import caption_files
from ..models import Cue
from .build import CaptionSet
from .formats import get_format
from .settings import CaptionError, CaptionSettings

_SLUG_BAD = set('/\\:*?"<>|') | {"\0"}


def output_names(slug: str, with_chinese: bool, traditional: bool) -> list[str]:
    """File names ``write_captions`` produces, in order."""
    return [f"{slug}.{f.suffix}" for f in caption_files(with_chinese, traditional)]


def write_captions(
    caption_set: CaptionSet, out_dir: Path, slug: str, settings: CaptionSettings | None = None
) -> list[Path]:
    """Write every caption file of ``caption_set`` into ``out_dir``; return their paths.

    English always; zh-Hans, bilingual SRT and ASS only when there is a translation; zh-Hant
    too with ``settings.traditional``.
    """
    settings = settings or CaptionSettings()
    if not slug or set(slug) & _SLUG_BAD or slug.startswith("."):
        raise CaptionError(f"episode slug {slug!r} cannot name a file: rename the episode folder")
    with_chinese = bool(caption_set.zh or caption_set.bilingual)
    tracks: list[tuple[str, Sequence[Cue]]] = [
        (f.suffix, getattr(caption_set, f.track)) for f in caption_files(with_chinese, settings.traditional)
    ]
    written = []
    for suffix, cues in tracks:
        path = Path(out_dir) / f"{slug}.{suffix}"
        written.append(write_text(path, get_format(path).dumps(cues, settings)))
    return written
