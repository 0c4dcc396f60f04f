"""The script-deviation report: where the host's read departed from the script, for the editor.

One line per deviation, in reading order, with the time to jump to:

    01:02.340  skipped           s0012  script: "by"
    01:05.100  inserted          s0012  spoken: "you know"
    01:09.870  substituted       s0013  script: "grew"  |  spoken: "rose"
    02:14.000  skipped-sentence  s0020  script: "Analysts were surprised."
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..fsutil import write_text
from ..models import Alignment, Deviation

KIND_WIDTH = len("skipped-sentence")  # the longest kind name, so the columns line up
QUOTE_MAX_CHARS = 120  # longer script or spoken text is shortened with an ellipsis

# what each kind means, printed once under the heading when that kind occurs
KIND_NOTES = {
    "skipped": "script words the host did not say (captions still show them)",
    "skipped-sentence": "a whole sentence the host did not say (its caption shows only briefly)",
    "inserted": "words the host said that are not in the script (no caption)",
    "substituted": "the host said other words than the script's (captions show the script's)",
    "low-confidence": "the aligner is unsure where this sentence was said (listen: its caption may be misplaced)",
    "aside": "speech that belongs to no script sentence (left out of the captions)",
    "false-start": "an abandoned take before the sentence's complete read (left out of its caption)",
}


def format_time(ms: int) -> str:
    """mm:ss.mmm, or h:mm:ss.mmm from one hour on."""
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    clock = f"{minutes:02d}:{seconds:02d}.{millis:03d}"
    return f"{hours}:{clock}" if hours else clock


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > QUOTE_MAX_CHARS:
        text = text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"
    return f'"{text}"'


def deviation_line(d: Deviation) -> str:
    parts = []
    if d.script or d.kind in ("skipped", "skipped-sentence", "substituted"):
        parts.append(f"script: {_quote(d.script)}")
    if d.spoken or d.kind in ("inserted", "substituted"):
        parts.append(f"spoken: {_quote(d.spoken)}")
    if d.end_ms is not None:
        parts.append(f"until {format_time(d.end_ms)}")
    return (
        f"{format_time(d.time_ms)}  {d.kind:<{KIND_WIDTH}}  {d.fragment_id or '-'}  "
        + "  |  ".join(parts)
    )


def _heading(al: Alignment) -> list[str]:
    counts: dict[str, int] = {}
    for d in al.deviations:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "none"
    source = f"{al.audio} ({al.engine} engine, {format_time(al.duration_ms)} long)"
    return [
        f"Script deviations in {source}: {summary}",
        *(f"  {kind}: {KIND_NOTES.get(kind, '')}" for kind in counts),
    ]


def cross_check_lines(
    flags: Sequence[dict[str, Any]], total: int, threshold_ms: int = 500
) -> list[str]:
    """The cross-check part of the report: fragments two engines place differently."""
    if not flags:
        return [
            f"Cross-check: the engines agree within {threshold_ms} ms on all {total} fragments."
        ]
    lines = [
        f"Cross-check: {len(flags)} of {total} fragments differ by more than {threshold_ms} ms; "
        "listen to them:"
    ]
    for f in flags:
        a, b = f["engines"]
        (start_a, start_b), (end_a, end_b) = f["start_ms"], f["end_ms"]
        lines.append(
            f"{format_time(start_a)}  {f['id']}  "
            f"start {a} {format_time(start_a)} / {b} {format_time(start_b)}, "
            f"end {a} {format_time(end_a)} / {b} {format_time(end_b)}  {_quote(f['text'])}"
        )
    return lines


def deviation_report(
    alignment: Alignment, disagreements: Sequence[dict[str, Any]] | None = None
) -> str:
    """Readable text: heading, one line per deviation in time order, then any cross-check flags."""
    lines = _heading(alignment)
    if alignment.deviations:
        lines.append("")
        lines += [deviation_line(d) for d in sorted(alignment.deviations, key=lambda d: d.time_ms)]
    else:
        lines.append("The read follows the script word for word.")
    if disagreements is not None:
        lines.append("")
        lines += cross_check_lines(disagreements, len(alignment.fragments))
    return "\n".join(lines) + "\n"


def write_report(
    path: str | os.PathLike[str],
    alignment: Alignment,
    disagreements: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """Write the report atomically (e.g. build/deviations.txt)."""
    return write_text(path, deviation_report(alignment, disagreements))


def alignment_warnings(alignment: Alignment) -> list[tuple[str, str]]:
    """(severity, message) for ``check``: a sentence the host never read is an error (its caption
    would show words nobody says); sentences the aligner is unsure of are warnings."""
    out: list[tuple[str, str]] = []
    for kind, severity, what in (
        ("skipped-sentence", "error", "never read in the recording (its caption shows words nobody says)"),
        ("low-confidence", "warning", "placed with low confidence (listen: the caption may be misplaced)"),
        ("aside", "info", "speech that belongs to no script sentence (left out of the captions)"),
        ("false-start", "info", "abandoned takes before a sentence (left out of its caption)"),
    ):
        devs = sorted((d for d in alignment.deviations if d.kind == kind), key=lambda d: d.time_ms)
        if devs:
            ids = ", ".join(d.fragment_id or format_time(d.time_ms) for d in devs[:5]) + (" …" if len(devs) > 5 else "")
            unit = "stretch(es)" if kind in ("aside", "false-start") else "sentence(s)"
            out.append(
                (severity, f"alignment: {len(devs)} {unit} {what}: {ids}; see deviations.txt and the review page")
            )
    return out
