"""Align a recording to a script file: the `perspective align` command and the pipeline's align stage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..audio import quick_probe, require_read_length, stated_duration_ms
from ..errors import AudioError
from ..models import Alignment
from . import get_engine, write_alignment
from .base import FragmentInput
from .inputs import fragments_from_script

StageProgress = Callable[[str, float, str], None]
TRUNCATED_SHARE = 0.9  # decoded audio under this share of the header's duration ...
TRUNCATED_MIN_MS = 1000  # ... and this much short of it (encoder padding, rounding): truncated


@dataclass(frozen=True)
class AlignResult:
    alignment: Alignment
    report: str = ""
    disagreements: list[dict[str, object]] = field(default_factory=list)


def _engine_settings(
    engine: str, whisper_model: str | None, offline: bool = False, accept_low_confidence: bool = False
) -> dict[str, object]:
    """Whisper gets its model and may fetch a named one into its cache unless ``offline``; tts-dtw
    produces even a script its evidence says is wrong when ``accept_low_confidence``."""
    if engine == "tts-dtw":
        return {"accept_low_confidence": True} if accept_low_confidence else {}
    if engine != "whisper":
        return {}
    settings: dict[str, object] = {"allow_download": not offline}
    if whisper_model:
        settings["model"] = whisper_model
    return settings


def check_complete(audio: Path, decoded_ms: int) -> None:
    """Refuse a recording that decodes to much less than its own header states (a truncated
    copy or download): aligning the whole script onto part of the read gives wrong captions."""
    stated = stated_duration_ms(audio)
    if stated is not None and decoded_ms < TRUNCATED_SHARE * stated - TRUNCATED_MIN_MS:
        raise AudioError(
            f"{audio.name} looks truncated: its header says {stated / 1000:.1f} s but only "
            f"{decoded_ms / 1000:.1f} s of audio decode; copy or export the recording again"
        )


def resolve_engine(engine: str, whisper_model: str | None) -> str:
    if engine != "auto":
        return engine
    from .crosscheck import choose_engine

    return choose_engine("auto", whisper_model)


def align_fragments(
    audio: Path,
    fragments: Sequence[FragmentInput],
    engine: str = "tts-dtw",
    whisper_model: str | None = None,
    cross_check: bool = False,
    progress: StageProgress | None = None,
    offline: bool = False,
    accept_low_confidence: bool = False,
) -> AlignResult:
    def report(stage: str) -> Callable[[float, str], None]:
        def tell(fraction: float, message: str = "") -> None:
            if progress is not None:
                progress(stage, fraction, message)

        return tell

    # missing, empty, unreadable, not audio or a fraction of a second: say so before any work
    require_read_length(audio, quick_probe(audio))
    name = resolve_engine(engine, whisper_model)
    alignment = get_engine(name, **_engine_settings(name, whisper_model, offline, accept_low_confidence)).align(
        audio, fragments, report("align")
    )
    check_complete(Path(audio), alignment.duration_ms)
    disagreements: list[dict[str, object]] = []
    if cross_check:
        from .crosscheck import cross_check as compare

        other_name = "tts-dtw" if name == "whisper" else "whisper"
        other = get_engine(other_name, **_engine_settings(other_name, whisper_model, offline, accept_low_confidence))
        disagreements = compare(alignment, other.align(audio, fragments, report(f"align:{other_name}")))
    from .report import deviation_report

    return AlignResult(alignment, deviation_report(alignment, disagreements or None), disagreements)


ALIGNMENT_SNIFF_BYTES = 64 << 20  # an alignment.json of a 3-hour episode is a few MB; larger is not one


def is_alignment_json(path: Path) -> bool:
    """Whether ``path`` holds alignment JSON as ``write_alignment`` writes it (safe to replace)."""
    import json

    try:
        if path.stat().st_size > ALIGNMENT_SNIFF_BYTES:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("fragments"), list) and "engine" in data


def align_files(
    audio: Path,
    script: Path,
    output: Path,
    unit: str = "sentence",
    engine: str = "tts-dtw",
    whisper_model: str | None = None,
    cross_check: bool = False,
    progress: StageProgress | None = None,
    offline: bool = False,
    accept_low_confidence: bool = False,
    overwrite: bool = False,
) -> AlignResult:
    """``perspective align``: refuses, before any work, an ``output`` that is the recording or the
    script (also through a link), or an existing file that is not alignment JSON (unless ``overwrite``)."""
    from ..fsutil import guard_output
    from ..script import read_text

    guard_output(output, {"recording": audio, "script": script}, "alignment JSON", is_alignment_json, overwrite)
    text, _ = read_text(script)
    result = align_fragments(
        audio,
        fragments_from_script(text, unit),
        engine,
        whisper_model,
        cross_check,
        progress,
        offline,
        accept_low_confidence,
    )
    write_alignment(output, result.alignment)
    return result
