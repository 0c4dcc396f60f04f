"""One loader for every episode.toml settings table (``[captions]``, ``[mastering]``, ``[video]``,
``[credit_roll]``): unknown keys, wrong types and impossible values become one EpisodeError that
names the table and key. ``load_episode`` runs it once per table; the stages use the result."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from .errors import EpisodeError, ProductionError

EPISODE_FILE = "episode.toml"
T = TypeVar("T")

_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string in quotes"}


def _expected(base: Any, name: str) -> type | None:
    """bool/int/float/str when the field's current value is one of those (what TOML can check)."""
    value = getattr(base, name)
    return type(value) if type(value) in _WORDS else None


def _checked(table: str, key: str, value: Any, expected: type | None) -> Any:
    if expected is None:
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise EpisodeError(f"{EPISODE_FILE} [{table}] {key} must be {_WORDS[expected]}, not {value!r}: fix it")
    return value


def load_table(
    cls: type[T],
    table: str,
    values: Mapping[str, Any] | None,
    base: T | None = None,
    problems: Callable[[T], Iterable[str]] | None = None,
) -> T:
    """``base`` (default ``cls()``) with the table's ``values``; an EpisodeError naming the table
    and key for an unknown key, a value of the wrong type, or a value ``cls`` or ``problems``
    (a function listing what is impossible about the result) refuses."""
    start: Any = base if base is not None else cls()
    known = sorted(f.name for f in dataclasses.fields(start))
    checked: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if key not in known:
            raise EpisodeError(f"{EPISODE_FILE} [{table}] has unknown key {key!r}: use one of {', '.join(known)}")
        checked[key] = _checked(table, key, value, _expected(start, key))
    try:
        result: T = dataclasses.replace(start, **checked)
    except (TypeError, ValueError, ProductionError) as err:
        raise EpisodeError(f"{EPISODE_FILE} [{table}]: {err}; fix that value") from err
    for problem in problems(result) if problems else ():
        raise EpisodeError(f"{EPISODE_FILE} [{table}]: {problem}; fix that key")
    return result
