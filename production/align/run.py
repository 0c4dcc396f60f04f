"""Align a recording to a script file: the `perspective align` command and the pipeline's align stage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Alignment
from . import get_engine, write_alignment
from .base import FragmentInput
from .inputs import fragments_from_script

StageProgress = Callable[[str, float, str], None]


@dataclass(frozen=True)
class AlignResult:
    alignment: Alignment
    report: str = ""
    disagreements: list[dict[str, object]] = field(default_factory=list)


def _engine_settings(engine: str, whisper_model: str | None) -> dict[str, object]:
    return {"model": whisper_model} if engine == "whisper" and whisper_model else {}


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
) -> AlignResult:
    def report(stage: str) -> Callable[[float, str], None]:
        return lambda fraction, message="": progress(stage, fraction, message) if progress else None

    name = resolve_engine(engine, whisper_model)
    alignment = get_engine(name, **_engine_settings(name, whisper_model)).align(audio, fragments, report("align"))
    disagreements: list[dict[str, object]] = []
    if cross_check:
        from .crosscheck import cross_check as compare

        other_name = "tts-dtw" if name == "whisper" else "whisper"
        other = get_engine(other_name, **_engine_settings(other_name, whisper_model))
        disagreements = compare(alignment, other.align(audio, fragments, report(f"align:{other_name}")))
    text = ""
    if alignment.deviations:
        from .report import deviation_report

        text = deviation_report(alignment)
    return AlignResult(alignment, text, disagreements)


def align_files(
    audio: Path,
    script: Path,
    output: Path,
    unit: str = "sentence",
    engine: str = "tts-dtw",
    whisper_model: str | None = None,
    cross_check: bool = False,
    progress: StageProgress | None = None,
) -> AlignResult:
    from ..script import read_text

    text, _ = read_text(script)
    result = align_fragments(audio, fragments_from_script(text, unit), engine, whisper_model, cross_check, progress)
    write_alignment(output, result.alignment)
    return result
