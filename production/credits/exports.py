"""CreditRoll -> credits.json, <podcast:person> entries, ID3 TIPL pairs, a show-notes paragraph."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..fsutil import write_json
from .roll import CreditRoll, RollEntry

CREDITS_JSON_VERSION = 1  # bump when the credits.json shape changes
SHOWNOTES_HEADING = "Credits · 制作团队"  # bilingual heading of the show-notes credits paragraph
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")  # inline markup a name must not trigger


def credits_json(roll: CreditRoll) -> dict[str, Any]:
    """The build/credits.json document (roles in script order)."""
    return {
        "version": CREDITS_JSON_VERSION,
        "roles": [_role_json(entry) for entry in roll.entries],
        "people": roll.people,
        "warnings": list(roll.warnings),
    }


def _role_json(entry: RollEntry) -> dict[str, Any]:
    taxonomy = None
    if entry.taxonomy_role is not None:
        taxonomy = {"role": entry.taxonomy_role, "group": entry.taxonomy_group}
    return {
        "role": entry.role_en,
        "role_zh": entry.role_zh,
        "taxonomy": taxonomy,
        "names": list(entry.names),
        "names_zh": list(entry.names_zh),
    }


def write_credits_json(roll: CreditRoll, path: Path) -> Path:
    """Write credits.json atomically."""
    return write_json(path, credits_json(roll))


def podcast_persons(roll: CreditRoll) -> list[dict[str, str]]:
    """One ``{"name", "role", "group"}`` per person per role, for ``<podcast:person>``.

    Roles without a taxonomy role are left out (a missing role attribute would mean "host");
    ``roll.warnings`` already says which.
    """
    return [
        {"name": name, "role": entry.taxonomy_role, "group": entry.taxonomy_group or "cast"}
        for entry in roll.entries
        if entry.taxonomy_role is not None
        for name in entry.names
    ]


def id3_tipl(roll: CreditRoll) -> list[tuple[str, str]]:
    """(role, name) pairs for the ID3v2.4 TIPL (involved people) frame, in roll order."""
    return [(entry.role_en, name) for entry in roll.entries for name in entry.names]


def shownotes_paragraph(roll: CreditRoll, heading: str = SHOWNOTES_HEADING) -> str:
    """A bilingual Markdown credits block: a bold heading and one list item per role."""
    if not roll.entries:
        return ""
    lines = [f"**{_md(heading)}**", ""]
    lines += [
        f"- {_md(_role_label(e))}: {', '.join(_md(n) for n in _name_labels(e))}"
        for e in roll.entries
    ]
    return "\n".join(lines) + "\n"


def _role_label(entry: RollEntry) -> str:
    return entry.role_en if entry.role_zh is None else f"{entry.role_zh} {entry.role_en}"


def _name_labels(entry: RollEntry) -> list[str]:
    return [
        name if zh is None else f"{name} {zh}"
        for name, zh in zip(entry.names, entry.names_zh, strict=True)
    ]


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
