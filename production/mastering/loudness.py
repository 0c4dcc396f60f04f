"""Loudness to spec in one render: analyse once, render once, verify once with the independent
meter.

1. **analyse** — the premaster (in memory) is read once by the meter (ITU-R BS.1770-4
   loudness); the gain to the target follows, and the MP3 encoder's loudness change is read on
   a few excerpts (:func:`mp3_loss_db`).
2. **render** — the 24-bit WAV master is the premaster at the gain, written here
   (:func:`write_wav24`), while ffmpeg encodes the MP3 from the same samples. A gain moves a
   true peak by the gain only, so the WAV's true peak, read to verify it, says whether a
   limiter is needed (it costs as much CPU as the MP3 encode): only then one ffmpeg process
   renders both again with a 4×-oversampled limiter under the true-peak target less
   ``encode_headroom_db`` (MP3 encoding raises peaks). With another WAV format ffmpeg writes
   the WAV too and the premaster's own true peak decides the limiter beforehand.
3. **verify** — the meter (code independent of the renderer) reads the WAV (loudness, true peak,
   loudness range) and the decoded MP3 once each. Only an output read off aim (``aim_lu``, or a
   true peak over the limit) gets a gain (+ limiter) correction, re-measured (:func:`settle`);
   normally there is none.

A gain and a limiter are what two-pass ``loudnorm`` in linear mode did, less its second decode
and its re-measurements: the report's ``normalization`` stays "linear".
"""

from __future__ import annotations

import logging
import math
import shutil
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numba import njit

from ..errors import AudioError, RenderError
from ..fsutil import explain_os_error
from .media import decode_samples, ffmpeg, ffmpeg_pipe, full_scale, raw_input_args
from .meter import (
    OVERSAMPLE,
    Loudness,
    integrated_lufs,
    loudness_range,
    measure,
    true_peak_dbtp,
)
from .settings import WORK_RATE, MasteringSettings

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]  # (fraction done 0..1, message), as the aligners use
Render = Callable[
    [float, float | None], None
]  # (gain dB, limiter ceiling dBTP or None) → writes an output
STEREO = 2  # every file this module reads is one of its own stereo intermediates or outputs
MIN_LIMIT = 0.0625  # ffmpeg alimiter's smallest limit (−24 dBFS)
EXCERPT_S = 10  # s per excerpt the MP3 encoder's loudness change is read on
EXCERPTS = 3  # excerpts, spread evenly over the programme
MAX_MP3_TRIM_DB = 1.0  # a larger reading would be a fault of the excerpt, not the encoder


def limiter_filter(ceiling_dbtp: float, rate: int) -> str:
    """A peak limiter run at 4× the rate, so it holds inter-sample (true) peaks too.

    ``level=false``: alimiter otherwise re-normalises its output; ``latency=true``: no delay.
    """
    limit = min(1.0, max(MIN_LIMIT, 10 ** (ceiling_dbtp / 20)))
    return (
        f"aresample={rate * OVERSAMPLE},alimiter=limit={limit:.6f}:attack=1:release=60"
        f":level=false:latency=true,aresample={rate}"
    )


def gain_filter(gain_db: float, ceiling_dbtp: float | None, rate: int) -> str:
    """A gain, then (with a ceiling) the true-peak limiter."""
    chain = f"volume={gain_db:.3f}dB"
    return chain if ceiling_dbtp is None else f"{chain},{limiter_filter(ceiling_dbtp, rate)}"


def gain_and_limit(
    src: Path, dst: Path, gain_db: float, ceiling_dbtp: float | None, codec: str, rate: int
) -> None:
    ffmpeg(
        [
            "-i",
            str(src),
            "-af",
            gain_filter(gain_db, ceiling_dbtp, rate),
            "-ar",
            str(rate),
            "-c:a",
            codec,
            "-f",
            "wav",
            str(dst),
        ],
        "gain and peak limiting",
    )


def encode_mp3(
    src: Path,
    dst: Path,
    settings: MasteringSettings,
    gain_db: float = 0.0,
    ceiling_dbtp: float | None = None,
) -> None:
    """CBR MP3 (libmp3lame) at the podcast rate, after an optional gain/limiter; no tags yet."""
    ffmpeg(
        [
            "-i",
            str(src),
            "-map_metadata",
            "-1",
            "-af",
            gain_filter(gain_db, ceiling_dbtp, settings.wav_rate),
            "-ar",
            str(settings.mp3_rate),
            "-ac",
            str(settings.channels),
            *mp3_codec_args(settings),
            str(dst),
        ],
        "MP3 encoding",
    )


def in_spec(m: Loudness, settings: MasteringSettings) -> bool:
    """Within the tolerance of the target and at or under the true-peak limit."""
    t = settings.target
    return (
        abs(m.integrated_lufs - t.target_lufs) <= settings.tolerance_lu
        and m.true_peak_dbtp <= t.true_peak_dbtp
    )


def _on_aim(m: Loudness, settings: MasteringSettings) -> bool:
    t = settings.target
    return (
        abs(m.integrated_lufs - t.target_lufs) <= settings.aim_lu
        and m.true_peak_dbtp <= t.true_peak_dbtp
    )


def _with_lra(m: Loudness, path: Path, rate: int, lra: bool) -> Loudness:
    if not lra:
        return m
    return replace(m, lra_lu=loudness_range(decode_samples(path, rate, STEREO)[0], rate))


def _next_ceiling(
    m: Loudness, step_db: float, ceiling: float | None, attempt: int, settings: MasteringSettings
) -> float | None:
    """A limiter ceiling once the next gain would push peaks over the limit; tighter each time."""
    limit = settings.target.true_peak_dbtp
    if ceiling is None and m.true_peak_dbtp + step_db <= limit:
        return None
    wanted = limit - settings.guard_margin_db * (attempt + 1)
    return wanted if ceiling is None else min(ceiling, wanted)


def settle(
    render: Render,
    out: Path,
    rate: int,
    settings: MasteringSettings,
    what: str,
    first: Loudness | None = None,
    lra: bool = True,
) -> tuple[Loudness, int]:
    """Render, measure independently, correct (gain; a limiter when peaks need it) until on aim.

    ``first``: the reading of ``out`` as already rendered (gain 0): no first render then.
    Returns the final reading (with LRA unless ``lra`` is False) and the number of corrections.
    Raises RenderError when the output is still out of spec after ``max_corrections``.
    """
    t = settings.target
    gain, ceiling = 0.0, None
    for attempt in range(settings.max_corrections + 1):
        if attempt == 0 and first is not None:
            m = first
        else:
            render(gain, ceiling)
            m = measure(out, rate, lra=False, channels=STEREO)
        log.info(
            "%s: %.2f LUFS, %.2f dBTP (gain %+.2f dB, ceiling %s)",
            what,
            m.integrated_lufs,
            m.true_peak_dbtp,
            gain,
            ceiling,
        )
        if _on_aim(m, settings):
            return _with_lra(m, out, rate, lra), attempt
        if attempt < settings.max_corrections:
            step = t.target_lufs - m.integrated_lufs
            ceiling = _next_ceiling(m, step, ceiling, attempt, settings)
            gain += step
    if in_spec(m, settings):
        return _with_lra(m, out, rate, lra), settings.max_corrections
    raise RenderError(
        f"could not bring the {what} to {t.target_lufs:g} LUFS / {t.true_peak_dbtp:g} dBTP "
        f"(measured {m.integrated_lufs:.2f} LUFS, {m.true_peak_dbtp:.2f} dBTP after "
        f"{settings.max_corrections} "
        "corrections); check the host recording for long silences or noise bursts"
    )


def render_args(
    gain_db: float,
    wav: Path,
    mp3: Path,
    settings: MasteringSettings,
    mp3_trim_db: float = 0.0,
    peak_dbtp: float | None = None,
) -> list[str]:
    """One ffmpeg command: premaster (s32le stereo on stdin) → gain → true-peak limiter → the WAV
    master and, ``mp3_trim_db`` louder, the MP3.

    ``peak_dbtp``: the premaster's true peak; when the gain (and the MP3's trim) keep it at or
    under the ceiling, the limiter is left out. None: always limit.
    """
    limit = render_ceiling(gain_db, settings, mp3_trim_db, peak_dbtp)
    graph = (
        f"[0:a]{gain_filter(gain_db, limit, WORK_RATE)},asplit=2[wav][m];"
        f"[m]volume={mp3_trim_db:.3f}dB,aresample={settings.mp3_rate}[mp3]"
    )
    return [
        *raw_input_args("s32le", WORK_RATE, STEREO),
        "-filter_complex",
        graph,
        "-map",
        "[wav]",
        *wav_output_args(settings),
        str(wav),
        "-map",
        "[mp3]",
        "-map_metadata",
        "-1",
        "-ac",
        str(settings.channels),
        *mp3_codec_args(settings),
        str(mp3),
    ]


def render_ceiling(
    gain_db: float, settings: MasteringSettings, mp3_trim_db: float = 0.0, peak_dbtp: float | None = None
) -> float | None:
    """The render's limiter ceiling (dBTP), or None when the analysed true peak ``peak_dbtp``
    stays at or under it after the gain (and the MP3's trim): a gain moves every peak by itself
    only, so such a limiter could never act. ``peak_dbtp`` None: not analysed, always limit."""
    ceiling = settings.target.true_peak_dbtp - settings.encode_headroom_db
    if peak_dbtp is not None and peak_dbtp + gain_db + max(0.0, mp3_trim_db) <= ceiling:
        return None
    return ceiling


def wav_args(gain_db: float, wav: Path, settings: MasteringSettings) -> list[str]:
    """premaster (s32le stereo on stdin) → gain → the WAV master (no limiter: see render_ceiling)."""
    return [
        *raw_input_args("s32le", WORK_RATE, STEREO),
        "-af",
        gain_filter(gain_db, None, WORK_RATE),
        *wav_output_args(settings),
        str(wav),
    ]


def wav_output_args(settings: MasteringSettings) -> list[str]:
    """ffmpeg's output options for the WAV master (rate, channels, codec, container)."""
    return ["-ar", str(settings.wav_rate), "-ac", str(settings.channels), "-c:a", settings.wav_codec, "-f", "wav"]


def mp3_args(gain_db: float, mp3: Path, settings: MasteringSettings) -> list[str]:
    """premaster (s32le stereo on stdin) → gain → the MP3 (no limiter: see render_ceiling)."""
    return [
        *raw_input_args("s32le", WORK_RATE, STEREO),
        "-af",
        f"{gain_filter(gain_db, None, WORK_RATE)},aresample={settings.mp3_rate}",
        "-map_metadata",
        "-1",
        "-ac",
        str(settings.channels),
        *mp3_codec_args(settings),
        str(mp3),
    ]


PCM24_MAX = 2**23 - 1  # the largest 24-bit sample
# WAVE_FORMAT_EXTENSIBLE with KSDATAFORMAT_SUBTYPE_PCM, front left + right: the header ffmpeg's
# wav muxer writes for 24-bit stereo
PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")
FRONT_LEFT_RIGHT = 0x3


@njit(cache=True, nogil=True)
def _pack24(x: np.ndarray, factor: float, out: np.ndarray) -> None:  # pragma: no cover - numba
    """int32 samples × ``factor`` (the gain, and 2^-8 to 24 bits), rounded and clipped, as
    little-endian 3-byte samples into ``out`` (x.size × 3 bytes)."""
    flat = x.reshape(-1)
    for i in range(flat.size):
        v = round(np.float64(flat[i]) * factor)
        v = min(max(v, -PCM24_MAX - 1), PCM24_MAX)
        k = int(v) & 0xFFFFFF
        out[3 * i] = k & 0xFF
        out[3 * i + 1] = (k >> 8) & 0xFF
        out[3 * i + 2] = k >> 16


def pcm24_header(frames: int, rate: int, channels: int) -> bytes:
    """A 24-bit PCM WAV header (WAVE_FORMAT_EXTENSIBLE, as ffmpeg writes it) for ``frames``."""
    align = 3 * channels
    data = frames * align
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * align, align, 24, 22, 24, FRONT_LEFT_RIGHT)
    fmt += PCM_GUID
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data) + b"WAVE" + b"fmt " + struct.pack(
        "<I", len(fmt)
    ) + fmt + b"data" + struct.pack("<I", data)


def direct_wav(settings: MasteringSettings, frames: int) -> bool:
    """Whether the WAV master is written here (24-bit stereo at the working rate, under the 4 GiB
    a RIFF size can hold) rather than by ffmpeg."""
    return (
        settings.wav_codec == "pcm_s24le"
        and settings.wav_rate == WORK_RATE
        and settings.channels == STEREO
        and frames * 3 * STEREO < 2**32 - 64
    )


def write_wav24(premaster: np.ndarray, gain_db: float, path: Path) -> None:
    """The WAV master from the premaster (int32 stereo at the working rate): the gain (no limiter:
    see render_ceiling), rounded to 24 bits, written in one pass without an ffmpeg process and
    the pipe that would carry every sample to it. The meter then reads the file back."""
    x = np.ascontiguousarray(premaster, dtype="<i4")
    packed = np.empty(x.size * 3, dtype=np.uint8)
    _pack24(x, 10 ** (gain_db / 20) / 256, packed)
    try:
        with open(path, "wb") as f:
            f.write(pcm24_header(len(x), WORK_RATE, x.shape[1]))
            f.write(packed.data)
    except OSError as exc:
        raise explain_os_error(exc, near=path) from exc


def mp3_codec_args(settings: MasteringSettings) -> list[str]:
    """The MP3's codec options: CBR libmp3lame, a Xing header, no tags (mutagen writes them)."""
    return [
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{settings.mp3_bitrate_kbps}k",
        "-write_xing",
        "1",
        "-id3v2_version",
        "0",
        "-write_id3v1",
        "0",
        "-f",
        "mp3",
    ]


def mp3_loss_db(samples: np.ndarray, gain_db: float, settings: MasteringSettings) -> float:
    """How much quieter (LU) the MP3 encoder makes this programme, read on a few excerpts.

    LAME leaves out what its psychoacoustic model calls masked: on a levelled synthetic read
    that is ~0.25 LU, more than ``aim_lu``. Encoding ``EXCERPTS`` × ``EXCERPT_S`` s spread
    over the programme (a fraction of a second) lets the one render give the MP3 its own gain,
    instead of a second MP3 encode after the meter finds it short.
    """
    span = EXCERPT_S * WORK_RATE
    if len(samples) <= EXCERPTS * span:
        part = samples
    else:
        starts = [len(samples) * (k + 1) // (EXCERPTS + 1) - span // 2 for k in range(EXCERPTS)]
        part = np.concatenate([samples[a : a + span] for a in starts])
    part = (part * np.float32(full_scale(samples.dtype) * 10 ** (gain_db / 20))).astype(np.float32)
    encoded, _ = ffmpeg_pipe(
        [
            *raw_input_args("f32le", WORK_RATE, STEREO),
            "-ar",
            str(settings.mp3_rate),
            "-ac",
            str(STEREO),
            *mp3_codec_args(settings),
            "pipe:1",
        ],
        part.tobytes(),
        "encoding an MP3 excerpt",
    )
    raw, _ = ffmpeg_pipe(
        ["-f", "mp3", "-i", "pipe:0", "-f", "f32le", "-ac", str(STEREO), "pipe:1"],
        encoded,
        "decoding the MP3 excerpt",
    )
    decoded = np.frombuffer(raw, dtype="<f4").reshape(-1, STEREO)
    loss = integrated_lufs(part, WORK_RATE) - integrated_lufs(decoded, settings.mp3_rate)
    return min(MAX_MP3_TRIM_DB, max(-MAX_MP3_TRIM_DB, loss)) if math.isfinite(loss) else 0.0


def measure_both(wav: Path, mp3: Path, settings: MasteringSettings) -> tuple[Loudness, Loudness]:
    """The meter's readings of the WAV master (with its loudness range) and the MP3, taken side
    by side: the MP3 in a second thread (the decode is ffmpeg's, the meter's compiled passes
    release the GIL) while this one reads the WAV. No process is forked."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="meter") as pool:
        mp3_reading = pool.submit(measure, mp3, settings.mp3_rate, False, STEREO)
        wav_reading = measure(wav, settings.wav_rate, lra=True, channels=STEREO)
        return wav_reading, mp3_reading.result()


@dataclass(frozen=True)
class Conformed:
    wav: Loudness
    mp3: Loudness
    normalization: str  # "linear": one gain (the limiter only holds peaks)
    corrections: int  # gain/limiter passes after the render, WAV and MP3 together


def conform(
    premaster: np.ndarray,
    wav_out: Path,
    mp3_out: Path,
    work: Path,
    settings: MasteringSettings,
    progress: ProgressFn,
) -> Conformed:
    """Premaster (int32 stereo frames at 48 kHz) → WAV master and MP3, each read on aim by the
    meter."""
    t = settings.target
    progress(0.5, "loudness: analysing the premaster")
    lufs = integrated_lufs(premaster, WORK_RATE)
    if not math.isfinite(lufs):
        raise AudioError("the assembled programme is silent; check the host recording")
    gain = t.target_lufs - lufs
    data = np.ascontiguousarray(premaster, dtype="<i4").data.cast("B")
    direct = direct_wav(settings, len(premaster))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="master") as beside:
        # written here, the WAV master is the premaster at the gain: its true peak, read anyway to
        # verify it, is the analysis's (the premaster's + the gain), so the premaster's is not
        # computed; otherwise the true peak (compiled, no GIL) runs beside the MP3 excerpts
        peak = None if direct else beside.submit(true_peak_dbtp, premaster, WORK_RATE)
        trim = mp3_loss_db(premaster, gain, settings)
        ceiling = render_ceiling(gain, settings, trim, peak.result()) if peak is not None else None
        progress(0.6, "rendering the WAV master and the MP3")
        if ceiling is None:  # two processes: the WAV is written and verified while LAME encodes the MP3
            encoding = beside.submit(ffmpeg_pipe, mp3_args(gain + trim, mp3_out, settings), data, "encoding the MP3")
            if direct:
                write_wav24(premaster, gain, wav_out)
            else:
                ffmpeg_pipe(wav_args(gain, wav_out, settings), data, "writing the WAV master")
            progress(0.7, "verifying the WAV master while the MP3 encodes")
            wav = measure(wav_out, settings.wav_rate, lra=True, channels=STEREO)
            encoding.result()
            if direct:  # the WAV's peak as the premaster's: a peak the MP3 would carry over the ceiling
                ceiling = render_ceiling(0.0, settings, trim, wav.true_peak_dbtp)
            if ceiling is None:
                progress(0.8, "verifying the MP3")
                mp3_reading = measure(mp3_out, settings.mp3_rate, lra=False, channels=STEREO)
            else:
                log.info("true peak %.2f dBTP after the gain: rendering again with the limiter", wav.true_peak_dbtp)
        if ceiling is not None:  # one process: the limiter runs once for both outputs
            ffmpeg_pipe(render_args(gain, wav_out, mp3_out, settings, trim), data, "rendering the master")
            progress(0.8, "verifying the WAV master and the MP3")
            wav, mp3_reading = measure_both(wav_out, mp3_out, settings)
    lra = wav.lra_lu
    log.info(
        "rendered at %+.2f dB (MP3 %+.2f dB more): WAV %.2f LUFS %.2f dBTP, MP3 %.2f LUFS %.2f dBTP",
        gain,
        trim,
        wav.integrated_lufs,
        wav.true_peak_dbtp,
        mp3_reading.integrated_lufs,
        mp3_reading.true_peak_dbtp,
    )
    mp3: Loudness | None = mp3_reading
    fixes = 0
    if not _on_aim(wav, settings):
        rendered = work / "rendered.wav"
        shutil.copyfile(wav_out, rendered)

        def render_wav(gain: float, ceiling: float | None) -> None:
            gain_and_limit(rendered, wav_out, gain, ceiling, settings.wav_codec, settings.wav_rate)

        wav, fixes = settle(render_wav, wav_out, settings.wav_rate, settings, "WAV master", wav, lra=False)
        mp3 = None  # encoded again from the corrected WAV
    if mp3 is None or not _on_aim(mp3, settings):

        def render_mp3(gain: float, ceiling: float | None) -> None:
            encode_mp3(wav_out, mp3_out, settings, gain, ceiling)

        mp3, mp3_fixes = settle(render_mp3, mp3_out, settings.mp3_rate, settings, "MP3", mp3, lra=False)
        fixes += mp3_fixes
    return Conformed(replace(wav, lra_lu=lra), replace(mp3, lra_lu=lra), "linear", fixes)
