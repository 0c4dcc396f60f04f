"""`perspective publish`: only what changed is sent, the feed last, a killed upload resumes, and
at no moment does the destination's feed name a file the destination lacks. Destinations: a
local folder and a real OpenSSH server (tests/publish/sshd.py) over SFTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from production.errors import ProductionError
from production.publish.manifest import file_entry
from production.publish.rules import feed_urls
from production.publish.upload import REMOTE_MANIFEST, PublishReport, publish

from .conftest import FIRST, SECOND, SHOW_BASE
from .sshd import SshServer

REPO = Path(__file__).resolve().parents[2]
POLL_S = 0.002  # how often the watcher reads the destination's feed


class FeedWatcher(threading.Thread):
    """Reads dest/feed.xml over and over while uploads run; records any moment it names a file the
    destination does not hold."""

    def __init__(self, dest: Path) -> None:
        super().__init__(daemon=True)
        self.dest, self.stop, self.reads, self.violations = dest, threading.Event(), 0, []  # type: list[str]

    def run(self) -> None:
        while not self.stop.is_set():
            self.check_once()
            time.sleep(POLL_S)

    def check_once(self) -> None:
        try:
            text = (self.dest / "feed.xml").read_bytes()
        except FileNotFoundError:
            return
        self.reads += 1
        for where, url in feed_urls(ET.fromstring(text)):
            rel = url[len(SHOW_BASE) :]
            if "link" not in where and not (self.dest / rel).is_file():
                self.violations.append(f"{where}: {rel}")

    def __enter__(self) -> FeedWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join()
        self.check_once()


def expected_files(root: Path, slug: str) -> list[str]:
    """What publish sends for an episode: its manifest's files (minus the WAV master and the
    review page) and the manifest itself."""
    doc = json.loads((root / slug / "build" / "manifest.json").read_text(encoding="utf-8"))
    names = [e["name"] for e in doc["files"] if not e["name"].endswith(".wav") and e["name"] != "review.html"]
    return [f"{slug}/{n}" for n in names] + [f"{slug}/manifest.json"]


def change_caption(folder: Path) -> str:
    """Edit one caption and refresh its manifest entry, as re-running produce would."""
    build = folder / "build"
    vtt = build / f"{folder.name}.en.vtt"
    text = vtt.read_text(encoding="utf-8")
    assert "Welcome" in text
    vtt.write_text(text.replace("Welcome", "Hello again, welcome"), encoding="utf-8")
    doc = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    doc["files"] = [file_entry(vtt) if e["name"] == vtt.name else e for e in doc["files"]]
    (build / "manifest.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return f"{folder.name}/{vtt.name}"


def assert_mirrors(dest: Path, root: Path, rels: list[str]) -> None:
    for rel in rels:
        slug, _, name = rel.partition("/")
        local = root / slug / "build" / name if name else root / slug
        assert (dest / rel).read_bytes() == local.read_bytes(), rel
    assert not list(dest.rglob("*.part")), "no upload temporaries left behind"


def run_three_publishes(root: Path, to: str, dest: Path, env: dict[str, str] | None) -> list[PublishReport]:
    """First run, second run, then a run after one caption changed, all under a FeedWatcher."""
    with FeedWatcher(dest) as watcher:
        first = publish([root / FIRST, root / SECOND], to, env=env)
        second = publish([root / FIRST, root / SECOND], to, env=env)
        changed = change_caption(root / SECOND)
        third = publish([root / SECOND], to, env=env)
    everything = expected_files(root, FIRST) + expected_files(root, SECOND)
    assert first.sent == [*everything, "cover.png", "feed.xml"]
    assert second.sent == [] and len(second.unchanged) == len(first.sent)
    assert third.sent == [changed, f"{SECOND}/manifest.json", "feed.xml"]
    assert third.episodes == [FIRST, SECOND]  # the feed still lists the episode not named this time
    assert watcher.reads > 0 and watcher.violations == []
    assert_mirrors(dest, root, everything)
    return [first, second, third]


def test_publish_to_a_local_folder(show_root: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    run_three_publishes(show_root, str(dest), dest, env={})
    remote = json.loads((dest / REMOTE_MANIFEST).read_text(encoding="utf-8"))
    assert remote["episodes"] == [FIRST, SECOND] and "feed.xml" in remote["files"]
    assert not (dest / FIRST / f"{FIRST}.wav").exists() and not (dest / FIRST / "review.html").exists()


def test_publish_over_sftp_to_a_real_openssh_server(show_root: Path, ssh_server: SshServer) -> None:
    dest = ssh_server.home / "sftp-www"
    run_three_publishes(show_root, ssh_server.url(dest), dest, ssh_server.env())


def test_a_file_removed_at_the_destination_is_sent_again(show_root: Path, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    publish([show_root / FIRST], str(dest), env={})
    (dest / FIRST / "chapters.json").unlink()
    assert publish([show_root / FIRST], str(dest), env={}).sent == [f"{FIRST}/chapters.json", "feed.xml"]


KILLER = """
import os, signal, sys
from production.publish import upload

upload.CHUNK_BYTES = 1024  # many writes per file, so the kill lands inside one
done = []

def progress(name, sent, total):
    if sent >= total:
        done.append(name)
    elif len(done) >= 2:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: as a crash or power cut

upload.publish(sys.argv[2:], sys.argv[1], progress=progress)
"""


def killed_publish(folders: list[Path], to: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLER, to, *map(str, folders)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == -9, result.stderr  # SIGKILL, mid-file


def test_an_upload_killed_midway_resumes_and_the_feed_never_names_a_missing_file(
    show_root: Path, ssh_server: SshServer
) -> None:
    dest = ssh_server.home / "killed-www"
    to, env = ssh_server.url(dest), ssh_server.env()
    with FeedWatcher(dest) as watcher:
        killed_publish([show_root / FIRST], to, env)  # the first publish dies mid-way
        assert not (dest / "feed.xml").exists() and list(dest.rglob("*.part"))
        resumed = publish([show_root / FIRST], to, env=env)
        assert resumed.sent[-1] == "feed.xml" and len(resumed.sent) < len(expected_files(show_root, FIRST)) + 2
        old_feed = (dest / "feed.xml").read_bytes()
        killed_publish([show_root / SECOND], to, env)  # an update dies mid-way: the old feed stays
        assert (dest / "feed.xml").read_bytes() == old_feed
        final = publish([show_root / SECOND], to, env=env)
        assert final.sent[-1] == "feed.xml" and final.episodes == [FIRST, SECOND]
        assert publish([show_root / SECOND], to, env=env).sent == []
    assert watcher.reads > 0 and watcher.violations == []
    assert_mirrors(dest, show_root, expected_files(show_root, FIRST) + expected_files(show_root, SECOND))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    command = [sys.executable, "-m", "cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=full_env)


def test_publish_command_reports_each_file(show_root: Path, tmp_path: Path) -> None:
    result = cli("publish", str(show_root / FIRST), "--to", str(tmp_path / "www"))
    assert result.returncode == 0, result.stderr
    assert f"sent {FIRST}/{FIRST}.mp3" in result.stderr and "sent feed.xml" in result.stderr
    assert "published to" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("sftp://me:hunter2@127.0.0.1/x", "carries a password: remove it and put it in PERSPECTIVE_SFTP_PASSWORD"),
        ("ftp://example.com/x", "ftp://… is not supported"),
        ("sftp:///x", "names no host"),
    ],
)
def test_bad_destinations_are_one_clear_line(show_root: Path, to: str, message: str) -> None:
    result = cli("publish", str(show_root / FIRST), "--to", to)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_a_refused_login_never_shows_the_password(show_root: Path, ssh_server: SshServer) -> None:
    env = {**ssh_server.env(), "PERSPECTIVE_SSH_KEY": "", "PERSPECTIVE_SFTP_PASSWORD": "hunter2-secret"}
    env["HOME"] = str(ssh_server.home / "empty-home")  # no ~/.ssh keys to fall back on
    env["SSH_AUTH_SOCK"] = ""  # no agent either
    result = cli("publish", str(show_root / FIRST), "--to", ssh_server.url(ssh_server.home / "w"), env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "login refused" in lines[0], result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout


def test_an_unknown_host_key_is_refused(show_root: Path, ssh_server: SshServer, tmp_path: Path) -> None:
    env = {**ssh_server.env(), "PERSPECTIVE_SSH_KNOWN_HOSTS": str(tmp_path / "known_hosts")}
    with pytest.raises(ProductionError, match="host key of .* is not in"):
        publish([show_root / FIRST], ssh_server.url(tmp_path / "w"), env=env)


def test_a_feed_that_fails_a_rule_sends_nothing(show_root: Path, tmp_path: Path) -> None:
    show = show_root / "show.toml"
    show.write_text(show.read_text(encoding="utf-8").replace('[owner]\nname = "CBN Podcasts"\n', "[owner]\n")
                    .replace('email = "podcast@example.com"\n', ""), encoding="utf-8")
    with pytest.raises(ProductionError, match="the feed fails owner-contact: .*nothing was sent"):
        publish([show_root / FIRST], str(tmp_path / "www"), env={})
    assert not (tmp_path / "www" / FIRST).exists()


def test_episodes_of_two_roots_are_refused(show_root: Path, tmp_path: Path, sine_mp3: Path) -> None:
    from .conftest import make_show_root

    other = make_show_root(tmp_path / "other", sine_mp3)
    with pytest.raises(ProductionError, match="2 different folders"):
        publish([show_root / FIRST, other / SECOND], str(tmp_path / "www"), env={})



def test_s3_without_the_extra_says_how_to_install(show_root: Path, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed here")
    with pytest.raises(ProductionError, match=r"pip install 'cbn-perspective\[s3\]'"):
        publish([show_root / FIRST], "s3://bucket/podcast", env={})
