"""One loader for every episode.toml settings table (``[captions]``, ``[mastering]``, ``[video]``,
``[credit_roll]``): unknown keys, wrong types and impossible values become one EpisodeError that
names the table and key. ``load_episode`` runs it once per table; the stages use the result."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .errors import EpisodeError, ProductionError

EPISODE_FILE = "episode.toml"
T = TypeVar("T")

_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string in quotes"}


def _expected(base: Any, name: str) -> type | None:
    """bool/int/float/str when the field's current value is one of those (what TOML can check)."""
    value = getattr(base, name)
    return type(value) if type(value) in _WORDS else None


def _checked(where: str, key: str, value: Any, expected: type | None, error: type[ProductionError]) -> Any:
    if expected is None:
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise error(f"{where} {key} must be {_WORDS[expected]}, not {value!r}: fix it")
    return value


def load_table(
    cls: type[T],
    table: str,
    values: Mapping[str, Any] | None,
    base: T | None = None,
    problems: Callable[[T], Iterable[str]] | None = None,
    *,
    where: str | None = None,
    error: type[ProductionError] = EpisodeError,
) -> T:
    """``base`` (default ``cls()``) with the table's ``values``; an EpisodeError naming the table
    and key for an unknown key, a value of the wrong type, or a value ``cls`` or ``problems``
    (a function listing what is impossible about the result) refuses.

    ``where`` and ``error`` serve settings that come from elsewhere than episode.toml (an
    engine's keyword arguments): the messages start with ``where``, raised as ``error``."""
    where = where or f"{EPISODE_FILE} [{table}]"
    start: Any = base if base is not None else cls()
    known = sorted(f.name for f in dataclasses.fields(start))
    checked: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if key not in known:
            raise error(f"{where} has unknown key {key!r}: use one of {', '.join(known)}")
        checked[key] = _checked(where, key, value, _expected(start, key), error)
    try:
        result: T = dataclasses.replace(start, **checked)
    except (TypeError, ValueError, ProductionError) as err:
        raise error(f"{where}: {err}; fix that value") from err
    for problem in problems(result) if problems else ():
        raise error(f"{where}: {problem}; fix that key")
    return result


def read_toml(path: Path) -> dict[str, Any]:
    """A settings file (episode.toml, show.toml) as a table; one clear EpisodeError if it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise EpisodeError(f"{path} is not UTF-8 text ({err.reason}); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise EpisodeError(f"{path} is not valid TOML: {err}; fix that line") from err
    except OSError as err:
        raise EpisodeError(f"cannot read {path}: {err.strerror or err}; check its permissions") from err
