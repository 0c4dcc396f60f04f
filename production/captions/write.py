"""Caption files with the fixed names of docs/contracts.md "build/ outputs", written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..fsutil import write_text
from ..models import Cue
from .build import CaptionSet
from .formats import get_format
from .settings import CaptionError, CaptionSettings

_SLUG_BAD = set('/\\:*?"<>|') | {"\0"}


def output_names(slug: str, with_chinese: bool, traditional: bool) -> list[str]:
    """File names ``write_captions`` produces, in order."""
    names = [f"{slug}.en.srt", f"{slug}.en.vtt"]
    if with_chinese:
        names += [
            f"{slug}.zh-Hans.srt",
            f"{slug}.zh-Hans.vtt",
            f"{slug}.bilingual.srt",
            f"{slug}.bilingual.ass",
        ]
        if traditional:
            names += [f"{slug}.zh-Hant.srt", f"{slug}.zh-Hant.vtt"]
    return names


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
    tracks: list[tuple[str, Sequence[Cue]]] = [
        ("en.srt", caption_set.en),
        ("en.vtt", caption_set.en),
    ]
    if caption_set.zh or caption_set.bilingual:
        tracks += [
            ("zh-Hans.srt", caption_set.zh),
            ("zh-Hans.vtt", caption_set.zh),
            ("bilingual.srt", caption_set.bilingual),
            ("bilingual.ass", caption_set.bilingual),
        ]
        if settings.traditional:
            tracks += [("zh-Hant.srt", caption_set.zh_hant), ("zh-Hant.vtt", caption_set.zh_hant)]
    written = []
    for suffix, cues in tracks:
        path = Path(out_dir) / f"{slug}.{suffix}"
        written.append(write_text(path, get_format(path).dumps(cues, settings)))
    return written
