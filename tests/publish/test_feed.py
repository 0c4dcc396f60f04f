"""feed-item.xml: one RSS <item>; parses alone and with feedparser; hostile text stays literal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.errors import ProductionError
from production.publish import PublishInputs, PublishSettings, feed_item_xml, itunes_duration
from production.publish.feed import CONTENT_NS, ITUNES_NS, PODCAST_NS
from production.publish.inputs import xml_safe

from .conftest import HOSTILE, SLUG

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "content": CONTENT_NS}
BASE = "https://media.example.com/perspective/2026-11-27/"


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def test_item_core_elements(inputs: PublishInputs) -> None:
    item = parse(feed_item_xml(inputs))
    assert item.tag == "item"
    assert item.findtext("title") == inputs.title
    assert item.findtext("description") == inputs.description
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    assert guid.text == f"cbn-perspective-{SLUG}"
    assert email.utils.parsedate_to_datetime(item.findtext("pubDate") or "") == dt.datetime(
        2026, 11, 27, tzinfo=dt.UTC
    )
    assert item.findtext("itunes:duration", namespaces=NS) == "4"
    assert item.findtext("link") == BASE
    assert "<h2>Chapters</h2>" in (item.findtext("content:encoded", namespaces=NS) or "")
    assert item.findtext("itunes:episodeType", namespaces=NS) == "full"


def test_enclosure_has_the_mp3_byte_length(inputs: PublishInputs) -> None:
    enclosure = parse(feed_item_xml(inputs)).find("enclosure")
    assert enclosure is not None
    assert enclosure.attrib == {
        "url": f"{BASE}{SLUG}.mp3",
        "length": str(inputs.audio_file.stat().st_size),
        "type": "audio/mpeg",
    }


def test_relative_urls_without_base_url(inputs: PublishInputs) -> None:
    item = parse(feed_item_xml(dataclasses.replace(inputs, base_url="")))
    assert item.find("enclosure").get("url") == f"{SLUG}.mp3"  # type: ignore[union-attr]
    assert item.find("podcast:chapters", NS).get("url") == "chapters.json"  # type: ignore[union-attr]


def test_transcripts_chapters_and_persons(inputs: PublishInputs) -> None:
    item = parse(feed_item_xml(inputs))
    transcripts = [t.attrib for t in item.findall("podcast:transcript", NS)]
    assert transcripts == [
        {"url": f"{BASE}{SLUG}.en.vtt", "type": "text/vtt", "language": "en", "rel": "captions"},
        {
            "url": f"{BASE}{SLUG}.en.srt",
            "type": "application/x-subrip",
            "language": "en",
            "rel": "captions",
        },
        {
            "url": f"{BASE}{SLUG}.zh-Hans.vtt",
            "type": "text/vtt",
            "language": "zh-Hans",
            "rel": "captions",
        },
        {"url": f"{BASE}transcript.json", "type": "application/json", "language": "en"},
    ]
    chapters = item.find("podcast:chapters", NS)
    assert chapters is not None
    assert chapters.attrib == {"url": f"{BASE}chapters.json", "type": "application/json+chapters"}
    persons = [(p.text, p.get("role"), p.get("group")) for p in item.findall("podcast:person", NS)]
    assert persons == [("Ana Host", "host", "cast"), ("Bo Writer", "writer", "writing")]


def test_video_is_an_alternate_enclosure(inputs: PublishInputs, build_dir: Path) -> None:
    video = build_dir / f"{SLUG}.mp4"
    video.write_bytes(b"\0" * 1234)
    item = parse(feed_item_xml(dataclasses.replace(inputs, video_file=video)))
    alt = item.find("podcast:alternateEnclosure", NS)
    assert alt is not None and alt.get("type") == "video/mp4" and alt.get("length") == "1234"
    assert alt.find("podcast:source", NS).get("uri") == f"{BASE}{SLUG}.mp4"  # type: ignore[union-attr]


def test_feedparser_reads_the_item(inputs: PublishInputs) -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>CBN Perspective</title>"
        f"<link>https://example.com/</link><description>show</description>{feed_item_xml(inputs)}</channel></rss>"
    )
    feed = feedparser.parse(rss.encode("utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    entry = feed.entries[0]
    assert entry.title == inputs.title
    assert entry.id == f"cbn-perspective-{SLUG}"
    assert entry.guidislink is False
    assert entry.itunes_duration == "4"
    assert entry.enclosures[0].href == f"{BASE}{SLUG}.mp3"
    assert entry.enclosures[0].length == str(inputs.audio_file.stat().st_size)
    assert entry.enclosures[0].type == "audio/mpeg"


def test_hostile_text_stays_literal(inputs: PublishInputs) -> None:
    persons = ({"name": HOSTILE, "role": "host", "group": "cast"},)
    xml = feed_item_xml(
        dataclasses.replace(inputs, title=HOSTILE, description=HOSTILE, persons=persons)
    )
    assert "<script>" not in xml and "]]>" not in xml
    item = parse(xml)
    assert item.findtext("title") == HOSTILE
    assert item.findtext("description") == HOSTILE
    assert item.findtext("podcast:person", namespaces=NS) == HOSTILE
    feed = feedparser.parse(
        f"<rss version='2.0'><channel><title>t</title>{xml}</channel></rss>".encode()
    )
    assert feed.entries[0].title == HOSTILE


def test_guid_never_follows_title_or_date(inputs: PublishInputs) -> None:
    first = parse(feed_item_xml(inputs)).findtext("guid")
    changed = dataclasses.replace(inputs, title="Another title", date=dt.date(2027, 1, 1))
    assert parse(feed_item_xml(changed)).findtext("guid") == first
    assert (
        parse(feed_item_xml(dataclasses.replace(inputs, guid="urn:x:1"))).findtext("guid")
        == "urn:x:1"
    )


def test_pub_time_is_a_setting(inputs: PublishInputs) -> None:
    custom = PublishSettings(pub_time=dt.time(6, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    text = parse(feed_item_xml(inputs, custom)).findtext("pubDate")
    assert text == "Fri, 27 Nov 2026 06:30:00 +0800"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"episode_type": "special"}, "episode_type"),
        ({"base_url": "https://example.com/a b/"}, "base_url"),
        ({"base_url": "ftp://example.com/"}, "base_url"),
        ({"caption_files": {"x.ass": ("text/x-ssa", "en")}}, "x.ass"),
        ({"duration_ms": 0}, "duration"),
    ],
)
def test_bad_inputs_say_what_to_fix(
    inputs: PublishInputs, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ProductionError, match=message):
        feed_item_xml(dataclasses.replace(inputs, **changes))  # type: ignore[arg-type]


def test_missing_mp3_is_a_clear_error(inputs: PublishInputs, tmp_path: Path) -> None:
    with pytest.raises(ProductionError, match="MP3 .* is missing"):
        feed_item_xml(dataclasses.replace(inputs, audio_file=tmp_path / "gone.mp3"))


@given(st.integers(min_value=0, max_value=100 * 3600 * 1000))
def test_property_itunes_duration_reads_back(ms: int) -> None:
    assert itunes_duration(ms).isdigit()
    assert int(itunes_duration(ms)) == round(ms / 1000)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # `inputs` is read-only here
@given(title=st.text(max_size=80), name=st.text(max_size=40))
def test_property_any_text_parses_back(inputs: PublishInputs, title: str, name: str) -> None:
    persons = ({"name": "x" + name, "role": "host", "group": "cast"},)
    item = parse(
        feed_item_xml(
            dataclasses.replace(inputs, title=title + ".", description=title, persons=persons)
        )
    )
    assert item.findtext("title") == xml_safe(title + ".")
    assert (item.findtext("description") or "") == xml_safe(title)
    assert item.findtext("podcast:person", namespaces=NS) == " ".join(xml_safe("x" + name).split())
