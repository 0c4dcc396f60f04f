"""master(): the host read in, the WAV broadcast master and the tagged MP3 out."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..audio import probe
from ..errors import AudioError
from ..fsutil import atomic_path
from ..tags import Chapter, EpisodeTags, check_chapters, check_cover, check_tags, write_tags
from .assembly import assemble, bed_under_voice_db, level_voice
from .loudness import ProgressFn, conform
from .settings import MasteringSettings

MIN_READ_MS = 1000  # shorter than this there is no programme to normalise


@dataclass(frozen=True)
class MasterReport:
    """What master() made, with loudness read back from the outputs by the independent meter."""

    profile: str
    target_lufs: float
    true_peak_limit_dbtp: float
    integrated_lufs: float  # the MP3, decoded, pyloudnorm (ITU-R BS.1770-4)
    true_peak_dbtp: float  # the MP3, decoded, 4× oversampled
    lra_lu: float  # EBU Tech 3342 loudness range of the WAV master as rendered (the meter)
    wav_integrated_lufs: float
    wav_true_peak_dbtp: float
    duration_ms: int  # of the master (WAV)
    intro_ms: int  # the host read starts here in the master: add it to host-read times
    outro_start_ms: int | None  # the outro bed starts here (master time); None without a bed
    normalization: str  # "linear": one gain to the target, the limiter only holding peaks
    corrections: int  # gain/limiter passes needed after the render (WAV and MP3 together)
    bed_under_voice_db: float | None  # voice over bed in the worst speech span under the bed
    chapters: tuple[Chapter, ...] = field(default=())  # as written to the MP3 (master time)

    def to_dict(self) -> dict[str, Any]:
        """For manifest.json: plain values, loudness rounded to what a meter shows."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 2)
        return out


def shift_chapters(
    chapters: Sequence[Chapter], intro_ms: int, duration_ms: int
) -> tuple[Chapter, ...]:
    """Host-read chapters → master time: each shifted by ``intro_ms``; the first then opens at 0
    (the sting belongs to it) and the last closes at ``duration_ms`` (the outro belongs to it)."""
    out = [
        replace(c, start_ms=c.start_ms + intro_ms, end_ms=min(c.end_ms + intro_ms, duration_ms))
        for c in chapters
    ]
    if out:
        out[0] = replace(out[0], start_ms=0)
        out[-1] = replace(out[-1], end_ms=duration_ms)
    return tuple(out)


def _check_inputs(
    host: Path, outs: Sequence[Path], tags: EpisodeTags, chapters: Sequence[Chapter], cover: Path
) -> None:
    """Everything that can be wrong with the inputs, found before any work is done."""
    info = probe(host)
    if len({out.resolve() for out in outs}) < len(outs):
        raise AudioError("the MP3 and the WAV master need different output paths")
    for out in outs:
        if out.resolve() == host.resolve():
            raise AudioError(
                f"output {out.name} would overwrite the host recording; choose another output path"
            )
    if info.duration_ms < MIN_READ_MS:
        raise AudioError(
            f"{host.name} is only {info.duration_ms} ms long; master a full read (at least 1 s)"
        )
    last_end = max((c.end_ms for c in chapters), default=0)
    if last_end > info.duration_ms + MIN_READ_MS:
        raise AudioError(
            f"chapters run to {last_end} ms but {host.name} lasts {info.duration_ms} ms; "
            "chapters must be "
            "in host-read time (align this recording again)"
        )
    check_tags(tags)
    check_chapters(chapters)
    check_cover(cover)


def _no_progress(fraction: float, message: str) -> None:
    return None


def master(
    host_audio: Path,
    out_mp3: Path,
    out_wav: Path,
    settings: MasteringSettings,
    tags: EpisodeTags,
    chapters: Sequence[Chapter],
    speech_spans_ms: Sequence[tuple[int, int]] | None = None,
    progress: ProgressFn | None = None,
    credits_start_ms: int | None = None,
) -> MasterReport:
    """Master the host read into ``out_wav`` (48 kHz 24-bit stereo) and ``out_mp3`` (tagged, CBR).

    ``chapters``, ``speech_spans_ms`` and ``credits_start_ms`` are in host-read time; the
    report's ``intro_ms`` is the shift to master time (chapters are shifted here, see
    :func:`shift_chapters`). Speech spans only feed the report's ducking figure (found from the
    voice's level when not given). The outro bed comes in at ``credits_start_ms`` (default:
    ``settings.bed_lead_ms`` before the read ends). Both outputs appear only once complete; the
    host file is only read.
    """
    say = progress or _no_progress
    host, out_mp3, out_wav = Path(host_audio), Path(out_mp3), Path(out_wav)
    cover = tags.cover or settings.cover
    _check_inputs(host, [out_mp3, out_wav], tags, chapters, cover)
    with tempfile.TemporaryDirectory(prefix="perspective-master-") as tmp:
        work = Path(tmp)
        say(0.0, "levelling the host read")
        voice = level_voice(host, settings)
        say(0.25, "assembling sting, read and outro")
        asm = assemble(voice.frames, settings, work, credits_start_ms, voice.lufs)
        ducking = bed_under_voice_db(asm, speech_spans_ms)
        with atomic_path(out_wav) as wav_tmp, atomic_path(out_mp3) as mp3_tmp:
            result = conform(asm.mix, wav_tmp, mp3_tmp, work, settings, say)
            say(0.95, "writing ID3 tags and chapters")
            written = shift_chapters(chapters, asm.intro_ms, result.wav.duration_ms)
            write_tags(mp3_tmp, tags, written, cover)
    say(1.0, "mastered")
    t = settings.target
    return MasterReport(
        profile=t.name,
        target_lufs=t.target_lufs,
        true_peak_limit_dbtp=t.true_peak_dbtp,
        integrated_lufs=result.mp3.integrated_lufs,
        true_peak_dbtp=result.mp3.true_peak_dbtp,
        lra_lu=result.mp3.lra_lu,
        wav_integrated_lufs=result.wav.integrated_lufs,
        wav_true_peak_dbtp=result.wav.true_peak_dbtp,
        duration_ms=result.wav.duration_ms,
        intro_ms=asm.intro_ms,
        outro_start_ms=asm.outro_start_ms,
        normalization=result.normalization,
        corrections=result.corrections,
        bed_under_voice_db=ducking,
        chapters=written,
    )
