"""Show settings: ``show.toml`` at the episodes root, read once and inherited by every episode.

Layout::

    episodes/
      show.toml            <- the show (this module)
      cover.png            <- paths in show.toml are relative to this folder
      2026-11-27-battery-passport/
        episode.toml       <- may override show, host, base_url, cover, credits

A missing show.toml is the default show (``DEFAULT_TITLE``, no URLs): episodes still produce,
but ``perspective feed`` and ``publish`` need at least ``base_url``. Validation works like
episode.toml's: an unknown key or a value of the wrong type is one EpisodeError naming
``show.toml`` and the key. Tag sources: docs/publishing.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assets import assets_dir
from .errors import EpisodeError
from .settings import read_toml

SHOW_FILE = "show.toml"
DEFAULT_TITLE = "CBN Perspective"
SHOW_TYPES = ("episodic", "serial")  # itunes:type values (Apple Podcasts RSS requirements)
# Podcasting 2.0 <podcast:guid>: UUIDv5 of the feed URL (scheme and trailing slashes removed)
# under this namespace (podcast-namespace docs/1.0.md#guid)
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
ASSETS_DIR = assets_dir()  # the toolkit's own artwork may be used
FEED_FILE = "feed.xml"  # the channel feed's name at the destination (URL: base_url + this)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^/\s\"'<>]+(/[^\s\"'<>]*)?")


@dataclass(frozen=True)
class Show:
    """What the channel says about the show; episodes inherit title, host, base_url, cover, credits."""

    root: Path  # the episodes root (the folder that holds show.toml)
    title: str = DEFAULT_TITLE
    title_zh: str = ""
    description: str = ""  # channel <description> (required by RSS 2.0)
    link: str = ""  # the show's website; "" = base_url
    base_url: str = ""  # public URL of the destination root: base_url/feed.xml, base_url/<slug>/…
    cover: Path | None = None  # square PNG/JPEG 1400–3000 px; published as base_url/<name>
    author: str = ""  # itunes:author
    owner_name: str = ""  # itunes:owner
    owner_email: str = ""
    language: str = "en"  # channel <language> (ISO 639)
    categories: tuple[str, ...] = ()  # Apple categories: "Business" or "Business/Management"
    explicit: bool = False
    copyright: str = ""  # channel <copyright> and the MP3's TCOP
    podcast_guid: str = ""  # "" = UUIDv5 of the feed URL (Podcasting 2.0)
    locked: bool = False  # <podcast:locked>: true = other hosts may not import the feed
    show_type: str = "episodic"  # itunes:type
    host: str = ""  # default host (the MP3's TPE1 when neither episode.toml nor credits name one)
    credits: dict[str, list[str]] | None = None  # standing credits: used when episode.toml has none
    # build/ files `publish` keeps in-house (fnmatch patterns): the WAV master, the review page
    publish_exclude: tuple[str, ...] = ("*.wav", "review.html")
    present: bool = False  # whether show.toml exists

    @property
    def feed_url(self) -> str:
        return join_url(self.base_url, FEED_FILE) if self.base_url else ""

    @property
    def effective_podcast_guid(self) -> str:
        if self.podcast_guid:
            return self.podcast_guid
        if not self.feed_url:
            return ""
        bare = re.sub(r"^[a-z]+://", "", self.feed_url).rstrip("/")
        return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))

    def episode_base_url(self, slug: str) -> str:
        return join_url(self.base_url, slug) + "/" if self.base_url else ""

    def cover_url(self) -> str:
        return join_url(self.base_url, self.cover.name) if self.base_url and self.cover else ""


def join_url(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def _fail(key: str, message: str) -> EpisodeError:
    return EpisodeError(f"{SHOW_FILE}: {key!r} {message}")


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"must be a string in quotes, got {type(value).__name__} {value!r}")
    return value.strip()


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"must be true or false (no quotes), got {value!r}")
    return value


def _url(key: str, value: Any) -> str:
    text = _string(key, value)
    if text and not _URL.fullmatch(text):
        raise _fail(key, f"= {text!r} is not a plain http(s) URL; write e.g. 'https://media.example.com/podcast/'")
    return text


def _email(key: str, value: Any) -> str:
    text = _string(key, value)
    if text and not _EMAIL.fullmatch(text):
        raise _fail(key, f"= {text!r} is not an e-mail address; write e.g. 'podcast@example.com'")
    return text


def _categories(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(c, str) and c.strip() for c in items):
        raise _fail(key, 'must list Apple categories as strings, e.g. ["News/Business News", "Business"]')
    for c in items:
        if c.count("/") > 1:
            raise _fail(key, f"entry {c!r} has more than one '/': write 'Category' or 'Category/Subcategory'")
    return tuple(c.strip() for c in items)


def _show_type(key: str, value: Any) -> str:
    text = _string(key, value)
    if text not in SHOW_TYPES:
        raise _fail(key, f"must be one of {', '.join(SHOW_TYPES)}; got {text!r}")
    return text


def _owner(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(key, 'must be a table: [owner] with name = "…" and email = "…"')
    unknown = sorted(set(value) - {"name", "email"})
    if unknown:
        raise _fail(f"{key}.{unknown[0]}", "is not a known key (known: name, email); remove or rename it")
    name = _string(f"{key}.name", value.get("name", ""))
    return {"name": name, "email": _email(f"{key}.email", value.get("email", ""))}


def _credits(key: str, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise _fail(key, f"must be a table ([{key}] section), got {type(value).__name__}")
    out: dict[str, list[str]] = {}
    for role, names in value.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise _fail(key, f'role {role!r} must list names as strings, e.g. {role!r} = ["LI Yanxia"]')
        out[str(role)] = [n.strip() for n in names]
    return out


def _patterns(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise _fail(key, 'must list file-name patterns as strings, e.g. ["*.wav", "review.html"]')
    return tuple(p.strip() for p in value)


# show.toml key -> (Show field, validator)
FIELDS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "title": ("title", _string),
    "title_zh": ("title_zh", _string),
    "description": ("description", _string),
    "link": ("link", _url),
    "base_url": ("base_url", _url),
    "cover": ("cover", _string),
    "author": ("author", _string),
    "owner": ("owner", _owner),
    "language": ("language", _string),
    "categories": ("categories", _categories),
    "explicit": ("explicit", _bool),
    "copyright": ("copyright", _string),
    "podcast_guid": ("podcast_guid", _string),
    "locked": ("locked", _bool),
    "type": ("show_type", _show_type),
    "host": ("host", _string),
    "credits": ("credits", _credits),
    "publish_exclude": ("publish_exclude", _patterns),
}


def load_show(root: str | Path) -> Show:
    """The show of the episodes root ``root``: its show.toml validated, or the default show."""
    folder = Path(root).resolve()
    path = folder / SHOW_FILE
    if not path.is_file():
        return Show(root=folder)
    raw = read_toml(path)
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise _fail(unknown[0], f"is not a known key (known: {', '.join(FIELDS)}); remove or rename it")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name, check = FIELDS[key]
        values[name] = check(key, value)
    owner = values.pop("owner", {})
    values["owner_name"], values["owner_email"] = owner.get("name", ""), owner.get("email", "")
    if "title" in values and not values["title"]:
        raise _fail("title", "is empty; give the show's name")
    if values.get("cover"):
        values["cover"] = _cover_path(folder, values["cover"])
    else:
        values.pop("cover", None)
    return Show(root=folder, present=True, **values)


def _cover_path(folder: Path, value: str) -> Path:
    path = (folder / value).resolve()
    if not any(allowed in path.parents for allowed in (folder, ASSETS_DIR.resolve())):
        raise _fail("cover", f"= {value!r} points outside {folder}; keep the cover beside show.toml")
    if not path.is_file():
        raise _fail("cover", f"names {value}, which does not exist in {folder}; add the image or fix the name")
    return path


def inherit(show: Show, values: dict[str, Any], slug: str) -> dict[str, Any]:
    """episode.toml's validated ``values`` with the show's defaults filled in where it says nothing.

    The host is not filled in here: the MP3's artist comes from episode.toml, else the credits'
    Host, else the show (production/tags.py ``tag_host``), and only the credits know the middle one.
    """
    out = dict(values)
    if "show" not in out and show.present:
        out["show"] = show.title
    if not out.get("base_url") and show.base_url:
        out["base_url"] = show.episode_base_url(slug)
    if "cover" not in out and show.cover is not None:
        out["cover"] = show.cover
    if "credits" not in out and show.credits:
        out["credits"] = dict(show.credits)
    return out
