"""feed.xml: the show's RSS 2.0 channel, built from every produced episode under the episodes root.

Each episode contributes the ``<item>`` its publish stage wrote (build/feed-item.xml, covered by
build/manifest.json), completed with what only the show knows (``itunes:image``,
``itunes:explicit``); the channel carries Apple's required and recommended tags and the
Podcasting 2.0 ``guid``, ``locked`` and ``person`` tags. Items are newest first. Nothing in the
feed depends on the clock, so an unchanged set of episodes gives a byte-identical feed (the
upload then sends nothing). Tag sources: docs/publishing.md.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..episode import EPISODE_FILE, Episode, load_episode
from ..errors import ProductionError
from ..show import Show, load_show
from .feed import ITUNES_NS, PODCAST_NS
from .inputs import FEED_ITEM_FILE, MANIFEST_FILE, xml_safe
from .manifest import verify_manifest

RSS_VERSION = "2.0"
GENERATOR = "cbn-perspective"
ATOM_NS = "http://www.w3.org/2005/Atom"  # atom:link rel="self": the feed's own URL (RSS Best Practices)
ET.register_namespace("atom", ATOM_NS)


class FeedError(ProductionError):
    """The channel feed cannot be built from the episodes as they are."""


@dataclass(frozen=True)
class FeedEpisode:
    episode: Episode
    item: ET.Element  # the completed <item>
    published: dt.datetime  # pubDate, for newest-first order


def _it(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_safe(text)
    return el


def produced_folders(root: Path) -> list[Path]:
    """Episode folders under ``root`` whose build/ holds a manifest (produce has finished)."""
    root = Path(root)
    if not root.is_dir():
        raise FeedError(f"episodes root {root} is not a folder: pass the folder that holds show.toml")
    return sorted(
        p for p in root.iterdir() if (p / EPISODE_FILE).is_file() and (p / "build" / MANIFEST_FILE).is_file()
    )


def explicit_text(value: bool) -> str:
    return "true" if value else "false"  # Apple Podcasts: "true" or "false"


def feed_episode(episode: Episode, show: Show) -> FeedEpisode:
    """The episode's produced item, checked against its manifest and completed for the channel."""
    build = episode.build_dir
    problems = verify_manifest(build)
    if problems:
        raise FeedError(f"episode {episode.slug}: {problems[0]}")
    try:
        item = ET.parse(build / FEED_ITEM_FILE).getroot()
    except (OSError, ET.ParseError) as err:
        raise FeedError(
            f"{build / FEED_ITEM_FILE} cannot be read ({err}): run `perspective produce {episode.folder}`"
        ) from err
    if item.find(_it("image")) is None and show.cover_url():
        _sub(item, _it("image"), href=show.cover_url())
    if item.find(_it("explicit")) is None:
        _sub(item, _it("explicit"), explicit_text(show.explicit))
    try:
        published = email.utils.parsedate_to_datetime(item.findtext("pubDate") or "")
    except (TypeError, ValueError) as err:
        raise FeedError(f"{build / FEED_ITEM_FILE} has no usable pubDate: produce it again") from err
    return FeedEpisode(episode, item, published)


def _check_show(show: Show) -> None:
    if not show.base_url:
        raise FeedError(
            f"{show.root}/show.toml has no base_url: set it to the public URL of the publish destination, "
            "e.g. base_url = 'https://media.example.com/perspective/'"
        )


def channel_xml(show: Show, episodes: Sequence[FeedEpisode]) -> str:
    """The RSS document, items newest first (ties: by slug, so the order is stable)."""
    _check_show(show)
    ordered = sorted(episodes, key=lambda e: (e.published, e.episode.slug), reverse=True)
    rss = ET.Element("rss", {"version": RSS_VERSION})
    channel = _sub(rss, "channel")
    _channel_tags(channel, show, ordered)
    for e in ordered:
        channel.append(e.item)
    ET.indent(rss)
    body = ET.tostring(rss, encoding="unicode")
    # ElementTree declares namespaces where first used; a feed declares them all on <rss>
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _channel_tags(channel: ET.Element, show: Show, episodes: Sequence[FeedEpisode]) -> None:
    title = f"{show.title} {show.title_zh}".strip() if show.title_zh else show.title
    _sub(channel, "title", title)
    _sub(channel, "link", show.link or show.base_url)
    _sub(channel, f"{{{ATOM_NS}}}link", href=show.feed_url, rel="self", type="application/rss+xml")
    _sub(channel, "description", show.description or title)
    _sub(channel, "language", show.language)
    if show.copyright:
        _sub(channel, "copyright", show.copyright)
    _sub(channel, "generator", GENERATOR)
    if episodes:
        _sub(channel, "lastBuildDate", email.utils.format_datetime(episodes[0].published))
    if show.cover_url():
        _sub(channel, _it("image"), href=show.cover_url())
    for category in show.categories:
        parent, _, child = category.partition("/")
        el = ET.SubElement(channel, _it("category"), {"text": xml_safe(parent.strip())})
        if child.strip():
            ET.SubElement(el, _it("category"), {"text": xml_safe(child.strip())})
    _sub(channel, _it("explicit"), explicit_text(show.explicit))
    _sub(channel, _it("type"), show.show_type)
    if show.author:
        _sub(channel, _it("author"), show.author)
    if show.owner_name or show.owner_email:
        owner = _sub(channel, _it("owner"))
        if show.owner_name:
            _sub(owner, _it("name"), show.owner_name)
        if show.owner_email:
            _sub(owner, _it("email"), show.owner_email)
    if show.effective_podcast_guid:
        _sub(channel, _pc("guid"), show.effective_podcast_guid)
    locked = {"owner": show.owner_email} if show.owner_email else {}
    _sub(channel, _pc("locked"), "yes" if show.locked else "no", **locked)
    if show.host:
        _sub(channel, _pc("person"), show.host, role="host", group="cast")


def load_feed_episodes(root: Path, slugs: Sequence[str] | None = None) -> tuple[Show, list[FeedEpisode]]:
    """The show of ``root`` and its produced episodes (only ``slugs`` when given)."""
    show = load_show(root)
    _check_show(show)
    folders = produced_folders(root)
    if slugs is not None:
        wanted = set(slugs)
        folders = [f for f in folders if load_episode(f, require_audio=False).slug in wanted]
    episodes = [feed_episode(load_episode(f, require_audio=False), show) for f in folders]
    _check_guids(episodes)
    return show, episodes


def _check_guids(episodes: Sequence[FeedEpisode]) -> None:
    seen: dict[str, str] = {}
    for e in episodes:
        guid = e.item.findtext("guid") or ""
        if guid in seen:
            raise FeedError(
                f"episodes {seen[guid]} and {e.episode.slug} share the guid {guid!r}: "
                "give one of them its own guid in episode.toml"
            )
        seen[guid] = e.episode.slug


def build_feed(root: str | Path, slugs: Sequence[str] | None = None) -> str:
    """The feed.xml text for the episodes root."""
    show, episodes = load_feed_episodes(Path(root), slugs)
    if not episodes:
        raise FeedError(f"no produced episode under {root}: run `perspective produce` on an episode first")
    return channel_xml(show, episodes)


def episode_feed_findings(episode: Episode) -> list[tuple[str, str]]:
    """(severity, message) for `perspective check`: the feed rules over the channel this episode
    would appear in; a note instead when the show has no base_url yet (nothing to publish to)."""
    from .rules import Resolver, check_feed

    show = episode.show_settings or load_show(episode.folder.parent)
    if not show.base_url:
        return [("info", "no base_url in show.toml: feed rules not run (set it to publish)")]
    text = channel_xml(show, [feed_episode(episode, show)])
    return [("error", str(problem)) for problem in check_feed(text, Resolver(show))]
