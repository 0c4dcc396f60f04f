"""Captions to broadcast standard: English, Simplified Chinese, stacked bilingual.

    caption_set = build_captions(sentences, zh_pairs, CaptionSettings())
    paths = write_captions(caption_set, build_dir, slug, settings)
    issues = qc.check_files(build_dir, slug, settings)

Modules: settings (every number, with its source), segment (English cues from word timings),
linebreak (the break rule table), timing (final cue times), chinese (units, lines, OpenCC),
pairing (Chinese over English cues), bilingual (the tracks), build, write, formats/ (SRT,
WebVTT, ASS behind a registry; styles in assets/caption_styles.toml), qc (the rule table),
fonts (where the CJK caption font lives, for libass's fontsdir).
"""

from __future__ import annotations

from . import qc
from .build import CaptionSet, build_captions
from .qc import QcIssue
from .settings import CaptionError, CaptionSettings
from .write import output_names, write_captions

__all__ = [
    "CaptionError",
    "CaptionSet",
    "CaptionSettings",
    "QcIssue",
    "build_captions",
    "output_names",
    "qc",
    "write_captions",
]
