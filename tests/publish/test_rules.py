"""Feed rules: the good feed passes; a feed broken in one way fails with that rule's name."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from production.publish.channel import build_feed
from production.publish.feed import CONTENT_NS, ITUNES_NS, PODCAST_NS
from production.publish.rules import RULES, Resolver, check_feed
from production.show import load_show

from .conftest import FIRST, SHOW_BASE

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
REPO = Path(__file__).resolve().parents[2]
for prefix, uri in (("itunes", ITUNES_NS), ("podcast", PODCAST_NS), ("content", CONTENT_NS)):
    ET.register_namespace(prefix, uri)

Breaker = Callable[[ET.Element, Path], None]


def _channel(rss: ET.Element) -> ET.Element:
    ch = rss.find("channel")
    assert ch is not None
    return ch


def _item(rss: ET.Element) -> ET.Element:
    item = _channel(rss).find("item")
    assert item is not None
    return item


def _drop(path: str, *, item: bool = False) -> Breaker:
    def apply(rss: ET.Element, root: Path) -> None:
        parent = _item(rss) if item else _channel(rss)
        for el in parent.findall(path, NS):
            parent.remove(el)

    return apply


def _set_text(path: str, text: str, *, item: bool = False) -> Breaker:
    def apply(rss: ET.Element, root: Path) -> None:
        el = (_item(rss) if item else _channel(rss)).find(path, NS)
        assert el is not None
        el.text = text

    return apply


def _set_attr(path: str, attr: str, value: str) -> Breaker:
    def apply(rss: ET.Element, root: Path) -> None:
        el = _item(rss).find(path, NS)
        assert el is not None
        el.set(attr, value)

    return apply


def _small_cover(rss: ET.Element, root: Path) -> None:
    Image.new("RGB", (1000, 1000), "white").save(root / "cover.png")  # Apple: at least 1400 px


def _oldest_first(rss: ET.Element, root: Path) -> None:
    ch = _channel(rss)
    items = ch.findall("item")
    for i in items:
        ch.remove(i)
    for i in reversed(items):
        ch.append(i)


BREAKERS: dict[str, Breaker] = {
    "channel-required": _drop("language"),
    "channel-link": _drop("link"),
    "channel-category": _drop("itunes:category"),
    "explicit-present": _drop("itunes:explicit"),
    "owner-contact": _drop("itunes:owner"),
    "podcast-guid": _set_text("podcast:guid", "cbn-perspective"),
    "podcast-locked": _set_text("podcast:locked", "maybe"),
    "artwork": _small_cover,
    "https-urls": _set_attr("enclosure", "url", f"http://media.example.com/perspective/{FIRST}/{FIRST}.mp3"),
    "files-present": _set_attr("podcast:chapters", "url", f"{SHOW_BASE}{FIRST}/missing.json"),
    "item-title": _drop("title", item=True),
    "enclosure": _set_attr("enclosure", "length", ""),
    "enclosure-length": _set_attr("enclosure", "length", "12"),
    "enclosure-type": _set_attr("enclosure", "type", "audio/wav"),
    "duration-seconds": _set_text("itunes:duration", "00:00:04", item=True),
    "guid-stable": _set_text("guid", "a-new-guid-for-an-old-episode", item=True),
    "pubdate-order": _oldest_first,
    "transcript-type": _set_attr("podcast:transcript", "type", "text/x-ssa"),
}


def test_every_rule_has_a_breaking_test() -> None:
    assert set(BREAKERS) == {r.name for r in RULES}


def test_the_good_feed_passes_every_rule(show_root: Path) -> None:
    assert check_feed(build_feed(show_root), Resolver(load_show(show_root))) == []


@pytest.mark.parametrize("rule", list(BREAKERS))
def test_a_feed_broken_one_way_fails_that_rule(show_root: Path, rule: str) -> None:
    rss = ET.fromstring(build_feed(show_root))
    BREAKERS[rule](rss, show_root)
    problems = check_feed(ET.tostring(rss, encoding="unicode"), Resolver(load_show(show_root)))
    assert rule in {p.rule for p in problems}, problems
    assert all(str(p).startswith(f"{p.rule}: ") for p in problems)


def test_a_feed_that_does_not_parse_fails_rss_parses() -> None:
    assert [p.rule for p in check_feed("<rss><channel>")] == ["rss-parses"]
    assert [p.rule for p in check_feed("<feed/>")] == ["rss-parses"]


def test_the_duration_must_match_the_mp3(show_root: Path) -> None:
    rss = ET.fromstring(build_feed(show_root))
    _set_text("itunes:duration", "40", item=True)(rss, show_root)
    problems = check_feed(ET.tostring(rss, encoding="unicode"), Resolver(load_show(show_root)))
    assert [p.rule for p in problems] == ["duration-seconds"]


def test_check_names_the_rule_on_the_command_line(show_root: Path, tmp_path: Path) -> None:
    rss = ET.fromstring(build_feed(show_root))
    BREAKERS["enclosure-length"](rss, show_root)
    feed = tmp_path / "feed.xml"
    feed.write_text(ET.tostring(rss, encoding="unicode"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "check", str(feed), "--episodes", str(show_root)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert "error: enclosure-length: item 'cbn-perspective-2026-11-27-second' enclosure length 12" in result.stderr
    assert "Traceback" not in result.stderr


def test_episode_check_runs_the_feed_rules(show_root: Path) -> None:
    from production.episode import load_episode
    from production.publish.channel import episode_feed_findings

    ep = load_episode(show_root / FIRST, require_audio=False)
    assert episode_feed_findings(ep) == []
    _small_cover(ET.Element("rss"), show_root)
    assert [m.split(":")[0] for _, m in episode_feed_findings(ep)] == ["artwork"]


def test_episode_check_without_base_url_is_a_note(tmp_path: Path, show_root: Path) -> None:
    from production.episode import load_episode
    from production.publish.channel import episode_feed_findings

    (show_root / "show.toml").unlink()
    ep = load_episode(show_root / FIRST, require_audio=False)
    assert [s for s, _ in episode_feed_findings(ep)] == ["info"]
