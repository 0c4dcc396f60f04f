"""Ingest stage: episode folder → parsed script, translation pairs, credits (no audio needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .episode import Episode, load_episode
from .models import Script, ZhPair

if TYPE_CHECKING:
    from .corrections import Corrected
    from .credits.roll import CreditRoll


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
    pairs = None
    if episode.translation:
        pairs = load_translation(
            episode.translation, script, convert_traditional=episode.captions.convert_traditional
        )
    return Ingested(episode, script, pairs, script_summary(script, pairs))


def _with_title(script: Script, title: str) -> Script:
    from dataclasses import replace

    return replace(script, title=title)


def ingest_episode(folder: str | Path) -> Ingested:
    return ingest(load_episode(folder, require_audio=False))


def credit_roll_for_episode(folder: str | Path) -> CreditRoll:
    """The episode's bilingual credit roll (episode.toml's [credits] wins over the script's)."""
    from .credits import episode_credit_roll

    ing = ingest_episode(folder)
    ep = ing.episode
    return episode_credit_roll(ing.script.credits, ep.credits, ep.names_zh)


def credits_for_episode(folder: str | Path) -> tuple[list[str], list[str]]:
    """Printable lines "中文 English: names" and the warnings, for `perspective credits`."""
    roll = credit_roll_for_episode(folder)
    lines = [
        f"{e.role_zh or '(no Chinese role)'}  {e.role_en}: {', '.join(e.names)}"
        + (f"  [{e.taxonomy_group}/{e.taxonomy_role}]" if e.taxonomy_role else "")
        for e in roll.entries
    ]
    return lines, list(roll.warnings)


def preview_credits(folder: str | Path, output: Path | None = None, overwrite: bool = False) -> Path:
    """A PNG contact sheet of the credit roll (default: build/.work/credits-preview.png).

    ``output`` is never one of the episode's files (episode.toml, script, translation, recording,
    cover), also through a link; an existing file that is not an earlier preview needs ``overwrite``."""
    from .credits import preview_png
    from .credits.render import is_preview_png
    from .episode import EPISODE_FILE
    from .fsutil import guard_output

    episode = load_episode(folder, require_audio=False)
    out = output or episode.layout.credits_preview
    inputs = {
        EPISODE_FILE: episode.folder / EPISODE_FILE,
        "script": episode.script,
        "translation": episode.translation,
        "host recording": episode.host_audio,
        "cover": episode.cover,
    }
    guard_output(out, inputs, "credits preview PNG", is_preview_png, overwrite)
    return preview_png(credit_roll_for_episode(folder), out, episode.credit_roll)


def episode_corrected(episode: Episode) -> Corrected:
    """The episode's fixes (corrections.toml, [[chapters]]/[[clips]]) applied to its script and
    build/alignment.json, as produce applies them (for check and the review editor)."""
    from .align import read_alignment
    from .corrections import CorrectionsError, apply_corrections, load_corrections

    alignment_file = episode.layout.alignment
    if not alignment_file.is_file():
        raise CorrectionsError(f"{alignment_file} is missing: run `perspective produce {episode.folder}` first")
    ing = ingest(episode)
    return apply_corrections(
        load_corrections(episode.folder),
        ing.script.sentences,
        read_alignment(alignment_file),
        ing.zh_pairs,
        episode.chapters,
        episode.clips,
    )
