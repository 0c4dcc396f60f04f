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
from production.mastering.loudness import conform, gain_and_limit, mp3_loss_db, render_args, render_ceiling, settle
from production.mastering.media import ffmpeg_pipe, segment_samples
from production.mastering.meter import true_peak_dbtp
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
    peak = true_peak_dbtp(segment_samples(seg), RATE)  # the analysis: the clicks, at -0.9 dBTP
    _, err = ffmpeg_pipe(render_args(3.0, wav, mp3, settings, 0.0, peak), seg.raw_data, "test render")
    assert (rate_of(wav), rate_of(mp3)) == (48000, 44100)
    assert lufs_of(wav) == pytest.approx(-16.0, abs=0.5)
    assert ebur128_true_peak(wav) <= settings.target.true_peak_dbtp - settings.encode_headroom_db + 0.1
    assert ebur128_true_peak(mp3) <= settings.target.true_peak_dbtp


def test_the_render_leaves_out_a_limiter_that_could_not_act(tmp_path: Path) -> None:
    """A gain moves every true peak up by the gain: when the analysed peak plus the gain (and
    the MP3's trim) stays under the ceiling, no limiter runs, and the WAV is the gain exactly."""
    settings = MasteringSettings()  # ceiling: -1 dBTP less 1 dB of encode headroom = -2 dBTP
    graph = lambda *a: render_args(*a)[render_args(*a).index("-filter_complex") + 1]  # noqa: E731
    wav, mp3 = tmp_path / "out.wav", tmp_path / "out.mp3"
    assert "alimiter" not in graph(3.0, wav, mp3, settings, 0.2, -5.3)  # peak at -2.1 dBTP
    assert "alimiter" in graph(3.0, wav, mp3, settings, 0.2, -5.1)  # the MP3 would reach -1.9
    assert "alimiter" in graph(3.0, wav, mp3, settings, 0.0, None)  # not analysed: always limit
    src = speechlike(tmp_path / "in.wav", -19.0)
    seg = AudioSegment.from_wav(src).set_sample_width(4)
    before = segment_samples(seg)
    peak = true_peak_dbtp(before, RATE)
    assert peak + 3.0 < -2.0
    ffmpeg_pipe(render_args(3.0, wav, mp3, settings, 0.0, peak), seg.raw_data, "test render")
    after, _ = decoded(wav)
    assert np.max(np.abs(after - before * 10 ** (3.0 / 20))) < 2**-22  # 24-bit rounding only


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


@pytest.mark.parametrize("spikes", [False, True], ids=["gain-only", "limited"])
def test_conform_puts_both_outputs_on_target_with_and_without_the_limiter(tmp_path: Path, spikes: bool) -> None:
    """Both render paths: two processes when the gain leaves every peak under the ceiling, one
    process with the limiter when clicks would pass it."""
    src = speechlike(tmp_path / "in.wav", -19.0, spikes=spikes, seconds=20)
    frames = np.frombuffer(AudioSegment.from_wav(src).set_sample_width(4).raw_data, dtype="<i4").reshape(-1, 2)
    settings = MasteringSettings()
    peak = true_peak_dbtp(frames, RATE)
    assert (render_ceiling(3.0, settings, 0.3, peak) is not None) == spikes
    wav, mp3 = tmp_path / "out.wav", tmp_path / "out.mp3"
    done = conform(frames, wav, mp3, tmp_path, settings, lambda fraction, message: None)
    for path, reading in ((wav, done.wav), (mp3, done.mp3)):
        assert lufs_of(path) == pytest.approx(-16.0, abs=settings.tolerance_lu)
        assert reading.integrated_lufs == pytest.approx(lufs_of(path), abs=1e-3)
        assert ebur128_true_peak(path) <= -1.0
    assert done.wav.lra_lu > 0.0
