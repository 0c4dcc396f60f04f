"""feed.xml: the show's channel from every produced episode (two here), read back by feedparser."""

from __future__ import annotations

import email.utils
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from production.errors import ProductionError
from production.publish.channel import build_feed
from production.publish.feed import ITUNES_NS, PODCAST_NS
from production.show import load_show

from .conftest import FIRST, SECOND, SHOW_BASE

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
REPO = Path(__file__).resolve().parents[2]


def perspective(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, cwd=REPO)


def test_a_feed_of_two_episodes_parses_with_feedparser(show_root: Path) -> None:
    feed = feedparser.parse(build_feed(show_root).encode("utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "CBN Perspective CBN视角"
    assert feed.feed.image.href == f"{SHOW_BASE}cover.png"
    assert feed.feed.author_detail.email == "podcast@example.com" or feed.feed.publisher_detail.email
    assert [e.id for e in feed.entries] == [f"cbn-perspective-{SECOND}", f"cbn-perspective-{FIRST}"]  # newest first
    for entry, slug in zip(feed.entries, (SECOND, FIRST), strict=True):
        mp3 = show_root / slug / "build" / f"{slug}.mp3"
        assert entry.enclosures[0].href == f"{SHOW_BASE}{slug}/{slug}.mp3"
        assert entry.enclosures[0].length == str(mp3.stat().st_size)
        assert entry.itunes_duration == "4"
        assert not entry.itunes_explicit  # feedparser reads "false" as not explicit
        assert entry.image.href == f"{SHOW_BASE}cover.png"
        assert entry.link == f"{SHOW_BASE}{slug}/"
        assert "<h2>Chapters</h2>" in entry.content[0].value  # the show notes as HTML


def test_channel_has_apple_and_podcasting20_tags(show_root: Path) -> None:
    rss = ET.fromstring(build_feed(show_root))
    ch = rss.find("channel")
    assert ch is not None
    assert ch.findtext("language") == "en" and ch.findtext("copyright") == "© 2026 CBN"
    cats = [(c.get("text"), [s.get("text") for s in c]) for c in ch.findall("itunes:category", NS)]
    assert cats == [("News", ["Business News"]), ("Business", [])]
    assert ch.findtext("itunes:explicit", namespaces=NS) == "false"
    assert ch.findtext("itunes:author", namespaces=NS) == "CBN"
    assert ch.findtext("itunes:owner/itunes:name", namespaces=NS) == "CBN Podcasts"
    assert ch.findtext("podcast:guid", namespaces=NS) == load_show(show_root).effective_podcast_guid
    locked = ch.find("podcast:locked", NS)
    assert locked is not None and (locked.text, locked.get("owner")) == ("no", "podcast@example.com")
    assert ch.findtext("podcast:person", namespaces=NS) == "Ana Host"
    assert ch.findtext("lastBuildDate") == "Fri, 27 Nov 2026 00:00:00 +0000"
    dates = [email.utils.parsedate_to_datetime(i.findtext("pubDate") or "") for i in ch.findall("item")]
    assert dates == sorted(dates, reverse=True)
    item = ch.find("item")
    assert item is not None
    assert item.find("podcast:alternateEnclosure", NS) is None  # no MP4 in these builds
    assert [t.get("type") for t in item.findall("podcast:transcript", NS)] == [
        "text/vtt",
        "application/x-subrip",
        "application/json",
    ]
    assert item.find("podcast:chapters", NS) is not None and item.findall("podcast:person", NS)


def test_the_feed_is_the_same_on_every_run(show_root: Path) -> None:
    """Stable GUIDs and no clock in the feed: unchanged episodes give identical bytes."""
    first = build_feed(show_root)
    assert build_feed(show_root) == first
    toml = show_root / FIRST / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Episode ", "Renamed "), encoding="utf-8")
    rss = ET.fromstring(build_feed(show_root))
    assert [i.findtext("guid") for i in rss.iter("item")] == [
        f"cbn-perspective-{SECOND}",
        f"cbn-perspective-{FIRST}",
    ]


def test_an_unproduced_episode_is_left_out(show_root: Path) -> None:
    (show_root / SECOND / "build" / "manifest.json").unlink()
    rss = ET.fromstring(build_feed(show_root))
    assert [i.findtext("guid") for i in rss.iter("item")] == [f"cbn-perspective-{FIRST}"]


def test_a_build_changed_after_produce_is_refused(show_root: Path) -> None:
    (show_root / FIRST / "build" / f"{FIRST}.en.vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    with pytest.raises(ProductionError, match=f"episode {FIRST}: .*en.vtt"):
        build_feed(show_root)


def test_no_base_url_is_one_clear_error(show_root: Path) -> None:
    show = show_root / "show.toml"
    show.write_text(show.read_text(encoding="utf-8").replace('base_url = "', 'link = "'), encoding="utf-8")
    with pytest.raises(ProductionError, match="show.toml has no base_url: set it"):
        build_feed(show_root)


def test_feed_command_writes_a_feed_that_check_passes(show_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "feed.xml"
    result = perspective("feed", str(show_root), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == build_feed(show_root)
    checked = perspective("check", str(out), "--episodes", str(show_root))
    assert checked.returncode == 0, checked.stderr
    assert "feed check passed" in checked.stdout


def test_feed_command_refuses_a_broken_show_without_writing(show_root: Path, tmp_path: Path) -> None:
    show = show_root / "show.toml"
    show.write_text(show.read_text(encoding="utf-8").replace("categories = ", "# "), encoding="utf-8")
    out = tmp_path / "feed.xml"
    result = perspective("feed", str(show_root), "-o", str(out))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "channel-category" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()


def test_hostile_show_text_stays_literal(show_root: Path) -> None:
    import json

    from .conftest import HOSTILE

    show = show_root / "show.toml"
    text = show.read_text(encoding="utf-8")
    text = text.replace('title = "CBN Perspective"', f"title = {json.dumps(HOSTILE)}")
    text = text.replace('author = "CBN"', f"author = {json.dumps(HOSTILE)}")
    show.write_text(text.replace('title_zh = "CBN视角"\n', ""), encoding="utf-8")
    xml = build_feed(show_root)
    assert "<script>" not in xml
    feed = feedparser.parse(xml.encode("utf-8"))
    assert not feed.bozo and feed.feed.title == HOSTILE
    assert ET.fromstring(xml).findtext("channel/itunes:author", namespaces=NS) == HOSTILE
