"""Loudness to spec: a guard limiter, two-pass loudnorm, then verify-and-correct with the meter.

ffmpeg ``loudnorm`` two-pass (docs/output-rules.md "Loudness and audio"): pass 1 ``print_format=json``
gives ``input_i/input_tp/input_lra/input_thresh/target_offset``; pass 2 feeds them back as
``measured_*`` with ``linear=true``. Linear mode needs the programme's true peak after the gain
to stay under the TP target and its LRA under the LRA target; otherwise loudnorm silently falls
back to dynamic mode (which also runs at 192 kHz internally — the output rate is always set).
The guard (gain to the target, then a 4×-oversampled limiter under the TP target) makes linear
mode the normal case; the independent meter has the last word either way.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import AudioError, RenderError
from .media import decode_float, ffmpeg
from .meter import (
    ABSOLUTE_GATE_LUFS,
    OVERSAMPLE,
    Loudness,
    integrated_lufs,
    loudness_range,
    measure,
)
from .settings import WORK_RATE, MasteringSettings

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]  # (fraction done 0..1, message), as the aligners use
Render = Callable[
    [float, float | None], None
]  # (gain dB, limiter ceiling dBTP or None) → writes an output
STEREO = 2  # every file this module reads is one of its own stereo intermediates or outputs
MIN_LIMIT = 0.0625  # ffmpeg alimiter's smallest limit (−24 dBFS)
_LOUDNORM_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


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


def loudnorm_json(stderr: str) -> dict[str, str]:
    """The last JSON block loudnorm printed (its measurements or its report)."""
    found = _LOUDNORM_JSON.findall(stderr)
    if not found:
        raise RenderError("ffmpeg loudnorm printed no measurements; use ffmpeg 4.0 or newer")
    return dict(json.loads(found[-1]))


def loudnorm_two_pass(
    src: Path, dst: Path, tp_dbtp: float, settings: MasteringSettings
) -> dict[str, str]:
    """Normalise ``src`` into ``dst`` (WAV master format); returns pass 2's report."""
    target = settings.target.target_lufs
    first = f"loudnorm=I={target:g}:TP={tp_dbtp:g}:LRA={settings.loudnorm_lra:g}:print_format=json"
    m = loudnorm_json(
        ffmpeg(["-i", str(src), "-af", first, "-f", "null", "-"], "loudnorm pass 1 (measuring)")
    )
    if float(m["input_i"]) <= ABSOLUTE_GATE_LUFS:
        raise AudioError("the assembled programme is silent; check the host recording")
    # the read is levelled already: allowing its measured LRA keeps loudnorm in linear mode
    lra = min(50.0, max(settings.loudnorm_lra, math.ceil(float(m["input_lra"]) + 1)))
    second = (
        f"loudnorm=I={target:g}:TP={tp_dbtp:g}:LRA={lra:g}:measured_I={m['input_i']}"
        f":measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}"
        f":offset={m['target_offset']}:linear=true:print_format=json"
    )
    report = loudnorm_json(
        ffmpeg(
            [
                "-i",
                str(src),
                "-af",
                second,
                "-ar",
                str(settings.wav_rate),
                "-ac",
                str(settings.channels),
                "-c:a",
                settings.wav_codec,
                "-f",
                "wav",
                str(dst),
            ],
            "loudnorm pass 2 (normalising)",
        )
    )
    log.info("loudnorm pass 2: %s", report.get("normalization_type"))
    return report


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


def _with_lra(m: Loudness, path: Path, rate: int) -> Loudness:
    return replace(m, lra_lu=loudness_range(decode_float(path, rate, STEREO)[0], rate))


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
    render: Render, out: Path, rate: int, settings: MasteringSettings, what: str
) -> tuple[Loudness, int]:
    """Render, measure independently, correct (gain; a limiter when peaks need it) until on aim.

    Returns the final reading (with LRA) and the number of corrections. Raises RenderError when
    the output is still out of spec after ``max_corrections``.
    """
    t = settings.target
    gain, ceiling = 0.0, None
    for attempt in range(settings.max_corrections + 1):
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
            return _with_lra(m, out, rate), attempt
        if attempt < settings.max_corrections:
            step = t.target_lufs - m.integrated_lufs
            ceiling = _next_ceiling(m, step, ceiling, attempt, settings)
            gain += step
    if in_spec(m, settings):
        return _with_lra(m, out, rate), settings.max_corrections
    raise RenderError(
        f"could not bring the {what} to {t.target_lufs:g} LUFS / {t.true_peak_dbtp:g} dBTP "
        f"(measured {m.integrated_lufs:.2f} LUFS, {m.true_peak_dbtp:.2f} dBTP after "
        f"{settings.max_corrections} "
        "corrections); check the host recording for long silences or noise bursts"
    )


def guard(premaster: Path, dst: Path, settings: MasteringSettings) -> None:
    """Bring the premaster to the target and hold its true peaks under loudnorm's TP target."""
    samples, rate = decode_float(premaster, WORK_RATE, STEREO)
    lufs = integrated_lufs(samples, rate)
    if not math.isfinite(lufs):
        raise AudioError("the assembled programme is silent; check the host recording")
    ceiling = (
        settings.target.true_peak_dbtp - settings.encode_headroom_db - settings.guard_margin_db
    )
    gain_and_limit(
        premaster, dst, settings.target.target_lufs - lufs, ceiling, "pcm_s32le", WORK_RATE
    )


@dataclass(frozen=True)
class Conformed:
    wav: Loudness
    mp3: Loudness
    normalization: str  # loudnorm pass 2: "linear" (the normal case) or "dynamic"
    corrections: int  # gain/limiter passes after loudnorm, WAV and MP3 together


def conform(
    premaster: Path,
    wav_out: Path,
    mp3_out: Path,
    work: Path,
    settings: MasteringSettings,
    progress: ProgressFn,
) -> Conformed:
    """Premaster → WAV master and MP3, each read on target by the independent meter."""
    progress(0.5, "loudness: guard limiter and loudnorm pass 1 and 2")
    guarded, normalised = work / "guarded.wav", work / "loudnorm.wav"
    guard(premaster, guarded, settings)
    tp_target = settings.target.true_peak_dbtp - settings.encode_headroom_db
    report = loudnorm_two_pass(guarded, normalised, tp_target, settings)

    def render_wav(gain: float, ceiling: float | None) -> None:
        if gain == 0.0 and ceiling is None:
            shutil.copyfile(normalised, wav_out)
        else:
            gain_and_limit(
                normalised, wav_out, gain, ceiling, settings.wav_codec, settings.wav_rate
            )

    def render_mp3(gain: float, ceiling: float | None) -> None:
        encode_mp3(wav_out, mp3_out, settings, gain, ceiling)

    progress(0.7, "verifying the WAV master")
    wav, wav_fixes = settle(render_wav, wav_out, settings.wav_rate, settings, "WAV master")
    progress(0.8, "encoding and verifying the MP3")
    mp3, mp3_fixes = settle(render_mp3, mp3_out, settings.mp3_rate, settings, "MP3")
    return Conformed(
        wav, mp3, str(report.get("normalization_type", "unknown")), wav_fixes + mp3_fixes
    )
