"""write_bundle: the publish stage's files, each written atomically, manifest.json last."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..fsutil import write_json, write_text
from .feed import feed_item_xml
from .inputs import (
    CHAPTERS_FILE,
    DEFAULT_SETTINGS,
    FEED_ITEM_FILE,
    MANIFEST_FILE,
    REVIEW_FILE,
    SHOWNOTES_FILE,
    TRANSCRIPT_FILE,
    PublishInputs,
    PublishSettings,
    validate,
)
from .manifest import manifest
from .review import review_html
from .shownotes import shownotes_md
from .transcript import chapters_json, transcript_json

# the files write_bundle writes, in order (manifest.json last: it hashes the others)
BUNDLE_FILES = (
    TRANSCRIPT_FILE,
    CHAPTERS_FILE,
    FEED_ITEM_FILE,
    SHOWNOTES_FILE,
    REVIEW_FILE,
    MANIFEST_FILE,
)


def audio_href(build_dir: Path, audio_file: Path) -> str:
    """The MP3's URL relative to review.html in build/."""
    relative = Path(os.path.relpath(Path(audio_file).resolve(), Path(build_dir).resolve()))
    return urllib.parse.quote(relative.as_posix())


def write_bundle(
    build_dir: Path,
    inputs: PublishInputs,
    settings: PublishSettings = DEFAULT_SETTINGS,
    extra: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write transcript.json, chapters.json, feed-item.xml, shownotes.md, review.html, then
    manifest.json; return their paths in that order."""
    build_dir = Path(build_dir)
    validate(inputs)
    written = [
        write_json(build_dir / TRANSCRIPT_FILE, transcript_json(inputs)),
        write_json(build_dir / CHAPTERS_FILE, chapters_json(inputs)),
        write_text(build_dir / FEED_ITEM_FILE, feed_item_xml(inputs, settings)),
        write_text(build_dir / SHOWNOTES_FILE, shownotes_md(inputs)),
        write_text(
            build_dir / REVIEW_FILE, review_html(inputs, audio_href(build_dir, inputs.audio_file))
        ),
    ]
    written.append(write_json(build_dir / MANIFEST_FILE, manifest(build_dir, inputs, extra)))
    return written
