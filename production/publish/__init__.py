"""The publish bundle: Podcasting 2.0 transcript and chapters, the RSS item, show notes, the
review page and the manifest (docs/contracts.md "build/ outputs").

One module per file format; :func:`write_bundle` writes them all, manifest.json last.
"""

from .bundle import BUNDLE_FILES, audio_href, write_bundle
from .feed import feed_item_xml, itunes_duration, pub_date
from .inputs import (
    CHAPTERS_FILE,
    FEED_ITEM_FILE,
    MANIFEST_FILE,
    REVIEW_FILE,
    SHOWNOTES_FILE,
    TRANSCRIPT_FILE,
    PublishInputs,
    PublishSettings,
    validate,
)
from .manifest import manifest, sha256_file, verify_manifest
from .review import review_html
from .shownotes import md_escape, shownotes_md
from .transcript import chapters_json, transcript_json

__all__ = [
    "BUNDLE_FILES",
    "CHAPTERS_FILE",
    "FEED_ITEM_FILE",
    "MANIFEST_FILE",
    "REVIEW_FILE",
    "SHOWNOTES_FILE",
    "TRANSCRIPT_FILE",
    "PublishInputs",
    "PublishSettings",
    "audio_href",
    "chapters_json",
    "feed_item_xml",
    "itunes_duration",
    "manifest",
    "md_escape",
    "pub_date",
    "review_html",
    "sha256_file",
    "shownotes_md",
    "transcript_json",
    "validate",
    "verify_manifest",
    "write_bundle",
]
