"""The role table (assets/roles.toml): English role -> Chinese role and Podcasting 2.0 taxonomy."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assets import asset
from ..errors import ProductionError

ROLES_PATH = asset("roles.toml")
_ROLE_KEYS = {"zh", "taxonomy_role", "taxonomy_group", "aliases", "organisation"}


class RolesFileError(ProductionError):
    """assets/roles.toml (or a replacement roles file) cannot be used."""


@dataclass(frozen=True)
class RoleInfo:
    en: str  # the table's English spelling
    zh: str  # Chinese role for the roll and show notes
    taxonomy_role: str | None  # Podcast Taxonomy Project role, lower case; None: no equivalent
    taxonomy_group: str | None  # its taxonomy group, lower case
    organisation: bool = False  # names are organisations: never split at "and"


def role_key(role: str) -> str:
    """Matching key: case-folded, surrounding and repeated whitespace ignored."""
    return " ".join(role.split()).casefold()


def taxonomy_key(value: str) -> str:
    """Taxonomy roles/groups compare case-insensitively and trimmed.

    (taxonomy.json itself has trailing spaces: "Producer ", "Audio Editor ".)
    """
    return " ".join(value.split()).lower()


def load_roles(path: Path | None = None) -> dict[str, RoleInfo]:
    """Role table keyed by ``role_key`` of the English role and of every alias."""
    path = ROLES_PATH if path is None else Path(path)
    table = _read_toml(path).get("roles")
    if not isinstance(table, Mapping):
        raise RolesFileError(
            f'{path} has no [roles."…"] tables: restore it from the project\'s assets/roles.toml'
        )
    roles: dict[str, RoleInfo] = {}
    for en, entry in table.items():
        info = _role_info(path, en, entry)
        for spelling in (en, *_aliases(path, en, entry)):
            key = role_key(spelling)
            if key in roles:
                raise RolesFileError(
                    f"{path}: role {spelling!r} is listed twice: keep one entry for it"
                )
            roles[key] = info
    return roles


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RolesFileError(
            f"roles file {path} not found: restore assets/roles.toml or pass an existing file"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise RolesFileError(
            f"cannot read roles file {path} ({err}): check it is a UTF-8 text file"
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise RolesFileError(f"{path} is not valid TOML ({err}): fix that line") from err


def _role_info(path: Path, en: str, entry: Any) -> RoleInfo:
    where = f"{path}: [roles.{en!r}]"
    if not en.strip():
        raise RolesFileError(f"{path} has a role with an empty English name: name it or remove it")
    if not isinstance(entry, Mapping):
        raise RolesFileError(f'{where} must be a table with zh = "…": fix that entry')
    unknown = sorted(set(entry) - _ROLE_KEYS)
    if unknown:
        raise RolesFileError(
            f"{where} has unknown key {unknown[0]!r}: use {', '.join(sorted(_ROLE_KEYS))}"
        )
    zh = entry.get("zh")
    if not isinstance(zh, str) or not zh.strip():
        raise RolesFileError(f'{where} needs zh = "<Chinese role>": add it')
    tax_role, tax_group = entry.get("taxonomy_role"), entry.get("taxonomy_group")
    if (tax_role is None) != (tax_group is None):
        raise RolesFileError(
            f"{where} sets only one of taxonomy_role/taxonomy_group: give both or neither"
        )
    for name, value in (("taxonomy_role", tax_role), ("taxonomy_group", tax_group)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise RolesFileError(f"{where} {name} must be a non-empty string: fix it")
    organisation = entry.get("organisation", False)
    if not isinstance(organisation, bool):
        raise RolesFileError(f"{where} organisation must be true or false: fix it")
    return RoleInfo(
        en=" ".join(en.split()),
        zh=zh.strip(),
        taxonomy_role=None if tax_role is None else taxonomy_key(tax_role),
        taxonomy_group=None if tax_group is None else taxonomy_key(tax_group),
        organisation=organisation,
    )


def _aliases(path: Path, en: str, entry: Mapping[str, Any]) -> list[str]:
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise RolesFileError(f"{path}: [roles.{en!r}] aliases must be a list of role names: fix it")
    return aliases
