"""The engine interface every aligner implements, and alignment.json in/out.

alignment.json (docs/contracts.md "alignment.json"):
{"engine": "tts-dtw", "audio": "host.wav", "duration_ms": 409314,
 "fragments": [{"id": "s0001", "text": "…", "start_ms": 1730, "end_ms": 4030,
                "words": [{"text": "Welcome", "start_ms": 1730, "end_ms": 2105}]}]}
Fragment start/end are where its speech starts and ends; fragments are in script order and
never overlap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import AlignmentError
from ..fsutil import write_json
from ..models import Alignment, Deviation, Fragment, Word

ProgressFn = Callable[[float, str], None]  # (fraction done 0..1, message)


@dataclass(frozen=True)
class FragmentInput:
    """What an engine aligns: a stable id, the text shown to people, the text spoken aloud."""

    id: str
    text: str
    spoken: str


class Engine(Protocol):
    name: str

    def align(
        self,
        audio_path: Path,
        fragments: Sequence[FragmentInput],
        progress: ProgressFn | None = None,
    ) -> Alignment: ...


def alignment_to_dict(al: Alignment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "engine": al.engine,
        "audio": al.audio,
        "duration_ms": al.duration_ms,
        "fragments": [
            {
                "id": f.id,
                "text": f.text,
                "start_ms": f.start_ms,
                "end_ms": f.end_ms,
                "confidence": round(f.confidence, 3),
                "words": [{"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms} for w in f.words],
            }
            for f in al.fragments
        ],
    }
    if al.deviations:
        out["deviations"] = [
            {"kind": d.kind, "time_ms": d.time_ms, "script": d.script, "spoken": d.spoken, "fragment_id": d.fragment_id}
            | ({} if d.end_ms is None else {"end_ms": d.end_ms})
            for d in al.deviations
        ]
    return out


def alignment_from_dict(data: dict[str, Any]) -> Alignment:
    try:
        frags = tuple(
            Fragment(
                id=f["id"],
                text=f["text"],
                start_ms=int(f["start_ms"]),
                end_ms=int(f["end_ms"]),
                words=tuple(Word(w["text"], int(w["start_ms"]), int(w["end_ms"])) for w in f.get("words", [])),
                confidence=float(f.get("confidence", 1.0)),
            )
            for f in data["fragments"]
        )
        devs = tuple(
            Deviation(
                d["kind"],
                int(d["time_ms"]),
                d.get("script", ""),
                d.get("spoken", ""),
                d.get("fragment_id", ""),
                None if d.get("end_ms") is None else int(d["end_ms"]),
            )
            for d in data.get("deviations", [])
        )
        return Alignment(data["engine"], data["audio"], int(data["duration_ms"]), frags, devs)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise AlignmentError(
            f"alignment.json is not in the expected format ({err!r}); delete it and align again"
        ) from err


def write_alignment(path: str | os.PathLike[str], al: Alignment) -> Path:
    return write_json(path, alignment_to_dict(al))


def read_alignment(path: str | os.PathLike[str]) -> Alignment:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # ValueError: not JSON, or not UTF-8 text
        raise AlignmentError(f"cannot read {path}: {err}; delete it and align again") from err
    return alignment_from_dict(data)
