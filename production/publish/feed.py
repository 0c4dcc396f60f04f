"""feed-item.xml: one RSS 2.0 ``<item>`` with the itunes, podcast and content namespaces.

Built with ElementTree so every piece of user text is escaped by the serialiser; the item
parses on its own and pastes into any channel (``channel.py`` builds the show's feed from these
items). Why ElementTree and not feedgen/podgen, and each tag's source: docs/publishing.md.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from pathlib import Path

from markdown_it import MarkdownIt

from ..errors import ProductionError
from .inputs import (
    CHAPTERS_FILE,
    DEFAULT_SETTINGS,
    TRANSCRIPT_FILE,
    PublishInputs,
    PublishSettings,
    url_for,
    validate,
    xml_safe,
)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"  # Apple Podcasts RSS namespace
PODCAST_NS = "https://podcastindex.org/namespace/1.0"  # Podcasting 2.0 namespace
AUDIO_TYPE = "audio/mpeg"  # enclosure type of the MP3
VIDEO_TYPE = "video/mp4"  # podcast:alternateEnclosure type of the MP4
CHAPTERS_TYPE = "application/json+chapters"  # Podcasting 2.0 chapters.md
JSON_TRANSCRIPT_TYPE = "application/json"  # Podcasting 2.0 transcripts.md
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"  # RSS content module: HTML show notes
CAPTION_REL = "captions"  # transcripts.md: rel="captions" marks timed caption files

ET.register_namespace("itunes", ITUNES_NS)
ET.register_namespace("podcast", PODCAST_NS)
ET.register_namespace("content", CONTENT_NS)


def feed_item_xml(inputs: PublishInputs, settings: PublishSettings = DEFAULT_SETTINGS) -> str:
    """The ``<item>`` element as XML text (no declaration, so it pastes into a channel as is)."""
    validate(inputs)
    item = ET.Element("item")
    for build in _PARTS:
        build(item, inputs, settings)
    ET.indent(item)
    return ET.tostring(item, encoding="unicode", xml_declaration=False) + "\n"


def pub_date(date: dt.date, settings: PublishSettings, published: dt.datetime | None = None) -> str:
    """RFC 2822 date for pubDate: ``published`` (a time and offset given in episode.toml, kept
    as written), else the episode date at settings.pub_time."""
    moment = published if published is not None else dt.datetime.combine(date, settings.pub_time)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


def itunes_duration(ms: int) -> str:
    """Whole seconds, rounded to the nearest (Apple recommends seconds over HH:MM:SS)."""
    return str(round(ms / 1000))


def shownotes_html(markdown: str) -> str:
    """The show notes' Markdown as HTML for ``content:encoded`` (raw HTML off: user text in the
    Markdown is already escaped by shownotes.md_escape, so it stays literal)."""
    return MarkdownIt("commonmark", {"html": False}).render(markdown)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_safe(text)
    return el


def _it(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _file_bytes(path: Path, what: str) -> str:
    try:
        return str(path.stat().st_size)
    except OSError as err:
        raise ProductionError(
            f"the {what} {path} is missing ({err.strerror}): run the stage that makes it first"
        ) from err


def _basics(item: ET.Element, inputs: PublishInputs, settings: PublishSettings) -> None:
    from .shownotes import shownotes_md

    _sub(item, "title", inputs.title)
    _sub(item, _it("title"), inputs.title)
    if inputs.base_url:
        _sub(item, "link", inputs.base_url)
    _sub(item, "description", inputs.description)
    _sub(item, f"{{{CONTENT_NS}}}encoded", shownotes_html(shownotes_md(inputs)))
    _sub(item, "guid", inputs.effective_guid, isPermaLink="false")
    _sub(item, "pubDate", pub_date(inputs.date, settings, inputs.published))
    _sub(item, _it("episodeType"), inputs.episode_type)
    _sub(item, _it("duration"), itunes_duration(inputs.duration_ms))


def _media(item: ET.Element, inputs: PublishInputs, settings: PublishSettings) -> None:
    audio = inputs.audio_file
    _sub(
        item,
        "enclosure",
        url=url_for(inputs, audio.name),
        length=_file_bytes(audio, "MP3"),
        type=AUDIO_TYPE,
    )
    if inputs.video_file is not None:
        video = inputs.video_file
        alt = _sub(
            item,
            _pc("alternateEnclosure"),
            type=VIDEO_TYPE,
            length=_file_bytes(video, "MP4"),
            title="Video",
        )
        _sub(alt, _pc("source"), uri=url_for(inputs, video.name))


def _transcripts(item: ET.Element, inputs: PublishInputs, settings: PublishSettings) -> None:
    for name, (mime, language) in inputs.caption_files.items():
        _sub(
            item,
            _pc("transcript"),
            url=url_for(inputs, name),
            type=mime,
            language=language,
            rel=CAPTION_REL,
        )
    _sub(
        item,
        _pc("transcript"),
        url=url_for(inputs, TRANSCRIPT_FILE),
        type=JSON_TRANSCRIPT_TYPE,
        language=inputs.language,
    )
    _sub(item, _pc("chapters"), url=url_for(inputs, CHAPTERS_FILE), type=CHAPTERS_TYPE)


def _persons(item: ET.Element, inputs: PublishInputs, settings: PublishSettings) -> None:
    for person in inputs.persons:
        name = " ".join(xml_safe(str(person.get("name", ""))).split())
        if not name:
            continue
        attrs = {
            k: " ".join(xml_safe(str(person[k])).split())
            for k in ("role", "group", "img", "href")
            if person.get(k)
        }
        _sub(item, _pc("person"), name, **attrs)


_PARTS = (_basics, _media, _transcripts, _persons)
