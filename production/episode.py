"""Episode folders: ``episode.toml`` → a validated :class:`Episode`.

Every path in episode.toml resolves relative to the episode folder and must stay inside it
(or inside the toolkit's ``assets/``); symlinks that lead out are refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assets import assets_dir
from .captions.settings import CaptionSettings
from .credits.layout import RollSettings, roll_settings
from .errors import EpisodeError
from .layout import BuildLayout
from .mastering.settings import MasteringSettings
from .settings import load_table, read_toml
from .show import Show, inherit, load_show
from .video.settings import VideoSettings

ASSETS_DIR = assets_dir()
EPISODE_FILE = "episode.toml"
BUILD_DIR = "build"
DEFAULT_SHOW = "CBN Perspective"

ENGINES = ("tts-dtw", "whisper", "auto")
EPISODE_TYPES = ("full", "trailer", "bonus")  # itunes:episodeType values
LOUDNESS_PROFILES = ("podcast", "broadcast", "us-broadcast")
# output file names and feed URLs: what publish accepts (RFC 3986 unreserved, no leading dot)
SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SLUG_HASH_CHARS = 8  # hex digits of sha256 appended to a slug made from an unsafe folder name
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")  # a quoted date with a time (RFC 3339)
# bytes: output names add up to ~30 (".bilingual.ass" plus an atomic write's ".XXXXXXXX.part"), and a
# file name may have 255 (NAME_MAX on ext4, XFS, tmpfs); a longer slug is cut and given a hash
SLUG_MAX_CHARS = 200


@dataclass(frozen=True)
class Episode:
    folder: Path
    slug: str
    title: str
    date: dt.date  # the calendar date as written (in its own UTC offset when a time is given)
    script: Path
    host_audio: Path
    translation: Path | None = None
    show: str = DEFAULT_SHOW
    host: str = ""
    description: str = ""
    engine: str = "tts-dtw"
    whisper_model: str | None = None
    episode_type: str = "full"
    loudness: str = "podcast"
    base_url: str = ""  # where build/ is published; enclosure URLs are base_url + file name
    guid: str = ""  # never changes once published; default derived from show + slug
    cover: Path | None = None
    credits: dict[str, list[str]] | None = None  # overrides the script's credits block
    names_zh: dict[str, str] = field(default_factory=dict)  # person -> Chinese name
    # the settings tables, resolved and validated once by load_episode (defaults where absent)
    captions: CaptionSettings = field(default_factory=CaptionSettings)
    mastering: MasteringSettings = field(default_factory=MasteringSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    credit_roll: RollSettings = field(default_factory=RollSettings)
    explicit: frozenset[str] = frozenset()  # "table.key" for every key a settings table set
    # date = 2026-12-01T09:30:00+08:00: the moment, for the feed's pubDate (None: a plain date)
    published: dt.datetime | None = None
    show_settings: Show | None = None  # the episodes root's show.toml (production/show.py)
    # which audio stream of host_audio holds the voice (0-based), for a recorder's file with several
    host_audio_stream: int | None = None
    # corrections hook (issue 15): hand-written [[chapters]] / [[clips]] (production.corrections)
    chapters: Any = None  # tuple[ChapterMark, ...] | None; None = automatic chapters
    clips: Any = ()  # tuple[ClipMark, ...]

    @property
    def build_dir(self) -> Path:
        return self.folder / BUILD_DIR

    @property
    def layout(self) -> BuildLayout:
        """Every build/ output's path, and which ones this episode has."""
        return BuildLayout(self.build_dir, self.slug, self.translation is not None, self.captions.traditional)


def _fail(key: str, message: str) -> EpisodeError:
    return EpisodeError(f"{EPISODE_FILE}: {key!r} {message}")


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"must be a string in quotes, got {type(value).__name__} {value!r}")
    return value


def _nonempty(key: str, value: Any) -> str:
    text = _string(key, value).strip()
    if not text:
        raise _fail(key, "is empty; give it a value")
    return text


def _date(key: str, value: Any) -> dt.date:
    """A date, or a date with a time and UTC offset (an aware datetime, kept for the feed's pubDate)."""
    if isinstance(value, str) and DATE_TIME.fullmatch(value.strip()):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise _fail(
                key,
                f"= {value.isoformat()} has a time but no UTC offset; add one (e.g. {value.isoformat()}+08:00) "
                "or give just the date",
            )
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(
        key,
        f"must be a date written YYYY-MM-DD (e.g. date = 2026-11-27), or with a time and UTC offset "
        f"(date = 2026-11-27T09:30:00+08:00), got {value!r}",
    )


def _choice(options: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        text = _nonempty(key, value)
        if text not in options:
            raise _fail(key, f"must be one of {', '.join(options)}; got {text!r}")
        return text

    return check


def _table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(key, f"must be a table ([{key}] section), got {type(value).__name__}")
    return dict(value)


def _credits(key: str, value: Any) -> dict[str, list[str]]:
    table = _table(key, value)
    out: dict[str, list[str]] = {}
    for role, names in table.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise _fail(key, f'role {role!r} must list names as strings, e.g. {role!r} = ["LI Yanxia"]')
        out[str(role)] = [n.strip() for n in names]
    return out


def _names_zh(key: str, value: Any) -> dict[str, str]:
    table = _table(key, value)
    for name, zh in table.items():
        _nonempty(f"{key}.{name}", zh)
    return {str(k): str(v).strip() for k, v in table.items()}


def _stream_index(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(key, f"must be a whole number from 0 (the first audio stream), got {value!r}")
    return value


def _chapters(key: str, value: Any) -> Any:  # corrections hook: same validation as corrections.toml
    from .corrections import parse_chapters

    return parse_chapters(value, EPISODE_FILE)


def _clips(key: str, value: Any) -> Any:  # corrections hook
    from .corrections import parse_clips

    return parse_clips(value, EPISODE_FILE)


# key -> (required, validator). Path keys are resolved separately.
FIELDS: dict[str, tuple[bool, Callable[[str, Any], Any]]] = {
    "title": (True, _nonempty),
    "date": (True, _date),
    "script": (True, _nonempty),
    "host_audio": (True, _nonempty),
    "host_audio_stream": (False, _stream_index),
    "translation": (False, _nonempty),
    "show": (False, lambda key, value: same_form(_nonempty(key, value))),
    "host": (False, _string),
    "description": (False, _string),
    "engine": (False, _choice(ENGINES)),
    "whisper_model": (False, _nonempty),
    "episode_type": (False, _choice(EPISODE_TYPES)),
    "loudness": (False, _choice(LOUDNESS_PROFILES)),
    "base_url": (False, _string),
    "guid": (False, lambda key, value: same_form(_string(key, value))),
    "cover": (False, _nonempty),
    "credits": (False, _credits),
    "names_zh": (False, _names_zh),
    "captions": (False, _table),
    "mastering": (False, _table),
    "video": (False, _table),
    "credit_roll": (False, _table),
    "chapters": (False, _chapters),  # corrections hook
    "clips": (False, _clips),  # corrections hook
}
PATH_KEYS = ("script", "host_audio", "translation", "cover")
SETTINGS_TABLES = ("captions", "mastering", "video", "credit_roll")


def same_form(name: str) -> str:
    """``name`` in the one Unicode form used for identity (slugs, guids, show names): NFC.
    macOS (and files made there) spells "é" decomposed (NFD), most other systems composed;
    both are the same visible name (Unicode UAX #15)."""
    return unicodedata.normalize("NFC", name)


def on_disk(path: Path) -> Path:
    """``path`` as spelled on disk: a part that does not exist as written is matched to the one
    entry of its folder with the same visible name in another Unicode normalisation (NFC/NFD)."""
    if os.path.lexists(path) or path.name in ("", ".", ".."):
        return path
    parent = on_disk(path.parent) if path.parent != path else path.parent
    try:
        wanted = same_form(path.name)
        matches = [entry for entry in parent.iterdir() if same_form(entry.name) == wanted]
    except OSError:  # not a folder, unreadable: the caller reports the path as written
        matches = []
    return matches[0] if len(matches) == 1 else parent / path.name


def resolve_inside(folder: Path, key: str, value: str) -> Path:
    """Resolve ``value`` against ``folder``; refuse anything (symlinks included) that leaves it."""
    root = folder.resolve()
    candidate = on_disk(folder / value).resolve()
    for allowed in (root, ASSETS_DIR.resolve()):
        if candidate == allowed or allowed in candidate.parents:
            return candidate
    raise _fail(key, f"= {value!r} points outside the episode folder {folder}; keep the file inside it")


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise EpisodeError(
            f"no {EPISODE_FILE} in {path.parent}: create one with at least title, date, script and host_audio"
        )
    return read_toml(path)


def _validate(raw: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise _fail(unknown[0], f"is not a known key (known: {', '.join(FIELDS)}); remove or rename it")
    missing = [k for k, (required, _) in FIELDS.items() if required and k not in raw]
    if missing:
        raise _fail(missing[0], "is missing; add it (required: title, date, script, host_audio)")
    return {key: FIELDS[key][1](key, value) for key, value in raw.items()}


def _check_file(key: str, path: Path) -> None:
    if not path.exists():
        raise _fail(key, f"names {path.name}, which does not exist in {path.parent}; add the file or fix the name")
    if not path.is_file():
        raise _fail(key, f"names {path}, which is not a file")
    if not os.access(path, os.R_OK):
        raise _fail(key, f"names {path.name}, which cannot be read; fix its permissions (chmod a+r)")


def slug_for(name: str) -> str:
    """The name outputs and URLs use: the folder's name when it is already safe (letters, digits,
    '-', '_', '.'); otherwise its safe ASCII parts joined by '-' plus a short hash of the full
    name, so folders that differ only in other characters never share file names or a guid."""
    name = same_form(name)  # the same visible name typed on macOS (NFD) or elsewhere (NFC)
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:SLUG_HASH_CHARS]
    if SAFE_SLUG.fullmatch(name):
        return name if len(name) <= SLUG_MAX_CHARS else f"{name[: SLUG_MAX_CHARS - SLUG_HASH_CHARS - 1]}-{digest}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    kept = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-._")[: SLUG_MAX_CHARS - SLUG_HASH_CHARS - 1]
    return f"{kept}-{digest}" if kept else f"episode-{digest}"


def load_episode(folder: str | Path, require_audio: bool = True) -> Episode:
    """Read and validate ``folder/episode.toml``.

    ``require_audio=False`` lets the demo load a sample episode before it synthesises the read.
    """
    root = on_disk(Path(folder))
    if not root.is_dir():
        raise EpisodeError(f"episode folder not found: {root}; pass the folder that holds {EPISODE_FILE}")
    values = _validate(_read_toml(root / EPISODE_FILE))
    for key in PATH_KEYS:
        if key in values:
            values[key] = resolve_inside(root, key, values[key])
    for key in ("script", "translation", "cover"):
        if key in values:
            _check_file(key, values[key])
    if require_audio:
        _check_file("host_audio", values["host_audio"])
    if isinstance(values["date"], dt.datetime):
        values["published"] = values["date"]
        values["date"] = values["date"].date()
    show, slug = load_show(root.resolve().parent), slug_for(root.resolve().name)
    values = inherit(show, values, slug)
    tables = {key: values.pop(key, {}) for key in SETTINGS_TABLES}
    explicit = frozenset(f"{table}.{key}" for table, keys in tables.items() for key in keys)
    mastering_base = MasteringSettings(profile=values.get("loudness", "podcast"))
    if values.get("cover"):
        mastering_base = dataclasses.replace(mastering_base, cover=values["cover"])
    return Episode(
        folder=root.resolve(),
        slug=slug,
        show_settings=show,
        captions=load_table(CaptionSettings, "captions", tables["captions"]),
        mastering=load_table(MasteringSettings, "mastering", tables["mastering"], mastering_base),
        video=load_table(VideoSettings, "video", tables["video"]),
        credit_roll=roll_settings(tables["credit_roll"]),
        explicit=explicit,
        **values,
    )
