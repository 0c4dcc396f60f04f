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
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EpisodeError

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
EPISODE_FILE = "episode.toml"
BUILD_DIR = "build"
DEFAULT_SHOW = "CBN Perspective"

ENGINES = ("tts-dtw", "whisper", "auto")
EPISODE_TYPES = ("full", "trailer", "bonus")  # itunes:episodeType values
LOUDNESS_PROFILES = ("podcast", "broadcast", "us-broadcast")
# output file names and feed URLs: what publish accepts (RFC 3986 unreserved, no leading dot)
SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SLUG_HASH_CHARS = 8  # hex digits of sha256 appended to a slug made from an unsafe folder name


@dataclass(frozen=True)
class Episode:
    folder: Path
    slug: str
    title: str
    date: dt.date
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
    captions: dict[str, Any] = field(default_factory=dict)  # CaptionSettings overrides
    mastering: dict[str, Any] = field(default_factory=dict)  # MasteringSettings overrides
    video: dict[str, Any] = field(default_factory=dict)  # VideoSettings overrides
    credit_roll: dict[str, Any] = field(default_factory=dict)  # RollSettings overrides
    # corrections hook (issue 15): hand-written [[chapters]] / [[clips]] (production.corrections)
    chapters: Any = None  # tuple[ChapterMark, ...] | None; None = automatic chapters
    clips: Any = ()  # tuple[ClipMark, ...]

    @property
    def build_dir(self) -> Path:
        return self.folder / BUILD_DIR


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
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(key, f"must be a date written YYYY-MM-DD (e.g. date = 2026-11-27), got {value!r}")


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
    "translation": (False, _nonempty),
    "show": (False, _nonempty),
    "host": (False, _string),
    "description": (False, _string),
    "engine": (False, _choice(ENGINES)),
    "whisper_model": (False, _nonempty),
    "episode_type": (False, _choice(EPISODE_TYPES)),
    "loudness": (False, _choice(LOUDNESS_PROFILES)),
    "base_url": (False, _string),
    "guid": (False, _string),
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


def resolve_inside(folder: Path, key: str, value: str) -> Path:
    """Resolve ``value`` against ``folder``; refuse anything (symlinks included) that leaves it."""
    root = folder.resolve()
    candidate = (folder / value).resolve()
    for allowed in (root, ASSETS_DIR.resolve()):
        if candidate == allowed or allowed in candidate.parents:
            return candidate
    raise _fail(key, f"= {value!r} points outside the episode folder {folder}; keep the file inside it")


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise EpisodeError(
            f"no {EPISODE_FILE} in {path.parent}: create one with at least title, date, script and host_audio"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise EpisodeError(f"{path} is not UTF-8 text ({err.reason}); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise EpisodeError(f"{path} is not valid TOML: {err}; fix that line") from err
    except OSError as err:
        raise EpisodeError(f"cannot read {path}: {err.strerror or err}; check its permissions") from err


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
    if SAFE_SLUG.fullmatch(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    kept = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-._")
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:SLUG_HASH_CHARS]
    return f"{kept}-{digest}" if kept else f"episode-{digest}"


_SETTING_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string in quotes"}


def _setting_type(cls: Any, name: str) -> type | None:
    """bool/int/float/str when the field's default is one of those (what TOML can check), else None."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    default = f.default if f.default is not dataclasses.MISSING else None
    return type(default) if type(default) in _SETTING_WORDS else None


def _fits(value: Any, expected: type) -> bool:
    if isinstance(value, bool) or expected is bool:
        return isinstance(value, bool) and expected is bool
    return isinstance(value, expected) or (expected is float and isinstance(value, int))


def table_settings(cls: Any, table: str, overrides: dict[str, Any]) -> Any:
    """``cls(**overrides)`` for an episode.toml settings table (``[captions]``, ``[video]`` …):
    an EpisodeError naming the table and key for an unknown key or a value of the wrong type."""
    known = sorted(f.name for f in dataclasses.fields(cls))
    for key, value in overrides.items():
        if key not in known:
            raise EpisodeError(f"{EPISODE_FILE} [{table}] has unknown key {key!r}: use one of {', '.join(known)}")
        expected = _setting_type(cls, key)
        if expected is not None and not _fits(value, expected):
            raise EpisodeError(
                f"{EPISODE_FILE} [{table}] {key} must be {_SETTING_WORDS[expected]}, not {value!r}: fix it"
            )
    try:
        return cls(**overrides)
    except (TypeError, ValueError) as err:
        raise EpisodeError(f"{EPISODE_FILE} [{table}]: {err}; fix that value") from err


def load_episode(folder: str | Path, require_audio: bool = True) -> Episode:
    """Read and validate ``folder/episode.toml``.

    ``require_audio=False`` lets the demo load a sample episode before it synthesises the read.
    """
    root = Path(folder)
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
    return Episode(folder=root.resolve(), slug=slug_for(root.resolve().name), **values)
