"""The one-pass render and the verify-and-correct loop, on short real files (ffmpeg, pyloudnorm)."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from pydub import AudioSegment

from production.errors import RenderError
from production.mastering import MasteringSettings
from production.mastering.loudness import ebur128_lra, gain_and_limit, mp3_loss_db, render_args, settle
from production.mastering.media import ffmpeg_pipe, segment_samples
from tests.mastering.conftest import decoded, ebur128_true_peak

RATE = 48000


def speechlike(path: Path, lufs: float, spikes: bool = False, seconds: int = 5) -> Path:
    """A buzzy vowel (150 Hz + harmonics) in syllable-rate bursts, stereo 16-bit, at ``lufs``."""
    t = np.arange(RATE * seconds) / RATE
    x = sum(np.sin(2 * np.pi * 150 * k * t + k) / k for k in range(1, 12))
    x *= np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t))
    x *= 10 ** (
        (lufs - pyloudnorm.Meter(RATE).integrated_loudness(x) - 3.01) / 20
    )  # stereo reads +3 dB
    if spikes:  # isolated clicks far above the programme: a gain would push them over the limit
        x[:: RATE // 2] = 0.9
    pcm = np.round(np.clip(np.column_stack([x, x]), -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return path


def lufs_of(path: Path) -> float:
    samples, rate = decoded(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def rate_of(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(json.loads(out)["streams"][0]["sample_rate"])


def test_one_render_writes_both_outputs_at_the_gain_with_peaks_held(tmp_path: Path) -> None:
    # the clicks would reach +2 dBFS after the 3 dB gain: the limiter holds them under the ceiling
    src = speechlike(tmp_path / "in.wav", -19.0, spikes=True)
    seg = AudioSegment.from_wav(src).set_sample_width(4)
    wav, mp3 = tmp_path / "out.wav", tmp_path / "out.mp3"
    settings = MasteringSettings()
    _, err = ffmpeg_pipe(render_args(3.0, wav, mp3, settings), seg.raw_data, "test render")
    assert (rate_of(wav), rate_of(mp3)) == (48000, 44100)
    assert lufs_of(wav) == pytest.approx(-16.0, abs=0.5)
    assert ebur128_true_peak(wav) <= settings.target.true_peak_dbtp - settings.encode_headroom_db + 0.1
    assert ebur128_true_peak(mp3) <= settings.target.true_peak_dbtp
    assert ebur128_lra(err) > 0.0


def test_ebur128_lra_reads_the_summary_not_the_running_log() -> None:
    log = "t: 1.0 M: -20.0 S: -21.0 I: -20.0 LUFS LRA: 9.9 LU\nSummary:\n  Loudness range:\n    LRA: 4.2 LU\n"
    assert ebur128_lra(log) == 4.2
    assert ebur128_lra("no summary") == 0.0


def _render(src: Path, out: Path):  # type: ignore[no-untyped-def]
    def render(gain: float, ceiling: float | None) -> None:
        gain_and_limit(src, out, gain, ceiling, "pcm_s24le", RATE)

    return render


def test_settle_corrects_the_gain_until_the_meter_reads_the_target(tmp_path: Path) -> None:
    src, out = speechlike(tmp_path / "in.wav", -19.0), tmp_path / "out.wav"
    reading, corrections = settle(_render(src, out), out, RATE, MasteringSettings(), "test")
    assert corrections == 1
    assert reading.integrated_lufs == pytest.approx(-16.0, abs=0.1)
    assert lufs_of(out) == pytest.approx(-16.0, abs=0.1)


def test_settle_limits_peaks_that_the_gain_would_push_over(tmp_path: Path) -> None:
    src, out = speechlike(tmp_path / "in.wav", -19.0, spikes=True), tmp_path / "out.wav"
    reading, corrections = settle(_render(src, out), out, RATE, MasteringSettings(), "test")
    assert corrections >= 1
    assert reading.true_peak_dbtp <= -1.0
    assert ebur128_true_peak(out) <= -1.0
    assert lufs_of(out) == pytest.approx(-16.0, abs=0.5)


def test_settle_gives_up_with_the_figures_when_corrections_run_out(tmp_path: Path) -> None:
    src, out = speechlike(tmp_path / "in.wav", -19.0), tmp_path / "out.wav"
    with pytest.raises(RenderError, match=r"could not bring the test to -16 LUFS.*-19\.\d\d LUFS"):
        settle(_render(src, out), out, RATE, MasteringSettings(max_corrections=0), "test")


def test_the_mp3_gets_the_gain_the_encoder_takes_away(tmp_path: Path) -> None:
    """Read on excerpts, the encoder's loudness change goes into the one render: the MP3 then
    reads the WAV's loudness within aim_lu, with no second encode."""
    src = speechlike(tmp_path / "in.wav", -19.0, seconds=40)
    seg = AudioSegment.from_wav(src).set_sample_width(4)
    settings = MasteringSettings()
    trim = mp3_loss_db(segment_samples(seg), 3.0, settings)
    wav, mp3 = tmp_path / "out.wav", tmp_path / "out.mp3"
    ffmpeg_pipe(render_args(3.0, wav, mp3, settings, trim), seg.raw_data, "test render")
    assert abs(trim) <= 1.0
    assert lufs_of(mp3) == pytest.approx(lufs_of(wav), abs=settings.aim_lu)
