"""The whole path on a really produced episode: produce (eSpeak NG read) → check's feed rules →
publish over SFTP to a real OpenSSH server, three times, with the feed watched throughout."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from production.check import check_episode
from production.episode import load_episode
from production.publish.channel import build_feed, episode_feed_findings
from production.publish.upload import publish
from production.tags import read_tags

from .conftest import SHOW_BASE
from .sshd import SshServer
from .test_upload import FeedWatcher, assert_mirrors, change_caption, expected_files

pytestmark = pytest.mark.slow


def test_publish_a_produced_episode_over_sftp(produced_root: Path, ssh_server: SshServer) -> None:
    (folder,) = [p for p in produced_root.iterdir() if (p / "episode.toml").is_file()]
    slug = folder.name
    ep = load_episode(folder)
    assert episode_feed_findings(ep) == []  # `perspective check`'s feed rules pass
    findings = check_episode(folder)
    assert [f.message for f in findings if f.severity == "error"] == []
    assert not [f for f in findings if "feed rules" in f.message]  # they ran (no "not run" note)
    tags = read_tags(folder / "build" / f"{slug}.mp3")
    assert (tags["host"], tags["genre"], tags["copyright"]) == ("Ada LIN", "Podcast", "© 2026 CBN")
    entry = feedparser.parse(build_feed(produced_root).encode("utf-8")).entries[0]
    assert entry.enclosures[0].href == f"{SHOW_BASE}{slug}/{slug}.mp3"

    dest = ssh_server.home / "produced-www"
    to, env = ssh_server.url(dest), ssh_server.env()
    with FeedWatcher(dest) as watcher:
        first = publish([folder], to, env=env)
        second = publish([folder], to, env=env)
        changed = change_caption(folder)
        third = publish([folder], to, env=env)
    files = expected_files(produced_root, slug)
    assert f"{slug}/{slug}.mp4" in files and f"{slug}/{slug}.zh-Hans.vtt" in files
    assert first.sent == [*files, "cover.png", "feed.xml"]
    assert second.sent == []
    assert third.sent == [changed, f"{slug}/manifest.json", "feed.xml"]
    assert watcher.reads > 0 and watcher.violations == []
    assert_mirrors(dest, produced_root, files)
