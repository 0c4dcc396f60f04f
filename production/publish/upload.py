"""`perspective publish`: send episodes' build/ files, the show's cover and feed.xml to a destination.

Destinations (through fsspec): a local folder (``/srv/podcast`` or ``file:///srv/podcast``), SFTP
(``sftp://user@host:port/srv/podcast``, paramiko) and S3-compatible storage
(``s3://bucket/prefix``, s3fs, the ``s3`` extra). The destination mirrors ``base_url``::

    feed.xml   cover.png   <slug>/<build files>   .perspective-publish.json

The last file is the destination's manifest: the sha256 and size of every file sent. A file is
sent only when its sha256 differs from the manifest's (or the destination lacks it), each to a
hidden ``.<name>.part`` first and then renamed into place, the manifest rewritten after each file,
and the feed last; so a feed at the destination never names a file the destination lacks, and a
run that was killed resumes where it stopped.

Credentials never come from episode files or --to: SFTP uses the user's ssh-agent, keys and
~/.ssh/config, or PERSPECTIVE_SSH_KEY / PERSPECTIVE_SFTP_PASSWORD; S3 uses the AWS variables or
~/.aws files (AWS_ENDPOINT_URL for other S3-compatible services). They never appear in logs or
errors. Details: docs/publishing.md.
"""

from __future__ import annotations

import fnmatch
import getpass
import hashlib
import json
import logging
import os
import posixpath
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..episode import Episode, load_episode
from ..errors import ProductionError
from ..show import FEED_FILE, Show, load_show
from .channel import build_feed
from .inputs import MANIFEST_FILE
from .manifest import sha256_file
from .rules import Resolver, check_feed

log = logging.getLogger(__name__)

REMOTE_MANIFEST = ".perspective-publish.json"  # the destination's record of what it holds
REMOTE_MANIFEST_VERSION = 1
CHUNK_BYTES = 1 << 20  # 1 MiB per write: constant memory, progress during long files
SSH_TIMEOUT_S = 20.0  # connect/banner/auth timeout: a wrong host fails in seconds, not minutes
# environment variables read for credentials (never logged, never in episode files)
ENV_SSH_KEY = "PERSPECTIVE_SSH_KEY"
ENV_SFTP_PASSWORD = "PERSPECTIVE_SFTP_PASSWORD"
ENV_KNOWN_HOSTS = "PERSPECTIVE_SSH_KNOWN_HOSTS"
ENV_SSH_CONFIG = "PERSPECTIVE_SSH_CONFIG"

# (remote name, bytes sent so far, file size); sent == size once, after the file is in place
Progress = Callable[[str, int, int], None]


class PublishError(ProductionError):
    """The upload cannot start or cannot go on; the destination keeps a consistent state."""


@dataclass(frozen=True)
class Destination:
    fs: Any  # an fsspec filesystem
    root: str  # the destination folder in the filesystem's own path form
    label: str  # how messages name it (never with a password)
    secrets: tuple[str, ...] = ()  # values scrubbed from any error text

    def path(self, rel: str) -> str:
        return posixpath.join(self.root, rel) if self.root else rel

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        client = getattr(self.fs, "client", None)
        if client is not None:
            client.close()


@dataclass(frozen=True)
class LocalFile:
    rel: str  # path under the destination root, "/"-separated
    path: Path
    sha256: str
    size: int


@dataclass
class PublishReport:
    destination: str
    sent: list[str] = field(default_factory=list)  # in the order sent; the feed last
    unchanged: list[str] = field(default_factory=list)
    episodes: list[str] = field(default_factory=list)  # slugs the published feed lists

    @property
    def summary(self) -> str:
        return f"sent {len(self.sent)} file(s), {len(self.unchanged)} unchanged; feed lists {len(self.episodes)}"


# ---------------------------------------------------------------- destinations
def open_destination(to: str, env: Mapping[str, str] | None = None) -> Destination:
    """An fsspec filesystem for ``--to``; credentials from ``env`` (default: os.environ)."""
    env = os.environ if env is None else env
    parsed = urllib.parse.urlsplit(to)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        return _local(Path(parsed.path if scheme == "file" else to))
    if parsed.password is not None:
        raise PublishError(
            f"--to {scheme}://… carries a password: remove it and put it in {ENV_SFTP_PASSWORD} "
            "(or use a key) so it never lands in shell history or logs"
        )
    if scheme in ("sftp", "ssh"):
        return _sftp(parsed, env)
    if scheme == "s3":
        return _s3(parsed)
    raise PublishError(f"--to {scheme}://… is not supported: use a folder, sftp://user@host/path or s3://bucket/path")


def _local(folder: Path) -> Destination:
    from fsspec.implementations.local import LocalFileSystem

    folder = folder.expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PublishError(f"cannot create {folder}: {err.strerror or err}; check the path and permissions") from err
    return Destination(LocalFileSystem(), folder.as_posix(), str(folder))


def _ssh_config(env: Mapping[str, str], host: str) -> dict[str, Any]:
    import paramiko

    path = Path(env.get(ENV_SSH_CONFIG) or Path.home() / ".ssh" / "config").expanduser()
    if not path.is_file():
        return {}
    try:
        return dict(paramiko.SSHConfig.from_path(str(path)).lookup(host))
    except (OSError, ValueError, paramiko.SSHException) as err:
        raise PublishError(f"cannot read the ssh config {path} ({err}); fix it or set {ENV_SSH_CONFIG}") from err


def _known_hosts_policy(files: Sequence[Path]) -> Any:
    import paramiko

    class KnownHostsOnly(paramiko.MissingHostKeyPolicy):
        """Accept a server only when its key is in the user's known_hosts (never trust on first use)."""

        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            for path in files:
                if path.is_file():
                    try:
                        known = paramiko.HostKeys(str(path))
                    except (OSError, paramiko.SSHException):
                        continue
                    if known.check(hostname, key):
                        return
            raise PublishError(
                f"the SSH host key of {hostname} is not in {', '.join(str(f) for f in files)}: "
                f"check it and add it (ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts), or set {ENV_KNOWN_HOSTS}"
            )

    return KnownHostsOnly()


def _sftp(parsed: urllib.parse.SplitResult, env: Mapping[str, str]) -> Destination:
    import paramiko
    from fsspec.implementations.sftp import SFTPFileSystem

    alias = parsed.hostname or ""
    if not alias:
        raise PublishError("--to sftp://… names no host: write sftp://user@host:port/path/on/server")
    config = _ssh_config(env, alias)
    host = str(config.get("hostname") or alias)
    port = parsed.port or int(config.get("port") or 22)
    user = parsed.username or str(config.get("user") or getpass.getuser())
    key = env.get(ENV_SSH_KEY) or None
    keys = [key] if key else [str(Path(k).expanduser()) for k in config.get("identityfile", [])]
    password = env.get(ENV_SFTP_PASSWORD) or None
    known = env.get(ENV_KNOWN_HOSTS) or " ".join(config.get("userknownhostsfile", "").split()[:1])
    known_files = [Path(known or Path.home() / ".ssh" / "known_hosts").expanduser()]
    label = f"sftp://{user}@{host}:{port}{parsed.path}"
    try:
        fs = SFTPFileSystem(
            host,
            port=port,
            username=user,
            key_filename=keys or None,
            password=password,
            look_for_keys=not keys,
            allow_agent=True,
            timeout=SSH_TIMEOUT_S,
            banner_timeout=SSH_TIMEOUT_S,
            auth_timeout=SSH_TIMEOUT_S,
            host_key_policy=_known_hosts_policy(known_files),
            skip_instance_cache=True,
        )
    except PublishError:
        raise
    except paramiko.AuthenticationException as err:
        raise PublishError(
            f"{label}: login refused ({type(err).__name__}); load your key into ssh-agent, "
            f"or set {ENV_SSH_KEY} (a key file) or {ENV_SFTP_PASSWORD}"
        ) from None
    except (OSError, paramiko.SSHException, EOFError) as err:
        raise PublishError(f"{label}: cannot connect ({_safe(err, password)}); check host, port and network") from None
    root = parsed.path or "."
    return Destination(fs, root, label, tuple(s for s in (password,) if s))


def _s3(parsed: urllib.parse.SplitResult) -> Destination:
    try:
        import s3fs
    except ImportError:
        raise PublishError(
            "S3 destinations need the s3 extra: pip install 'cbn-perspective[s3]' (then run publish again)"
        ) from None
    if not parsed.netloc:
        raise PublishError("--to s3://… names no bucket: write s3://bucket/path")
    fs = s3fs.S3FileSystem(skip_instance_cache=True)  # credentials and endpoint: AWS_* / ~/.aws
    root = posixpath.join(parsed.netloc, parsed.path.lstrip("/")).rstrip("/")
    return Destination(fs, root, f"s3://{root}")


def _safe(err: BaseException, *secrets: str | None) -> str:
    text = f"{type(err).__name__}: {err}"
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


# ---------------------------------------------------------------- what to send
def _episodes(folders: Sequence[Path]) -> tuple[Path, list[Episode]]:
    if not folders:
        raise PublishError("name at least one episode folder to publish")
    episodes = [load_episode(f, require_audio=False) for f in folders]
    roots = {e.folder.parent for e in episodes}
    if len(roots) > 1:
        raise PublishError(
            f"the episodes live under {len(roots)} different folders: publish each episodes root (with its "
            "show.toml) separately"
        )
    return roots.pop(), episodes


def _files_of(show: Show, slugs: Sequence[str]) -> list[LocalFile]:
    out = []
    for slug in slugs:
        build = show.root / slug / "build"
        doc = json.loads((build / MANIFEST_FILE).read_text(encoding="utf-8"))
        for entry in doc["files"]:  # verified against build/ when the feed was built
            name = str(entry["name"])
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in show.publish_exclude):
                continue
            out.append(LocalFile(f"{slug}/{name}", build / name, str(entry["sha256"]), int(entry["bytes"])))
        manifest = build / MANIFEST_FILE
        out.append(LocalFile(f"{slug}/{MANIFEST_FILE}", manifest, sha256_file(manifest), manifest.stat().st_size))
    if show.cover is not None:
        out.append(LocalFile(show.cover.name, show.cover, sha256_file(show.cover), show.cover.stat().st_size))
    return out


# ---------------------------------------------------------------- the destination's manifest
def read_remote_manifest(dest: Destination) -> dict[str, Any]:
    try:
        doc = json.loads(dest.fs.cat_file(dest.path(REMOTE_MANIFEST)))
    except FileNotFoundError:
        return {"files": {}, "episodes": []}
    except (ValueError, UnicodeDecodeError):
        log.warning("%s at %s is unreadable: every file is sent again", REMOTE_MANIFEST, dest.label)
        return {"files": {}, "episodes": []}
    except Exception as err:  # fsspec backends raise their own types
        raise PublishError(f"{dest.label}: cannot read {REMOTE_MANIFEST} ({dest.scrub(_safe(err))})") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    episodes = doc.get("episodes") if isinstance(doc, dict) else None
    return {
        "files": files if isinstance(files, dict) else {},
        "episodes": [str(e) for e in episodes] if isinstance(episodes, list) else [],
    }


def _write_remote_manifest(dest: Destination, doc: Mapping[str, Any]) -> None:
    body = json.dumps({"version": REMOTE_MANIFEST_VERSION, **doc}, indent=1, sort_keys=True).encode()
    tmp = dest.path(f".{REMOTE_MANIFEST}.part")
    dest.fs.pipe_file(tmp, body)
    dest.fs.mv(tmp, dest.path(REMOTE_MANIFEST))


def _remote_sizes(dest: Destination, folders: set[str]) -> dict[str, int]:
    """rel path -> size of what the destination holds, one listing per folder."""
    sizes: dict[str, int] = {}
    for folder in sorted(folders):
        try:
            listing = dest.fs.ls(dest.path(folder) if folder else dest.root or ".", detail=True)
        except FileNotFoundError:
            continue
        for entry in listing:
            if entry.get("type") == "file":
                name = posixpath.basename(str(entry["name"]).rstrip("/"))
                sizes[posixpath.join(folder, name) if folder else name] = int(entry.get("size") or 0)
    return sizes


def _send(dest: Destination, rel: str, source: Path | bytes, size: int, progress: Progress | None) -> None:
    """Copy to a hidden .part beside the target, then rename it into place (atomic where the
    backend renames atomically: local folders and SFTP's posix-rename)."""
    folder, name = posixpath.split(rel)
    target = dest.path(rel)
    tmp = dest.path(posixpath.join(folder, f".{name}.part"))
    if folder:
        dest.fs.makedirs(dest.path(folder), exist_ok=True)
    sent = 0
    with dest.fs.open(tmp, "wb") as out:
        if isinstance(source, bytes):
            out.write(source)
            sent = len(source)
        else:
            with open(source, "rb") as src:
                while chunk := src.read(CHUNK_BYTES):
                    out.write(chunk)
                    sent += len(chunk)
                    if progress and sent < size:
                        progress(rel, sent, size)
    dest.fs.mv(tmp, target)
    if progress:
        progress(rel, sent, size)


# ---------------------------------------------------------------- publish
def publish(
    folders: Sequence[str | Path],
    to: str,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> PublishReport:
    """Send the episodes (and every episode the destination's feed already lists) and the feed."""
    root, episodes = _episodes([Path(f) for f in folders])
    show = load_show(root)
    dest = open_destination(to, env)
    try:
        return _publish(dest, show, [e.slug for e in episodes], progress)
    except ProductionError:
        raise
    except Exception as err:  # a backend's own error mid-upload: one line, secrets scrubbed
        raise PublishError(
            f"{dest.label}: upload stopped ({dest.scrub(_safe(err))}); run publish again to resume"
        ) from None
    finally:
        dest.close()


def _publish(dest: Destination, show: Show, named: list[str], progress: Progress | None) -> PublishReport:
    remote = read_remote_manifest(dest)
    listed = sorted(set(named) | set(remote["episodes"]))
    missing = [s for s in listed if not (show.root / s / "build" / MANIFEST_FILE).is_file()]
    if missing:
        raise PublishError(
            f"{dest.label} already lists episode {missing[0]}, but {show.root / missing[0]} has no produced build: "
            "produce it again (the feed must keep listing it)"
        )
    feed = build_feed(show.root, listed).encode("utf-8")
    problems = check_feed(feed, Resolver(show))
    if problems:
        more = f" (and {len(problems) - 1} more; run perspective check)" if len(problems) > 1 else ""
        raise PublishError(f"the feed fails {problems[0]}{more}; nothing was sent")
    files = _files_of(show, listed)
    _check_feed_names(show, feed, {f.rel for f in files})
    known: dict[str, Any] = dict(remote["files"])
    sizes = _remote_sizes(dest, {posixpath.dirname(f.rel) for f in files} | {""})
    report = PublishReport(dest.label, episodes=listed)
    for f in files:
        entry = known.get(f.rel) or {}
        if entry.get("sha256") == f.sha256 and sizes.get(f.rel) == f.size:
            report.unchanged.append(f.rel)
            continue
        _send(dest, f.rel, f.path, f.size, progress)
        known[f.rel] = {"sha256": f.sha256, "bytes": f.size}
        _write_remote_manifest(dest, {"files": known, "episodes": remote["episodes"]})
        report.sent.append(f.rel)
    feed_sha = hashlib.sha256(feed).hexdigest()
    feed_current = (known.get(FEED_FILE) or {}).get("sha256") == feed_sha and sizes.get(FEED_FILE) == len(feed)
    if report.sent or not feed_current or remote["episodes"] != listed:
        # re-sent whenever an episode file changed, so apps polling by Last-Modified see the update
        _send(dest, FEED_FILE, feed, len(feed), progress)
        known[FEED_FILE] = {"sha256": feed_sha, "bytes": len(feed)}
        _write_remote_manifest(dest, {"files": known, "episodes": listed})
        report.sent.append(FEED_FILE)
    else:
        report.unchanged.append(FEED_FILE)
    return report


def _check_feed_names(show: Show, feed: bytes, sending: set[str]) -> None:
    """Every file the feed names must be among the files sent (publish_exclude may not hide one)."""
    import xml.etree.ElementTree as ET

    from .rules import feed_urls

    base = show.base_url.rstrip("/") + "/"
    for where, url in feed_urls(ET.fromstring(feed)):
        rel = urllib.parse.unquote(url[len(base) :]) if url.startswith(base) else ""
        if "link" not in where and rel not in sending:
            raise PublishError(
                f"the feed's {where} names {url}, which publish would not send: "
                "remove its pattern from publish_exclude in show.toml"
            )


def write_feed(root: str | Path, output: str | Path) -> Path:
    """`perspective feed`: build the channel, refuse it if a rule fails, write it atomically."""
    from ..fsutil import write_text

    show = load_show(root)
    text = build_feed(root)
    problems = check_feed(text, Resolver(show))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PublishError(f"the feed fails {problems[0]}{more}; {output} was not written")
    return write_text(output, text)
