"""Feed rules: what `perspective check` (and `publish`, before it sends anything) demands of a feed.

Each rule has a name (printed with every failure, so a publisher can look it up), the document it
comes from, and a check over the parsed feed. The table of rules and sources is in
docs/publishing.md; every rule has a test that breaks a good feed in that one way.

Files the feed names are found locally through a :class:`Resolver` (the destination's URL
layout: ``base_url/<slug>/<file>`` is ``<root>/<slug>/build/<file>``), so sizes, types, durations
and artwork are checked against the files that will be uploaded.
"""

from __future__ import annotations

import email.utils
import json
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..show import Show
from .feed import ITUNES_NS, PODCAST_NS
from .inputs import MANIFEST_FILE, TRANSCRIPT_TYPES

COVER_MIN_PX = 1400  # Apple Podcasts artwork: square, 1400–3000 px, JPEG or PNG
COVER_MAX_PX = 3000
DURATION_TOLERANCE_S = 1  # itunes:duration is whole seconds; the file may differ by rounding
MEDIA_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a", ".mp4": "video/mp4", ".mov": "video/quicktime"}
EXPLICIT_VALUES = ("true", "false")  # Apple Podcasts (older "yes"/"no"/"clean" are refused here)
LOCKED_VALUES = ("yes", "no")  # Podcasting 2.0 <podcast:locked>
NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class Resolver:
    """Published URL -> local file, for a show whose destination mirrors ``base_url``."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.base = show.base_url.rstrip("/") + "/" if show.base_url else ""

    def __call__(self, url: str) -> Path | None:
        if not self.base or not url.startswith(self.base):
            return None
        rel = urllib.parse.unquote(url[len(self.base) :])
        parts = rel.split("/")
        if len(parts) == 2 and all(parts) and not any(p.startswith(".") for p in parts):
            path = self.show.root / parts[0] / "build" / parts[1]
            return path if path.is_file() else None
        if len(parts) == 1 and self.show.cover is not None and parts[0] == self.show.cover.name:
            return self.show.cover
        return None


def _nothing(url: str) -> Path | None:
    return None


@dataclass(frozen=True)
class Rule:
    name: str
    source: str  # the document the rule comes from (docs/publishing.md lists them)
    check: Callable[[ET.Element, Callable[[str], Path | None]], list[str]]


def _items(rss: ET.Element) -> list[ET.Element]:
    return rss.findall("./channel/item")


def _label(item: ET.Element) -> str:
    return f"item {item.findtext('guid') or item.findtext('title') or '?'!r}"


def _channel(rss: ET.Element) -> ET.Element:
    channel = rss.find("channel")
    return channel if channel is not None else ET.Element("channel")


def _text(el: ET.Element | None, path: str) -> str:
    return (el.findtext(path, namespaces=NS) or "").strip() if el is not None else ""


# ---------------------------------------------------------------- channel rules
def _channel_required(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    ch = _channel(rss)
    return [f"the channel has no <{tag}>; set it in show.toml" for tag in ("title", "description", "language")
            if not _text(ch, tag)]


def _channel_link(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    return [] if _text(_channel(rss), "link") else ["the channel has no <link>; set link or base_url in show.toml"]


def _channel_category(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    cats = [c.get("text", "").strip() for c in _channel(rss).findall("itunes:category", NS)]
    if not cats or not all(cats):
        return ['the channel needs an itunes:category; set categories = ["Business"] in show.toml']
    return []


def _explicit(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    out = []
    value = _text(_channel(rss), "itunes:explicit")
    if value not in EXPLICIT_VALUES:
        out.append(f"the channel's itunes:explicit is {value or 'missing'!r}; it must be true or false")
    for item in _items(rss):
        el = item.find("itunes:explicit", NS)
        if el is not None and (el.text or "").strip() not in EXPLICIT_VALUES:
            out.append(f"{_label(item)} has itunes:explicit {el.text!r}; it must be true or false")
    return out


def _owner(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    ch = _channel(rss)
    out = []
    if not _text(ch, "itunes:author"):
        out.append("the channel has no itunes:author; set author in show.toml")
    if not _text(ch, "itunes:owner/itunes:email"):
        out.append("the channel has no itunes:owner e-mail; set [owner] email in show.toml")
    return out


def _podcast_guid(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    value = _text(_channel(rss), "podcast:guid")
    try:
        uuid.UUID(value)
    except ValueError:
        return [f"podcast:guid {value or 'missing'!r} is not a UUID; leave podcast_guid out of show.toml to derive it"]
    return []


def _podcast_locked(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    value = _text(_channel(rss), "podcast:locked")
    return [] if value in LOCKED_VALUES else [f"podcast:locked is {value or 'missing'!r}; it must be yes or no"]


# ---------------------------------------------------------------- item rules
def feed_urls(rss: ET.Element) -> list[tuple[str, str]]:
    """(where, url) for every URL the feed names."""
    out: list[tuple[str, str]] = []
    ch = _channel(rss)
    for where, el, attr in [("channel link", ch.find("link"), None),
                            ("channel itunes:image", ch.find("itunes:image", NS), "href")]:
        if el is not None:
            out.append((where, (el.get(attr) if attr else el.text) or ""))
    for item in _items(rss):
        label = _label(item)
        for tag, attr in (("enclosure", "url"), ("itunes:image", "href"), ("podcast:transcript", "url"),
                          ("podcast:chapters", "url"), ("podcast:alternateEnclosure/podcast:source", "uri"),
                          ("link", None)):
            for el in item.findall(tag, NS):
                out.append((f"{label} {tag}", (el.get(attr) if attr else el.text) or ""))
    return out


def _https(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    return [f"{where} URL {url!r} is not an absolute https URL; set base_url = 'https://…' in show.toml"
            for where, url in feed_urls(rss) if not re.match(r"https://[^/\s]+/", url.strip() + "/")]


def _enclosure(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    out = []
    for item in _items(rss):
        enc = item.find("enclosure")
        if enc is None or not enc.get("url") or not (enc.get("length") or "").isdigit() or not enc.get("type"):
            out.append(f"{_label(item)} needs an <enclosure> with url, length (bytes) and type")
    return out


def _media_files(rss: ET.Element) -> list[tuple[str, ET.Element, str]]:
    """(label, element, url) of the enclosure and alternate enclosures of every item."""
    out = []
    for item in _items(rss):
        enc = item.find("enclosure")
        if enc is not None:
            out.append((f"{_label(item)} enclosure", enc, enc.get("url", "")))
        for alt in item.findall("podcast:alternateEnclosure", NS):
            source = alt.find("podcast:source", NS)
            out.append((f"{_label(item)} alternateEnclosure", alt, source.get("uri", "") if source is not None else ""))
    return out


def _length(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    out = []
    for label, el, url in _media_files(rss):
        path = resolve(url)
        if path is not None and el.get("length") != str(path.stat().st_size):
            out.append(f"{label} length {el.get('length')} is not the file's size {path.stat().st_size} bytes; "
                       "build the feed again")
    return out


def _media_type(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    out = []
    for label, el, url in _media_files(rss):
        suffix = Path(urllib.parse.urlparse(url).path).suffix.lower()
        expected = MEDIA_TYPES.get(suffix)
        if expected is None or el.get("type") != expected:
            out.append(f"{label} type {el.get('type')!r} does not match the file {url.rsplit('/', 1)[-1]!r} "
                       f"(expected {expected or 'an MP3, M4A, MP4 or MOV file'})")
    return out


def _manifest_of(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        doc = json.loads((path.parent / MANIFEST_FILE).read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _duration(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    out = []
    for item in _items(rss):
        text = _text(item, "itunes:duration")
        if not text.isdigit():
            out.append(f"{_label(item)} itunes:duration {text or 'missing'!r} is not whole seconds")
            continue
        enc = item.find("enclosure")
        doc = _manifest_of(resolve(enc.get("url", ""))) if enc is not None else {}
        ms = doc.get("duration_ms")
        if isinstance(ms, int) and abs(int(text) - ms / 1000) > DURATION_TOLERANCE_S:
            out.append(f"{_label(item)} itunes:duration {text} s differs from the MP3's {ms / 1000:.1f} s")
    return out


def _artwork(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    from PIL import Image, UnidentifiedImageError

    out = []
    ch = _channel(rss)
    images = [("channel", ch.find("itunes:image", NS))] + [(_label(i), i.find("itunes:image", NS)) for i in _items(rss)]
    if images[0][1] is None:
        out.append("the channel has no itunes:image; set cover in show.toml")
    checked: set[Path] = set()
    for where, el in images:
        path = resolve(el.get("href", "")) if el is not None else None
        if path is None or path in checked:
            continue
        checked.add(path)
        try:
            with Image.open(path) as img:
                fmt, (w, h) = img.format or "", img.size
        except (UnidentifiedImageError, OSError):
            out.append(f"{where} artwork {path.name} is not a readable image; export it as PNG or JPEG")
            continue
        if fmt not in ("PNG", "JPEG") or w != h or not COVER_MIN_PX <= w <= COVER_MAX_PX:
            out.append(f"{where} artwork {path.name} is {fmt} {w}×{h} px; it must be a square PNG or JPEG of "
                       f"{COVER_MIN_PX}–{COVER_MAX_PX} px")
    return out


def _guid(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    out = []
    seen: set[str] = set()
    for item in _items(rss):
        guid = _text(item, "guid")
        if not guid:
            out.append(f"item {item.findtext('title')!r} has no <guid>")
            continue
        if guid in seen:
            out.append(f"guid {guid!r} is used by two items; every episode needs its own")
        seen.add(guid)
        enc = item.find("enclosure")
        episode = _manifest_of(resolve(enc.get("url", ""))).get("episode") if enc is not None else None
        recorded = episode.get("guid") if isinstance(episode, dict) else None
        if recorded and recorded != guid:
            out.append(f"{_label(item)}: the episode's build says its guid is {recorded!r}; a published guid "
                       "must never change (set guid in episode.toml to the one already published)")
    return out


def _pub_date(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    out = []
    dates = []
    for item in _items(rss):
        try:
            dates.append(email.utils.parsedate_to_datetime(_text(item, "pubDate")))
        except (TypeError, ValueError):
            out.append(f"{_label(item)} pubDate {_text(item, 'pubDate')!r} is not an RFC 2822 date")
    if not out and dates != sorted(dates, reverse=True):
        out.append("items are not newest first; build the feed with `perspective feed`")
    return out


def _item_required(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    return [f"{_label(i)} has no <title>" for i in _items(rss) if not _text(i, "title")]


def _transcripts(rss: ET.Element, _: Callable[[str], Path | None]) -> list[str]:
    return [f"{_label(i)} podcast:transcript type {t.get('type')!r} is not one of {', '.join(TRANSCRIPT_TYPES)}"
            for i in _items(rss) for t in i.findall("podcast:transcript", NS) if t.get("type") not in TRANSCRIPT_TYPES]


def _files_exist(rss: ET.Element, resolve: Callable[[str], Path | None]) -> list[str]:
    if resolve is _nothing:
        return []
    return [f"{where} names {url!r}, which is not among the files to publish; produce that episode again"
            for where, url in feed_urls(rss) if "link" not in where and resolve(url) is None]


RULES: tuple[Rule, ...] = (
    Rule("channel-required", "RSS 2.0 (channel title, description); Apple Podcasts (language)", _channel_required),
    Rule("channel-link", "RSS 2.0 required channel elements; Apple Podcasts recommended tags", _channel_link),
    Rule("channel-category", "Apple Podcasts required tags (itunes:category)", _channel_category),
    Rule("explicit-present", "Apple Podcasts required tags (itunes:explicit true/false)", _explicit),
    Rule("owner-contact", "Apple Podcasts recommended tags (itunes:author, itunes:owner)", _owner),
    Rule("podcast-guid", "Podcasting 2.0 namespace, <podcast:guid> (UUIDv5)", _podcast_guid),
    Rule("podcast-locked", "Podcasting 2.0 namespace, <podcast:locked> (yes/no)", _podcast_locked),
    Rule("artwork", "Apple Podcasts artwork requirements (square JPEG/PNG, 1400–3000 px)", _artwork),
    Rule("https-urls", "Apple Podcasts: feed and media served over HTTPS; RSS 2.0 absolute URLs", _https),
    Rule("files-present", "this toolkit: the feed names only files that are uploaded", _files_exist),
    Rule("item-title", "RSS 2.0 item; Apple Podcasts required episode tags (title)", _item_required),
    Rule("enclosure", "RSS 2.0 <enclosure> (url, length, type); Apple Podcasts required episode tags", _enclosure),
    Rule("enclosure-length", "RSS 2.0 <enclosure>: length is the file's size in bytes", _length),
    Rule("enclosure-type", "RSS 2.0 <enclosure> type; Apple Podcasts supported media formats", _media_type),
    Rule("duration-seconds", "Apple Podcasts recommended episode tags (itunes:duration in seconds)", _duration),
    Rule("guid-stable", "RSS 2.0 <guid>; Apple Podcasts: a guid never changes once published", _guid),
    Rule("pubdate-order", "RSS 2.0 <pubDate> (RFC 2822); this toolkit: newest first", _pub_date),
    Rule("transcript-type", "Podcasting 2.0 <podcast:transcript> types", _transcripts),
)


def check_feed(text: str | bytes, resolve: Callable[[str], Path | None] | None = None) -> list[Problem]:
    """Every rule's problems with the feed, in rule order; empty when it passes."""
    try:
        rss = ET.fromstring(text)
    except ET.ParseError as err:
        return [Problem("rss-parses", f"the feed is not well-formed XML ({err}); build it again")]
    if rss.tag != "rss" or rss.find("channel") is None:
        return [Problem("rss-parses", "the document is not an RSS feed (<rss><channel>…)")]
    look = resolve or _nothing
    return [Problem(rule.name, message) for rule in RULES for message in rule.check(rss, look)]
