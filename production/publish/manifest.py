"""manifest.json: every file in build/ with its size, SHA-256 and duration, plus the facts a
publisher checks before uploading (loudness, caption QC, tool version, synthetic read).

``verify_manifest`` is the other half, for ``perspective check``: it re-measures the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pysubs2

from ..errors import ProductionError
from ..tools import run
from .inputs import MANIFEST_FILE, PublishInputs

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1  # bump when the manifest.json shape changes
TOOL_NAME = "cbn-perspective"
_CHUNK = 1 << 20  # bytes per read: 1 MiB keeps hashing a long MP4 in constant memory
# file suffix -> media type recorded in the manifest
MEDIA_TYPES = {
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".ass": "text/x-ssa",
    ".json": "application/json",
    ".xml": "application/xml",
    ".md": "text/markdown",
    ".html": "text/html",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
MEDIA_SUFFIXES = (".mp3", ".mp4", ".m4a", ".wav")  # durations measured with ffprobe
CAPTION_SUFFIXES = (".srt", ".vtt", ".ass")  # durations = end of the last cue
_RESERVED = ("manifest_version", "files", "generated_at")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def listed_files(build_dir: Path) -> list[Path]:
    """The outputs a manifest covers: visible regular files in build/, manifest.json excepted.

    Hidden names are work files (``.work/`` stage state, ``.*.part`` temporaries, locks).
    """
    return sorted(
        p
        for p in build_dir.iterdir()
        if p.is_file()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and p.name != MANIFEST_FILE
    )


def manifest(
    build_dir: Path,
    inputs: PublishInputs,
    extra: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The manifest of what is in ``build_dir`` now; ``extra`` keys are added at the top level."""
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        raise ProductionError(
            f"build folder {build_dir} does not exist: run perspective produce first"
        )
    clashes = sorted(set(extra or {}) & set(_RESERVED))
    if clashes:
        raise ProductionError(
            f"manifest extra keys {clashes} would overwrite the manifest's own: rename them"
        )
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    doc: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "generated_at": moment.isoformat().replace("+00:00", "Z"),
        "tool": {"name": TOOL_NAME, "version": inputs.tool_version},
        "engine": inputs.engine,
        "synthetic_host_read": inputs.synthetic_host_read,
        "episode": _episode(inputs),
        "duration_ms": inputs.duration_ms,
        "loudness": dict(inputs.loudness),
        "captions_qc": _qc(inputs),
        "deviations": len(inputs.deviations),
        "files": [file_entry(p) for p in listed_files(build_dir)],
    }
    doc.update(extra or {})
    return doc


def _episode(inputs: PublishInputs) -> dict[str, Any]:
    return {
        "show": inputs.show,
        "title": inputs.title,
        "slug": inputs.slug,
        "date": inputs.date.isoformat(),
        "guid": inputs.effective_guid,
        "episode_type": inputs.episode_type,
        "language": inputs.language,
    }


def _qc(inputs: PublishInputs) -> dict[str, Any]:
    severities = Counter(str(i.get("severity") or "warning").lower() for i in inputs.qc_issues)
    return {
        "summary": dict(inputs.qc_summary),
        "issues": len(inputs.qc_issues),
        "by_severity": dict(sorted(severities.items())),
    }


def file_entry(path: Path) -> dict[str, Any]:
    """{"name", "bytes", "sha256", "type"[, "duration_ms"]} for one output file."""
    entry: dict[str, Any] = {
        "name": path.name,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "type": MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"),
    }
    duration = duration_ms(path)
    if duration is not None:
        entry["duration_ms"] = duration
    return entry


def duration_ms(path: Path) -> int | None:
    """Measured duration of a media or caption file; None for other files."""
    suffix = path.suffix.lower()
    if suffix in MEDIA_SUFFIXES:
        return _media_duration_ms(path)
    if suffix in CAPTION_SUFFIXES:
        return _caption_duration_ms(path)
    return None


def _media_duration_ms(path: Path) -> int:
    out = run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        what=f"measuring {path.name}",
    )
    try:
        return round(float(json.loads(out)["format"]["duration"]) * 1000)
    except (ValueError, KeyError, TypeError) as err:
        raise ProductionError(f"{path.name} has no measurable duration: render it again") from err


def _caption_duration_ms(path: Path) -> int | None:
    try:
        subs = pysubs2.load(str(path), encoding="utf-8")
    except Exception as err:  # pysubs2 raises several unrelated types for a broken file
        raise ProductionError(
            f"caption file {path.name} does not parse ({err}): run the captions stage again"
        ) from err
    return max((event.end for event in subs), default=None)


def verify_manifest(build_dir: Path) -> list[str]:
    """One line per problem: manifest missing or unreadable, a listed file missing, changed in
    size or content, or an output file the manifest does not list. Empty when all is well."""
    build_dir = Path(build_dir)
    try:
        doc = json.loads((build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        entries = doc["files"]
        names = [str(e["name"]) for e in entries]
    except FileNotFoundError:
        return [f"{MANIFEST_FILE} is missing from {build_dir}: run perspective produce"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [
            f"{MANIFEST_FILE} is unreadable ({type(err).__name__}: {err}): "
            "run perspective produce again"
        ]
    problems = [p for e in entries for p in _entry_problems(build_dir, e)]
    unlisted = sorted({p.name for p in listed_files(build_dir)} - set(names))
    problems += [
        f"{name} is in build/ but not in {MANIFEST_FILE}: "
        "remove it or run perspective produce again"
        for name in unlisted
    ]
    return problems


def _entry_problems(build_dir: Path, entry: Mapping[str, Any]) -> list[str]:
    name = str(entry.get("name", ""))
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return [
            f"{MANIFEST_FILE} lists {name!r}, which is not a build/ file name: "
            "run perspective produce again"
        ]
    path = build_dir / name
    if not path.is_file():
        return [f"{name} is listed in {MANIFEST_FILE} but missing: run perspective produce again"]
    size = path.stat().st_size
    if size != entry.get("bytes"):
        return [
            f"{name} is {size} bytes, the manifest says {entry.get('bytes')}: "
            "it changed after produce; "
            "run perspective produce again"
        ]
    if sha256_file(path) != entry.get("sha256"):
        return [
            f"{name} does not match its SHA-256 in {MANIFEST_FILE}: it changed after produce; "
            "run perspective produce again"
        ]
    return []
