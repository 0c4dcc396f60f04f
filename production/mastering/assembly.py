"""The premaster: levelled read, intro sting and outro bed on one timeline (pydub + ffmpeg).

Timeline (master time, ms)::

    0 ── sting ── intro_ms ── host read ─────────────────── intro_ms + read ── tail ── end
                               outro_start_ms ── bed (ducked under the voice) ──── fade ┘
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from ..audio import frame_rms_db
from ..errors import AudioError
from .media import (
    WORK_WIDTH,
    decode_samples,
    ffmpeg,
    ffmpeg_pipe,
    load_segment,
    raw_format,
    raw_input_args,
    segment_samples,
    silence,
)
from .meter import integrated_lufs
from .settings import WORK_RATE, MasteringSettings

log = logging.getLogger(__name__)

INT32 = np.iinfo(np.int32)
STEREO = 2  # the master's channels
DUAL_MONO_DB = 10 * math.log10(2)  # 3.01 dB: a mono read on both channels measures this much louder
MIN_BED_MS = 500  # a shorter stretch of bed would only be a blip: leave it out
MIN_THRESHOLD = 0.000976563  # ffmpeg acompressor/sidechaincompress threshold range: 2^-10 … 1


# ------------------------------------------------------------------------------- voice


def voice_gain_db(
    host: Path, settings: MasteringSettings, mono: tuple[np.ndarray, int] | None = None
) -> float:
    """Gain that brings the read to the working level; AudioError for silent or hopeless input.

    ``mono``: the read already decoded (samples, rate); decoded here when not given.
    """
    samples, rate = mono if mono is not None else decode_samples(host, None, channels=1)
    lufs = integrated_lufs(samples, rate)
    if not math.isfinite(lufs):
        raise AudioError(
            f"{host.name} is silent (nothing above the −70 LUFS gate), so it cannot be "
            "loudness-normalised; "
            "check that this is the right file and that the recording has sound"
        )
    if lufs < settings.min_input_lufs:
        raise AudioError(
            f"{host.name} is far too quiet ({lufs:.1f} LUFS, floor {settings.min_input_lufs:.0f}): "
            "normalising "
            "it would mostly raise noise; record again with more input gain"
        )
    log.info("host read: %.1f LUFS", lufs)
    return settings.voice_working_lufs - lufs


def _linear(db: float) -> float:
    return min(1.0, max(MIN_THRESHOLD, 10 ** (db / 20)))


def voice_filter(settings: MasteringSettings, gain_db: float) -> str:
    """ffmpeg filters for the read: working gain, high-pass, gentle RMS compression."""
    threshold = _linear(settings.voice_working_lufs + settings.level_threshold_lu)
    return ",".join(
        [
            f"volume={gain_db:.3f}dB",
            f"highpass=f={settings.highpass_hz:g}:poles=2",
            f"acompressor=threshold={threshold:.6f}:ratio={settings.level_ratio:g}"
            f":attack={settings.level_attack_ms:g}:release={settings.level_release_ms:g}:detection=rms",
        ]
    )


@dataclass(frozen=True)
class Voice:
    frames: np.ndarray  # the levelled read, int32 (n, 1) at 48 kHz: both channels of the master
    lufs: float  # its integrated loudness as stereo (the mono reading + DUAL_MONO_DB)

    @property
    def segment(self) -> AudioSegment:
        """The levelled read as a stereo (dual-mono) 48 kHz 32-bit segment."""
        return segment_of(np.repeat(self.frames, 2, axis=1))


def level_voice(host: Path, settings: MasteringSettings) -> Voice:
    """The levelled read from one decode of the host file: measured (the gain), then levelled
    by ffmpeg from the samples in memory, then measured once as levelled. Only read, never
    written."""
    mono, rate = decode_samples(host, None, channels=1)  # a mono PCM WAV: read as it is
    gain = voice_gain_db(host, settings, (mono, rate))
    raw, _ = ffmpeg_pipe(
        [
            *raw_input_args(raw_format(mono.dtype), rate, 1),
            "-af",
            # integer samples become float first, as ffmpeg's own decode would give them: the
            # resampler and the filters then work in float whatever the file held
            f"aformat=sample_fmts=flt,aresample={WORK_RATE}," + voice_filter(settings, gain),
            "-ar",
            str(WORK_RATE),
            "-f",
            "s32le",
            "pipe:1",
        ],
        np.ascontiguousarray(mono).data.cast("B"),
        "levelling the host read",
    )
    levelled = np.frombuffer(raw, dtype="<i4").reshape(-1, 1)
    # dual mono reads exactly DUAL_MONO_DB louder than one channel: measure one, not two
    return Voice(levelled, integrated_lufs(levelled, WORK_RATE) + DUAL_MONO_DB)


def prepare_voice(host: Path, work: Path, settings: MasteringSettings) -> AudioSegment:
    """The levelled read as a stereo (dual-mono) 48 kHz segment. The host file is only read."""
    return level_voice(host, settings).segment


# ------------------------------------------------------------------------------- music


def load_asset(path: Path, what: str) -> AudioSegment:
    if not path.is_file():
        raise AudioError(
            f"{what} not found at {path}; run `python assets/make_assets.py` or fix the setting"
        )
    return load_segment(path)


def segment_lufs(seg: AudioSegment) -> float:
    return integrated_lufs(segment_samples(seg), seg.frame_rate)


def at_level(seg: AudioSegment, lufs: float, what: str) -> AudioSegment:
    """``seg`` with the gain that makes it measure ``lufs``."""
    own = segment_lufs(seg)
    if not math.isfinite(own):
        raise AudioError(
            f"the {what} is silent; run `python assets/make_assets.py` or fix the setting"
        )
    return seg.apply_gain(lufs - own)


def looped(seg: AudioSegment, ms: int) -> AudioSegment:
    """``seg`` repeated end to end (it must loop seamlessly) and cut to ``ms``."""
    return (seg * (ms // len(seg) + 1))[:ms]


def duck_filter(settings: MasteringSettings, voice_lufs: float) -> str:
    """``sidechaincompress`` keyed by the voice; threshold from the voice level and the depth.

    Above the threshold the gain falls (1 − 1/ratio) dB per dB, so a key at the voice's level
    (per channel: minus 3 dB for dual mono) pulls the bed down by about ``duck_depth_db``.
    """
    key_db = voice_lufs - DUAL_MONO_DB
    threshold = _linear(key_db - settings.duck_depth_db / (1 - 1 / settings.duck_ratio))
    return (
        f"sidechaincompress=threshold={threshold:.6f}:ratio={settings.duck_ratio:g}"
        f":attack={settings.duck_attack_ms:g}:release={settings.duck_release_ms:g}:detection=rms:link=maximum"
    )


def duck_under_voice(
    bed: AudioSegment,
    voice: AudioSegment,
    settings: MasteringSettings,
    work: Path,
    voice_lufs: float | None = None,
) -> AudioSegment:
    """``bed`` ducked by ``sidechaincompress`` keyed by ``voice`` (both start together; the key is
    padded with silence or cut to the bed's length). ``voice_lufs``: the speaking level (measured
    from ``voice`` when not given)."""
    level = segment_lufs(voice) if voice_lufs is None else voice_lufs
    if not math.isfinite(level):
        raise AudioError(
            "the voice under the outro music is silent; check the end of the host recording"
        )
    key = (voice + silence(max(0, len(bed) - len(voice)), voice.channels))[: len(bed)]
    bed_wav, key_wav, out = work / "bed.wav", work / "key.wav", work / "bed_ducked.wav"
    bed.export(bed_wav, format="wav")
    key.export(key_wav, format="wav")
    ffmpeg(
        [
            "-i",
            str(bed_wav),
            "-i",
            str(key_wav),
            "-filter_complex",
            f"[0:a][1:a]{duck_filter(settings, level)}[out]",
            "-map",
            "[out]",
            "-c:a",
            "pcm_s32le",
            str(out),
        ],
        "ducking the music under the voice",
    )
    return load_segment(out)[: len(bed)]


# ------------------------------------------------------------------------------- the timeline


def frames_of(seg: AudioSegment | np.ndarray) -> np.ndarray:
    """A segment's samples as int32 of shape (n, channels): a view of a 32-bit segment, no copy.
    Frames already (an int32 array) pass as they are."""
    if isinstance(seg, np.ndarray):
        return seg
    if seg.sample_width != WORK_WIDTH:
        seg = seg.set_sample_width(WORK_WIDTH)
    return np.frombuffer(seg.raw_data, dtype="<i4").reshape(-1, seg.channels)


def segment_of(frames: np.ndarray) -> AudioSegment:
    """int32 samples (n, channels) at the working rate as a pydub segment."""
    data = np.ascontiguousarray(frames, dtype="<i4").tobytes()
    return AudioSegment(data=data, sample_width=WORK_WIDTH, frame_rate=WORK_RATE, channels=frames.shape[1])


def mix_into(out: np.ndarray, part: np.ndarray, at: int) -> None:
    """Add ``part`` into ``out`` from frame ``at``, as pydub's ``overlay`` does: cut to ``out``'s
    length, sums saturating at the 32-bit limits. Only the overlapped frames are touched."""
    part = part[: max(0, len(out) - at)]
    region = out[at : at + len(part)]
    np.clip(region.astype(np.int64) + part, INT32.min, INT32.max, out=region, casting="unsafe")


def _on_timeline(frames: np.ndarray, at_ms: int, total_frames: int) -> AudioSegment:
    out = np.zeros((total_frames, STEREO), dtype="<i4")
    mix_into(out, frames, at_ms * WORK_RATE // 1000)
    return segment_of(out)


@dataclass(frozen=True)
class Assembly:
    """The premaster and its parts. The read and the bed are kept as they are, with where they
    start: placing each on a full-length timeline of its own would copy the whole programme
    twice more for a figure that only needs the part under the bed."""

    mix: np.ndarray  # everything mixed: int32 (n, 2) at 48 kHz, the samples the render reads
    read: np.ndarray  # the levelled read, int32 (n, 1 or 2), from intro_ms
    ducked_bed: AudioSegment | None  # the ducked, faded bed, from outro_start_ms
    intro_ms: int  # the read starts here
    outro_start_ms: int | None  # the bed starts here

    @property
    def premaster(self) -> AudioSegment:
        """The mix as a pydub segment (a copy)."""
        return segment_of(self.mix)

    @property
    def voice(self) -> AudioSegment:
        """The levelled read alone, on the master's timeline."""
        return _on_timeline(self.read, self.intro_ms, len(self.mix))

    @property
    def bed(self) -> AudioSegment | None:
        """The ducked bed alone, on the master's timeline."""
        if self.ducked_bed is None or self.outro_start_ms is None:
            return None
        return _on_timeline(frames_of(self.ducked_bed), self.outro_start_ms, len(self.mix))


def bed_start_in_read(
    read_ms: int, credits_start_ms: int | None, settings: MasteringSettings
) -> int:
    """Where the bed comes in (host-read time): at the credits, or bed_lead_ms before the end."""
    start = credits_start_ms if credits_start_ms is not None else read_ms - settings.bed_lead_ms
    return min(max(0, start), read_ms)


def _sting(settings: MasteringSettings, voice_lufs: float) -> AudioSegment | None:
    if settings.intro is None:
        return None
    return at_level(
        load_asset(settings.intro, "intro sting"),
        voice_lufs + settings.sting_level_lu,
        "intro sting",
    )


def _ducked_bed(
    bed_path: Path,
    key: AudioSegment,
    voice_lufs: float,
    length_ms: int,
    settings: MasteringSettings,
    work: Path,
) -> AudioSegment:
    """The bed, looped to ``length_ms``, ducked under ``key`` (the read from where the bed comes
    in), faded in and out."""
    raw = at_level(
        load_asset(bed_path, "outro music bed"), voice_lufs + settings.bed_level_lu, "outro bed"
    )
    ducked = duck_under_voice(looped(raw, length_ms), key, settings, work, voice_lufs)
    return faded(ducked, min(settings.bed_fade_in_ms, len(ducked)), min(settings.outro_fade_ms, len(ducked)))


PYDUB_COARSE_FADE_MS = 100  # pydub fades longer than this one gain step per ms, shorter per sample
SILENT_GAIN = 10 ** (-120 / 20)  # pydub's fade floor (−120 dB)


def faded(seg: AudioSegment, in_ms: int, out_ms: int) -> AudioSegment:
    """``seg.fade_in(in_ms).fade_out(out_ms)`` as pydub computes it (a linear gain ramp from
    −120 dB, one step per ms, samples floored), in two array operations instead of pydub's
    thousands of 1 ms segments. Short fades (pydub steps those per sample) go to pydub."""
    per_ms = seg.frame_rate // 1000
    whole_ms = seg.frame_rate % 1000 == 0 and seg.frame_count() % per_ms == 0
    if min(in_ms, out_ms) <= PYDUB_COARSE_FADE_MS or seg.sample_width != WORK_WIDTH or not whole_ms:
        return seg.fade_in(in_ms).fade_out(out_ms)
    frames = frames_of(seg).copy()
    total_ms = len(frames) // per_ms

    def ramp(start_ms: int, ms: int, begin: float, end: float) -> None:
        steps = begin + (end - begin) / ms * np.arange(ms)
        region = frames[start_ms * per_ms : (start_ms + ms) * per_ms]
        scaled = region.reshape(ms, per_ms, -1) * steps[:, None, None]
        np.floor(np.clip(scaled, INT32.min, INT32.max), out=scaled)
        region[:] = scaled.reshape(region.shape)

    ramp(0, in_ms, SILENT_GAIN, 1.0)
    ramp(total_ms - out_ms, out_ms, 1.0, SILENT_GAIN)
    return segment_of(frames)


def intro_offset_ms(settings: MasteringSettings) -> int:
    """Where the host read starts in the master (ms), known before mastering runs so that
    captions and chapters can be placed in master time by earlier stages."""
    if settings.intro is None:
        return 0
    return max(0, len(load_asset(settings.intro, "intro sting")) - settings.intro_overlap_ms)


def _length_ms(frames: np.ndarray) -> int:
    """A read's length in ms as pydub counts it (rounded)."""
    return round(len(frames) * 1000 / WORK_RATE)


def assemble(
    voice: AudioSegment | np.ndarray,
    settings: MasteringSettings,
    work: Path,
    credits_start_ms: int | None = None,
    voice_lufs: float | None = None,
) -> Assembly:
    """Sting, read and ducked outro bed on one timeline. ``voice``: a 48 kHz segment, or the
    read's int32 frames (n, 1 or 2; one channel goes to both, as :func:`level_voice` gives it).
    ``voice_lufs``: the read's loudness as stereo when already known, measured here otherwise."""
    read_frames = frames_of(voice)
    if voice_lufs is None:
        voice_lufs = integrated_lufs(read_frames, WORK_RATE) + (DUAL_MONO_DB if read_frames.shape[1] == 1 else 0.0)
    read_ms = _length_ms(read_frames)
    sting = _sting(settings, voice_lufs)
    intro_ms = max(0, len(sting) - settings.intro_overlap_ms) if sting is not None else 0
    total = intro_ms + read_ms + (settings.outro_tail_ms if settings.outro_bed is not None else 0)
    per_ms = WORK_RATE // 1000
    mix = np.zeros((total * per_ms, STEREO), dtype="<i4")  # the timeline, as pydub counts ms
    placed = read_frames[: len(mix) - intro_ms * per_ms]
    mix[intro_ms * per_ms : intro_ms * per_ms + len(placed)] = placed  # silence there: no sum
    if sting is not None:
        mix_into(mix, frames_of(sting), 0)
    offset = bed_start_in_read(read_ms, credits_start_ms, settings)
    outro_start = intro_ms + offset
    if settings.outro_bed is None or total - outro_start < MIN_BED_MS:
        return Assembly(mix, read_frames, None, intro_ms, None)
    key = read_frames[offset * per_ms :]
    bed = _ducked_bed(
        settings.outro_bed,
        segment_of(np.broadcast_to(key, (len(key), STEREO))),
        voice_lufs,
        total - outro_start,
        settings,
        work,
    )
    mix_into(mix, frames_of(bed), outro_start * per_ms)
    return Assembly(mix, read_frames, bed, intro_ms, outro_start)


# ------------------------------------------------------------------------------- ducking figure


def speech_spans_from_voice(
    samples: np.ndarray, rate: int, below_peak_db: float = 25.0, min_gap_ms: int = 300
) -> list[tuple[int, int]]:
    """Where a clean read speaks (ms): 10 ms frames within ``below_peak_db`` of its loud frames."""
    level = frame_rms_db(samples.mean(axis=1) if samples.ndim == 2 else samples, rate)
    active = np.flatnonzero(level > np.percentile(level, 95) - below_peak_db)
    spans: list[tuple[int, int]] = []
    for i in active:
        ms = int(i) * 10
        if spans and ms - spans[-1][1] <= min_gap_ms:
            spans[-1] = (spans[-1][0], ms + 25)
        else:
            spans.append((ms, ms + 25))
    return spans


def voice_to_bed_db(
    voice: np.ndarray, bed: np.ndarray, rate: int, spans_ms: Sequence[tuple[int, int]]
) -> float | None:
    """Smallest voice-over-bed energy ratio (dB) over the spans (≥ 100 ms) where both sound."""
    gaps = []
    for start, end in spans_ms:
        a, b = start * rate // 1000, min(end * rate // 1000, len(voice), len(bed))
        if b - a < rate // 10:
            continue
        v = float(np.mean(np.square(voice[a:b], dtype=np.float64)))
        m = float(np.mean(np.square(bed[a:b], dtype=np.float64)))
        if v > 0 and m > 0:
            gaps.append(10 * math.log10(v / m))
    return min(gaps) if gaps else None


def bed_under_voice_db(
    asm: Assembly, read_spans_ms: Sequence[tuple[int, int]] | None
) -> float | None:
    """The ducking as heard: voice over bed (dB) in the worst speech span under the bed.

    ``read_spans_ms`` are in host-read time; without them speech is found from the voice's level.
    """
    if asm.ducked_bed is None or asm.outro_start_ms is None:
        return None
    if read_spans_ms is None:
        spans = speech_spans_from_voice(segment_samples(asm.voice), WORK_RATE)
    else:
        spans = [(s + asm.intro_ms, e + asm.intro_ms) for s, e in read_spans_ms]
    start = asm.outro_start_ms
    # only the part under the bed (master time from ``start``): the read there, and the bed
    bed = segment_samples(asm.ducked_bed)
    voice = np.zeros_like(bed)
    first = (start - asm.intro_ms) * WORK_RATE // 1000
    part = asm.read[first : first + len(bed)]
    voice[: len(part)] = part / np.float32(2**31)
    under_bed = [(max(s, start) - start, e - start) for s, e in spans if e > start]
    return voice_to_bed_db(voice, bed, WORK_RATE, under_bed)
