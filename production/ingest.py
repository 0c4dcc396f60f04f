"""Ingest stage: episode folder → parsed script, translation pairs, credits (no audio needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .episode import Episode, load_episode
from .models import Script, ZhPair


@dataclass(frozen=True)
class Ingested:
    episode: Episode
    script: Script
    zh_pairs: tuple[ZhPair, ...] | None
    summary: dict[str, Any]

    @property
    def paragraph_count(self) -> int:
        return len(self.script.paragraphs)


def ingest(episode: Episode) -> Ingested:
    from .script import parse_script, read_text, script_summary
    from .translation import load_translation

    text, _encoding = read_text(episode.script)
    script = parse_script(text)
    if episode.title:
        script = _with_title(script, episode.title)
    pairs = load_translation(episode.translation, script) if episode.translation else None
    return Ingested(episode, script, pairs, script_summary(script, pairs))


def _with_title(script: Script, title: str) -> Script:
    from dataclasses import replace

    return replace(script, title=title)


def ingest_episode(folder: str | Path) -> Ingested:
    return ingest(load_episode(folder, require_audio=False))
