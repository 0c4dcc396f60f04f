"""`perspective check`: the quality gate over what `produce` wrote into build/."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .episode import Episode, load_episode, table_settings

if TYPE_CHECKING:
    from .captions import CaptionSettings

from .errors import ProductionError

LOUDNESS_TOLERANCE_LU = 1.0  # GUIDELINES: podcast ±1 LU; broadcast profiles use their own (0.5)


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning" | "info"
    message: str


_NUMBER = __import__("re").compile(r"-?\d+(\.\d+)?")


def warning_key(finding: Finding) -> str:
    """A finding's message with its figures removed, so repeated warnings can be counted."""
    import re

    head, _, rest = finding.message.partition(": ")
    head = re.sub(r" cue \d+$", "", head)
    return f"{head}: {_NUMBER.sub('N', rest)}" if rest else finding.message


def expected_outputs(episode: Episode) -> list[str]:
    slug = episode.slug
    names = [
        f"{slug}.mp3",
        f"{slug}.mp4",
        f"{slug}.en.srt",
        f"{slug}.en.vtt",
        f"{slug}.bilingual.srt",
        f"{slug}.bilingual.ass",
        "alignment.json",
        "credits.json",
        "transcript.json",
        "chapters.json",
        "feed-item.xml",
        "shownotes.md",
        "review.html",
        "manifest.json",
    ]
    if episode.translation:
        names += [f"{slug}.zh-Hans.srt", f"{slug}.zh-Hans.vtt"]
    return names


def _present(episode: Episode) -> list[Finding]:
    out = []
    for name in expected_outputs(episode):
        path = episode.build_dir / name
        if not path.is_file() or path.stat().st_size == 0:
            out.append(Finding("error", f"{name} is missing or empty: run `perspective produce {episode.folder}`"))
    if not episode.translation:
        out.append(Finding("info", "no translation in episode.toml: Chinese caption files are not expected"))
    return out


def _json_files(episode: Episode) -> list[Finding]:
    out = []
    for name in ("alignment.json", "credits.json", "transcript.json", "chapters.json", "manifest.json"):
        path = episode.build_dir / name
        if path.is_file():
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as err:
                out.append(Finding("error", f"{name} is not valid JSON ({err}); produce again with --force"))
    return out


def _feed(episode: Episode) -> list[Finding]:
    import xml.etree.ElementTree as ET

    path = episode.build_dir / "feed-item.xml"
    if not path.is_file():
        return []
    try:
        ET.parse(path)
    except ET.ParseError as err:
        return [Finding("error", f"feed-item.xml does not parse as XML ({err})")]
    return []


def _captions(episode: Episode) -> list[Finding]:
    from .captions import qc

    offset = _intro_offset_ms(episode)
    issues = qc.check_files(episode.build_dir, episode.slug, _caption_settings(episode), speech_offset_ms=offset)
    return [Finding(i.severity, f"{i.file or 'captions'}{_cue(i.cue_index)}: {i.message}") for i in issues]


def _intro_offset_ms(episode: Episode) -> int | None:
    """Captions are on the master's clock, alignment.json on the host file's: the shift between."""
    report = episode.build_dir / ".work" / "master.json"
    try:
        return int(json.loads(report.read_text(encoding="utf-8"))["intro_ms"])
    except (OSError, ValueError, KeyError):
        return None


def _cue(index: int) -> str:
    return f" cue {index + 1}" if index >= 0 else ""


def _caption_settings(episode: Episode) -> CaptionSettings:
    from .captions import CaptionSettings

    return table_settings(CaptionSettings, "captions", dict(episode.captions))


def _loudness(episode: Episode) -> list[Finding]:
    from .mastering import PROFILES, measure_loudness

    path = episode.build_dir / f"{episode.slug}.mp3"
    if not path.is_file():
        return []
    profile = PROFILES[episode.loudness]
    m = measure_loudness(path)
    out = []
    tolerance = getattr(profile, "tolerance_lu", LOUDNESS_TOLERANCE_LU)
    if abs(m.integrated_lufs - profile.target_lufs) > tolerance:
        out.append(
            Finding(
                "error",
                f"{path.name}: integrated loudness {m.integrated_lufs:.1f} LUFS, "
                f"spec {profile.target_lufs:.0f} ± {tolerance} LU; produce --from master",
            )
        )
    if m.true_peak_dbtp > profile.true_peak_dbtp + 0.05:
        out.append(
            Finding("error", f"{path.name}: true peak {m.true_peak_dbtp:.2f} dBTP above {profile.true_peak_dbtp} dBTP")
        )
    return out


def _video(episode: Episode) -> list[Finding]:
    from .video import check_video

    path = episode.build_dir / f"{episode.slug}.mp4"
    if not path.is_file():
        return []
    return [
        Finding("error", f"{path.name}: {problem}") for problem in check_video(path, episode.translation is not None)
    ]


def _manifest(episode: Episode) -> list[Finding]:
    from .publish import verify_manifest

    if not (episode.build_dir / "manifest.json").is_file():
        return []
    return [Finding("error", f"manifest: {p}") for p in verify_manifest(episode.build_dir)]


def _corrections(episode: Episode) -> list[Finding]:
    """corrections hook (issue 15): fixes that no longer fit their sentence are not applied; say so."""
    from .corrections import CORRECTIONS_FILE, episode_corrected

    if not (episode.folder / CORRECTIONS_FILE).exists() and episode.chapters is None and not episode.clips:
        return []
    problems = episode_corrected(episode).problems
    return [Finding("warning", f"{p}: fix or remove it in `perspective review`") for p in problems]


CHECKS: list[tuple[str, Callable[[Episode], list[Finding]]]] = [
    ("files present", _present),
    ("JSON parses", _json_files),
    ("feed item parses", _feed),
    ("captions QC", _captions),
    ("loudness in spec", _loudness),
    ("video streams", _video),
    ("manifest hashes", _manifest),
    ("corrections fit", _corrections),  # corrections hook
]


def check_episode(folder: str | Path) -> list[Finding]:
    episode = load_episode(folder)
    if not episode.build_dir.is_dir():
        raise ProductionError(f"{episode.build_dir} does not exist: run `perspective produce {folder}` first")
    findings: list[Finding] = []
    for name, check in CHECKS:
        try:
            findings += check(episode)
        except ProductionError as err:
            findings.append(Finding("error", f"{name}: {err}"))
    return findings
