"""Credits (from the script or episode.toml) -> a checked, bilingual CreditRoll.

Names are kept exactly as written (never reordered or re-capitalised); every change made to
the input (a split at "and", a merged duplicate role, an empty name removed) is reported in
``CreditRoll.warnings`` so nothing disappears silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EpisodeError, ScriptError
from ..models import Credit
from .roles import RoleInfo, load_roles, role_key

PODCAST_PERSON_MAX_CHARS = 128  # Podcasting 2.0 <podcast:person>: "do not exceed 128 characters"
_AND_INSIDE = re.compile(r"\s+(?:and|&)\s+")  # "A and B", "A & B"
_AND_LEADING = re.compile(r"^(?:and|&)\s+")  # "and C" left by "A, B, and C"
_FIX_HINT = "fix the script's credits block or list them under [credits] in episode.toml"


@dataclass(frozen=True)
class RollEntry:
    role_en: str  # as first written (whitespace tidied)
    role_zh: str | None  # None: role unknown to the role table, shown in English only
    names: tuple[str, ...]  # as written, in order
    names_zh: tuple[str | None, ...]  # Chinese name per name, None where not given
    taxonomy_role: str | None = None  # Podcast Taxonomy Project role (lower case)
    taxonomy_group: str | None = None  # its group


@dataclass(frozen=True)
class CreditRoll:
    entries: tuple[RollEntry, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def people(self) -> int:
        """Credited people, counted once per role (a person with three roles counts three times)."""
        return sum(len(entry.names) for entry in self.entries)


@dataclass
class _Draft:
    role_en: str
    names: list[str]


def credits_from_table(table: Any) -> tuple[Credit, ...]:
    """episode.toml ``[credits]`` (``{"Editor" = ["LI Yanxia"], …}``) -> Credits in table order."""
    if not isinstance(table, Mapping):
        raise EpisodeError(
            "episode.toml [credits] must be a table of role = [names], "
            f"not {type(table).__name__}: "
            'write it as [credits] then Editor = ["LI Yanxia"]'
        )
    return tuple(_credit_from_row(role, names) for role, names in table.items())


def _credit_from_row(role: Any, names: Any) -> Credit:
    if not isinstance(role, str) or not role.strip():
        raise EpisodeError(
            'episode.toml [credits] has an empty role name: write "Role" = ["Name", …]'
        )
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise EpisodeError(
            f"episode.toml [credits] {role!r} must be a list of names (strings), not "
            f'{type(names).__name__}: write {role} = ["Name", …]'
        )
    if not any(n.strip() for n in names):
        raise EpisodeError(
            f"episode.toml [credits] {role!r} has no names: add at least one or remove the role"
        )
    if not all(n.strip() for n in names):
        raise EpisodeError(
            f"episode.toml [credits] {role!r} has an empty name: remove the empty string"
        )
    return Credit(role=role, names=tuple(names))


def build_credit_roll(
    credits: Iterable[Credit],
    names_zh: Mapping[str, str] | None = None,
    roles_path: Path | None = None,
    *,
    split_and: bool = True,
) -> CreditRoll:
    """Credits in script order -> CreditRoll with Chinese roles, taxonomy roles and warnings.

    ``split_and=False`` keeps names such as "Tom and Jerry" whole (use it when the names were
    given one by one, e.g. as a list in episode.toml).
    """
    roles = load_roles(roles_path)
    warnings: list[str] = []
    drafts = _merge_credits(credits, roles, split_and, warnings)
    if not drafts:
        warnings.append(f"no credits found: the credit roll is empty; {_FIX_HINT}")
    zh_names = _check_names_zh(names_zh)
    entries = tuple(_entry(d, roles, zh_names, warnings) for d in drafts)
    _warn_unused_names_zh(zh_names, entries, warnings)
    return CreditRoll(entries=entries, warnings=tuple(warnings))


def _merge_credits(
    credits: Iterable[Credit], roles: Mapping[str, RoleInfo], split_and: bool, warnings: list[str]
) -> list[_Draft]:
    drafts: dict[str, _Draft] = {}
    for credit in credits:
        role, names = _checked_credit(credit)
        info = roles.get(role_key(role))
        keep_whole = not split_and or _is_organisation(role, info)
        cleaned = _clean_names(role, names, keep_whole, warnings)
        key = role_key(role)
        if key in drafts:
            warnings.append(
                f"role {role!r} is credited twice: its names were merged in order under "
                f"{drafts[key].role_en!r}; {_FIX_HINT} to list them once"
            )
            drafts[key].names.extend(cleaned)
        else:
            drafts[key] = _Draft(role_en=role, names=cleaned)
    for draft in drafts.values():
        draft.names = _dedupe(draft, warnings)
    return _drop_empty(list(drafts.values()), warnings)


def _checked_credit(credit: Any) -> tuple[str, tuple[str, ...]]:
    role, names = getattr(credit, "role", None), getattr(credit, "names", None)
    if (
        not isinstance(role, str)
        or not isinstance(names, tuple | list)
        or not all(isinstance(n, str) for n in names)
    ):
        raise ScriptError(
            f"credits entry {credit!r} is not Credit(role: str, names: tuple[str, ...]): "
            f"{_FIX_HINT}"
        )
    role = " ".join(role.split())
    if not role:
        shown = ", ".join(n.strip() for n in names if n.strip()) or "(no names either)"
        raise ScriptError(
            f"credits line {shown!r} has no role: write it as 'Role: Name' "
            f"(e.g. 'Editor: {shown}'), "
            f"or {_FIX_HINT}"
        )
    return role, tuple(names)


def _is_organisation(role: str, info: RoleInfo | None) -> bool:
    if info is not None:
        return info.organisation
    return role_key(role).endswith(" by")  # "Sponsored by Procter and Gamble" names a company


def _clean_names(
    role: str, names: tuple[str, ...], keep_whole: bool, warnings: list[str]
) -> list[str]:
    cleaned: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            warnings.append(
                f"role {role!r} has an empty name in its list: it was removed; {_FIX_HINT}"
            )
            continue
        parts = [name] if keep_whole else _split_at_and(name)
        if len(parts) > 1 or parts[0] != name:
            warnings.append(
                f"role {role!r}: {name!r} was read as {len(parts)} name(s) {parts!r}; if it is one "
                "name, list the credits under [credits] in episode.toml"
            )
        cleaned.extend(parts)
    return cleaned


def _split_at_and(name: str) -> list[str]:
    parts = [_AND_LEADING.sub("", p).strip() for p in _AND_INSIDE.split(name)]
    return [p for p in parts if p] or [name]


def _dedupe(draft: _Draft, warnings: list[str]) -> list[str]:
    seen: list[str] = []
    for name in draft.names:
        if name in seen:
            warnings.append(
                f"role {draft.role_en!r} lists {name!r} more than once: shown once; {_FIX_HINT}"
            )
        else:
            seen.append(name)
    return seen


def _drop_empty(drafts: list[_Draft], warnings: list[str]) -> list[_Draft]:
    for draft in drafts:
        if not draft.names:
            warnings.append(
                f"role {draft.role_en!r} has no names: it is left off the credit roll; "
                f"add the names or remove the role ({_FIX_HINT})"
            )
    return [d for d in drafts if d.names]


def _check_names_zh(names_zh: Any) -> dict[str, str]:
    if names_zh is None:
        return {}
    if not isinstance(names_zh, Mapping):
        raise EpisodeError(
            'episode.toml [names_zh] must be a table of name = "中文名", '
            f"not {type(names_zh).__name__}: "
            'write it as [names_zh] then "LI Yanxia" = "李艳霞"'
        )
    checked: dict[str, str] = {}
    for name, zh in names_zh.items():
        if not isinstance(name, str) or not isinstance(zh, str) or not zh.strip():
            raise EpisodeError(
                f'episode.toml [names_zh] entry {name!r} = {zh!r} is not name = "中文名": '
                "give the Chinese name as a non-empty string"
            )
        checked[name.strip()] = zh.strip()
    return checked


def _entry(
    draft: _Draft, roles: Mapping[str, RoleInfo], zh_names: Mapping[str, str], warnings: list[str]
) -> RollEntry:
    info = roles.get(role_key(draft.role_en))
    if info is None:
        warnings.append(
            f"role {draft.role_en!r} is not in the role table: shown in English only and left out "
            "of the feed's <podcast:person> tags; add it to assets/roles.toml"
        )
    elif info.taxonomy_role is None:
        warnings.append(
            f"role {draft.role_en!r} has no taxonomy role in the role table: left out of the "
            "feed's <podcast:person> tags; add taxonomy_role/taxonomy_group to assets/roles.toml"
        )
    for name in draft.names:
        if len(name) > PODCAST_PERSON_MAX_CHARS:
            warnings.append(
                f"name {name[:40]!r}… is longer than {PODCAST_PERSON_MAX_CHARS} characters: "
                "podcast "
                "apps may truncate it; shorten it in the credits"
            )
    return RollEntry(
        role_en=draft.role_en,
        role_zh=None if info is None else info.zh,
        names=tuple(draft.names),
        names_zh=tuple(zh_names.get(n) for n in draft.names),
        taxonomy_role=None if info is None else info.taxonomy_role,
        taxonomy_group=None if info is None else info.taxonomy_group,
    )


def _warn_unused_names_zh(
    zh_names: Mapping[str, str], entries: tuple[RollEntry, ...], warnings: list[str]
) -> None:
    credited = {n for e in entries for n in e.names}
    for name in zh_names:
        if name not in credited:
            warnings.append(
                f"[names_zh] has {name!r}, who is not in the credits: check the spelling "
                "(names must match the credits exactly)"
            )


def episode_credit_roll(
    script_credits: Iterable[Credit],
    table: Mapping[str, Any] | None = None,
    names_zh: Mapping[str, str] | None = None,
    roles_path: Path | None = None,
) -> CreditRoll:
    """The episode's roll: episode.toml ``[credits]`` wins over the script's credits block.

    Names listed one by one in episode.toml are taken whole (never split at "and").
    """
    if table is not None:
        return build_credit_roll(credits_from_table(table), names_zh, roles_path, split_and=False)
    return build_credit_roll(script_credits, names_zh, roles_path)
