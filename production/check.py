"""`perspective check`: the quality gate over what `produce` wrote into build/."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .episode import Episode, load_episode
from .errors import ProductionError
from .layout import FEED_ITEM_FILE, JSON_FILES, MANIFEST_FILE
from .publish.channel import episode_feed_findings

LOUDNESS_TOLERANCE_LU = 1.0  # podcast ±1 LU; broadcast uses its own (0.5); docs/output-rules.md "Loudness and audio"


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


def summarise(findings: Sequence[Finding]) -> list[tuple[str, str, int]]:
    """(severity, message, count) per kind of finding (``warning_key``), in order of first
    appearance; a figure that differs between the findings of a kind is shown as its range."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.severity, warning_key(f)), []).append(f)
    out = []
    for (severity, key), group in groups.items():
        rest = group[0].message.partition(": ")[2]
        if not rest:
            out.append((severity, key, len(group)))
            continue
        columns = zip(*(_figures(f.message.partition(": ")[2]) for f in group), strict=True)
        text = _with_figures(rest, [_span(column) for column in columns])
        out.append((severity, f"{key.partition(': ')[0]}: {text}", len(group)))
    return out


def _figures(text: str) -> list[str]:
    return [m.group() for m in _NUMBER.finditer(text)]


def _with_figures(text: str, figures: list[str]) -> str:
    """``text`` with its numbers replaced, in order, by ``figures``."""
    each = iter(figures)
    return _NUMBER.sub(lambda _: next(each), text)


def _span(figures: tuple[str, ...]) -> str:
    low, high = min(figures, key=float), max(figures, key=float)
    return low if low == high else f"{low}–{high}"


def expected_outputs(episode: Episode) -> list[str]:
    """The build/ files a complete build of ``episode`` has (from the build layout)."""
    return [p.name for p in episode.layout.deliverables()]


def _present(episode: Episode) -> list[Finding]:
    out = []
    deliverables = episode.layout.deliverables()
    missing = [p.name for p in deliverables if _missing(p)]
    if missing:  # one line: an empty build/ is one problem with one remedy, not sixteen
        names = "every output" if len(missing) == len(deliverables) else ", ".join(missing)
        out.append(Finding("error", f"missing or empty: {names}: run `perspective produce {episode.folder}`"))
    if not episode.translation:
        out.append(Finding("info", "no translation in episode.toml: Chinese caption files are not expected"))
    return out


def _missing(path: Path) -> bool:
    return not path.is_file() or path.stat().st_size == 0


def _json_files(episode: Episode) -> list[Finding]:
    out = []
    for name in JSON_FILES:
        path = episode.build_dir / name
        if path.is_file():
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as err:
                out.append(Finding("error", f"{name} is not valid JSON ({err}); produce again with --force"))
    return out


def _feed(episode: Episode) -> list[Finding]:
    import xml.etree.ElementTree as ET

    path = episode.build_dir / FEED_ITEM_FILE
    if not path.is_file():
        return []
    try:
        ET.parse(path)
    except ET.ParseError as err:
        return [Finding("error", f"{FEED_ITEM_FILE} does not parse as XML ({err})")]
    return []


def _captions(episode: Episode) -> list[Finding]:
    from .captions import qc

    offset = _intro_offset_ms(episode)
    issues = qc.check_files(
        episode.build_dir, episode.slug, episode.captions, speech_offset_ms=offset, layout=episode.layout
    )
    issues = [i for i in issues if i.rule not in PRESENCE_RULES]
    return [Finding(i.severity, f"{i.file or 'captions'}{_cue(i.cue_index)}: {i.message}") for i in issues]


# caption QC's own presence findings: "files present" already reports them, knowing from
# episode.toml whether Chinese files are expected (QC guesses that from the files it finds)
PRESENCE_RULES = ("missing-file", "no-translation")


def _intro_offset_ms(episode: Episode) -> int | None:
    """Captions are on the master's clock, alignment.json on the host file's: the shift between."""
    report = episode.layout.master_report
    try:
        return int(json.loads(report.read_text(encoding="utf-8"))["intro_ms"])
    except (OSError, ValueError, KeyError):
        return None


def _cue(index: int) -> str:
    return f" cue {index + 1}" if index >= 0 else ""


def _loudness(episode: Episode) -> list[Finding]:
    from .mastering import PROFILES, measure_loudness

    path = episode.layout.mp3
    if not path.is_file():
        return []
    profile = PROFILES[episode.mastering.profile]
    m = measure_loudness(path)
    out = []
    tolerance = getattr(profile, "tolerance_lu", LOUDNESS_TOLERANCE_LU)
    if abs(m.integrated_lufs - profile.target_lufs) > tolerance:
        out.append(
            Finding(
                "error",
                f"{path.name}: integrated loudness {m.integrated_lufs:.1f} LUFS, "
                f"spec {profile.target_lufs:.0f} ± {tolerance} LU; "
                f"run `perspective produce --from master {episode.folder}`",
            )
        )
    if m.true_peak_dbtp > profile.true_peak_dbtp + 0.05:
        out.append(
            Finding(
                "error",
                f"{path.name}: true peak {m.true_peak_dbtp:.2f} dBTP above {profile.true_peak_dbtp} dBTP; "
                f"run `perspective produce --from master {episode.folder}`",
            )
        )
    return out


def _video(episode: Episode) -> list[Finding]:
    from .video import check_video

    path = episode.layout.mp4
    if not path.is_file():
        return []
    return [
        Finding("error", f"{path.name}: {problem}") for problem in check_video(path, episode.translation is not None)
    ]


def _alignment(episode: Episode) -> list[Finding]:
    from .align import read_alignment
    from .align.report import alignment_warnings

    path = episode.build_dir / "alignment.json"
    if not path.is_file():
        return []
    return [Finding(severity, message) for severity, message in alignment_warnings(read_alignment(path))]


def _manifest(episode: Episode) -> list[Finding]:
    from .publish import verify_manifest

    if not (episode.layout.build / MANIFEST_FILE).is_file():
        return []
    return [Finding("error", f"manifest: {p}") for p in verify_manifest(episode.build_dir)]


def _corrections(episode: Episode) -> list[Finding]:
    """corrections hook (issue 15): fixes that no longer fit their sentence are not applied; say so."""
    from .corrections import CORRECTIONS_FILE
    from .ingest import episode_corrected

    if not (episode.folder / CORRECTIONS_FILE).exists() and episode.chapters is None and not episode.clips:
        return []
    problems = episode_corrected(episode).problems
    return [Finding("warning", f"{p}: fix or remove it in `perspective review`") for p in problems]


CHECKS: list[tuple[str, Callable[[Episode], list[Finding]]]] = [
    ("files present", _present),
    ("JSON parses", _json_files),
    ("feed item parses", _feed),
    ("captions QC", _captions),
    ("alignment", _alignment),
    ("loudness in spec", _loudness),
    ("video streams", _video),
    ("manifest hashes", _manifest),
    ("corrections fit", _corrections),  # corrections hook
    ("feed rules", lambda ep: [Finding(s, m) for s, m in episode_feed_findings(ep)]),
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
            # every check reads build/ outputs, which produce writes: the reader's own remedy
            # (about a host's file, e.g. "export it again") does not apply to them
            reason = str(err).rsplit("; ", 1)[0]
            findings.append(Finding("error", f"{name}: {reason}; run `perspective produce {episode.folder}`"))
    return findings
