"""What the publish bundle is made from: one frozen :class:`PublishInputs` the pipeline fills.

Plain types only (strings, ints, paths, dicts, the model's dataclasses), so every writer in
this package can be called and tested without running any other stage.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ProductionError
from ..layout import (  # noqa: F401 - the build/ file names this package writes (layout.py owns them)
    CHAPTERS_FILE,
    FEED_ITEM_FILE,
    MANIFEST_FILE,
    REVIEW_FILE,
    SHOWNOTES_FILE,
    TRANSCRIPT_FILE,
)
from ..models import Cue, Sentence

EPISODE_TYPES = ("full", "trailer", "bonus")  # itunes:episodeType values (Apple Podcasts RSS spec)
# <podcast:transcript type="…">: the Podcasting 2.0 transcript formats we publish
TRANSCRIPT_TYPES = ("text/vtt", "application/x-subrip", "application/json")

_XML_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)  # not XML 1.0 Char
_URL_UNSAFE = re.compile(r"[\s\"'<>\\^`{|}]")  # characters a base URL must not carry unescaped


@dataclass(frozen=True)
class PublishSettings:
    # RSS pubDate needs a time of day; episode.toml only has a date. 00:00 UTC keeps the
    # date the same everywhere from UTC to UTC+14 (Beijing included).
    pub_time: dt.time = dt.time(0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PublishInputs:
    """Everything the bundle writers need; times in MASTER (published MP3) milliseconds."""

    show: str
    title: str
    slug: str  # the episode folder's name; the build/ file names start with it
    date: dt.date
    audio_file: Path  # build/<slug>.mp3
    duration_ms: int  # of the MP3
    sentences: Sequence[Sentence]  # start_ms/end_ms set (master time); .paragraph groups them
    description: str = ""
    host: str = ""  # the JSON transcript's speaker
    episode_type: str = "full"  # full | trailer | bonus
    # empty: derived from show and slug (effective_guid); never change it once published
    guid: str = ""
    # URL prefix of the published build/ folder; "" = URLs relative to build/
    base_url: str = ""
    language: str = "en"
    video_file: Path | None = None  # build/<slug>.mp4
    zh: Mapping[str, str | None] = field(default_factory=dict)  # sentence id -> Chinese text
    chapters: Sequence[tuple[str, int, int]] = ()  # (title, start_ms, end_ms)
    persons: Sequence[Mapping[str, str]] = ()  # {"name","role","group"} for <podcast:person>
    # the credits module's show-notes paragraph, already Markdown (its names escaped)
    credits_markdown: str = ""
    credits_json: Mapping[str, Any] = field(default_factory=dict)
    # caption file name -> (MIME type, language tag), one <podcast:transcript> each
    caption_files: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    captions_en: Sequence[Cue] = ()  # for the review page's caption highlight
    # integrated_lufs, true_peak_dbtp, lra, profile, target_lufs
    loudness: Mapping[str, Any] = field(default_factory=dict)
    qc_summary: Mapping[str, Any] = field(default_factory=dict)
    # {"cue_index", "lang", "rule", "severity", "message", "start_ms"} per caption QC finding
    qc_issues: Sequence[Mapping[str, Any]] = ()
    # {"kind", "time_ms", "script", "spoken", "fragment_id"} per departure from the script
    deviations: Sequence[Mapping[str, Any]] = ()
    tool_version: str = __version__
    engine: str = ""  # alignment engine used ("tts-dtw", "whisper")
    # the demo's eSpeak NG stand-in read: flagged in the manifest and on the review page
    synthetic_host_read: bool = False
    # episode.toml's date with a time and UTC offset: the pubDate moment (None: date at pub_time)
    published: dt.datetime | None = None

    @property
    def effective_guid(self) -> str:
        """The RSS guid: ``guid`` when set, else "<show-slug>-<slug>" ("cbn-perspective-…")."""
        return self.guid.strip() or f"{slugify(self.show)}-{self.slug}"


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens: "CBN Perspective" -> "cbn-perspective"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "show"


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters, lone surrogates) and turn
    CR/CRLF into LF, as every XML parser would on reading (XML 1.0 §2.11)."""
    return _XML_FORBIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def seconds(ms: int) -> float:
    """Integer milliseconds -> seconds with millisecond precision (JSON transcripts, chapters)."""
    return round(ms / 1000, 3)


def clock(ms: int) -> str:
    """H:MM:SS for an hour or more, else M:SS (show-notes timestamps)."""
    total = max(0, ms) // 1000
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def url_for(inputs: PublishInputs, name: str) -> str:
    """Published URL of a build/ file: base_url + the name, percent-encoded."""
    quoted = urllib.parse.quote(name)
    if not inputs.base_url:
        return quoted
    return inputs.base_url.rstrip("/") + "/" + quoted


def validate(inputs: PublishInputs) -> None:
    """Raise a ProductionError naming the first unusable field."""
    for check in _CHECKS:
        check(inputs)


def chapters_of(inputs: PublishInputs) -> list[tuple[str, int, int]]:
    """The chapters, or one chapter (the episode title) spanning the episode when none are given."""
    if inputs.chapters:
        return [(str(t), int(a), int(b)) for t, a, b in inputs.chapters]
    return [(inputs.title, 0, inputs.duration_ms)]


def sentence_index_at(sentences: Sequence[Sentence], time_ms: int) -> int:
    """Index of the sentence spoken at ``time_ms``: the last one started (the first if none)."""
    starts = [s.start_ms or 0 for s in sentences]
    return max(0, bisect.bisect_right(starts, time_ms) - 1)


def _check_basics(inputs: PublishInputs) -> None:
    if not inputs.title.strip():
        raise ProductionError("the episode has no title: set title in episode.toml")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", inputs.slug):
        raise ProductionError(
            f"episode folder name {inputs.slug!r} cannot be used in file names and URLs: "
            "rename the folder to letters, digits, '-', '_' or '.'"
        )
    if inputs.episode_type not in EPISODE_TYPES:
        raise ProductionError(
            f"episode_type {inputs.episode_type!r} is not one of {', '.join(EPISODE_TYPES)}: "
            "fix episode.toml"
        )
    if inputs.duration_ms <= 0:
        raise ProductionError(
            f"the MP3 duration is {inputs.duration_ms} ms: master the audio again"
        )


def _check_base_url(inputs: PublishInputs) -> None:
    url = inputs.base_url
    if not url:
        return
    if not re.match(r"https?://[^/]", url) or _URL_UNSAFE.search(url):
        raise ProductionError(
            f"base_url {url!r} is not a plain http(s) URL: set it in episode.toml to e.g. "
            "'https://example.com/episodes/<slug>/' (no spaces or quotes)"
        )


def _check_sentences(inputs: PublishInputs) -> None:
    previous = -1
    for s in inputs.sentences:
        if s.start_ms is None or s.end_ms is None or s.end_ms < s.start_ms:
            raise ProductionError(
                f"sentence {s.id} has no usable timing: run the align stage again"
            )
        if s.start_ms < previous:
            raise ProductionError(
                f"sentence {s.id} starts before the previous one: run the align stage again"
            )
        previous = s.start_ms


def _check_chapters(inputs: PublishInputs) -> None:
    previous = -1
    for title, start, end in inputs.chapters:
        if not str(title).strip() or start < 0 or end <= start or start <= previous:
            raise ProductionError(
                f"chapter {title!r} ({start}-{end} ms) is empty, untitled or out of order: "
                "fix the chapter list (titles, ascending start times)"
            )
        previous = start


def _check_caption_files(inputs: PublishInputs) -> None:
    for name, (mime, _lang) in inputs.caption_files.items():
        if mime not in TRANSCRIPT_TYPES:
            raise ProductionError(
                f"caption file {name} has type {mime!r}; a podcast transcript must be one of "
                f"{', '.join(TRANSCRIPT_TYPES)}: leave it out of caption_files"
            )


def _check_captions(inputs: PublishInputs) -> None:
    starts = [c.start_ms for c in inputs.captions_en]
    if starts != sorted(starts):
        raise ProductionError(
            "the English captions are not in time order: run the captions stage again"
        )


_CHECKS = (
    _check_basics,
    _check_base_url,
    _check_sentences,
    _check_chapters,
    _check_caption_files,
    _check_captions,
)


DEFAULT_SETTINGS = PublishSettings()
