"""Assembly: the timeline (sting, read, bed), ducking depth, chapter shifting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydub import AudioSegment

from production.mastering import MasteringSettings, shift_chapters
from production.mastering.assembly import (
    assemble,
    at_level,
    bed_start_in_read,
    duck_under_voice,
    load_asset,
    looped,
    prepare_voice,
    segment_lufs,
    speech_spans_from_voice,
)
from production.mastering.media import segment_samples
from production.tags import Chapter, check_chapters
from tests.mastering.conftest import RATE, Speech, write_host

MIN_DUCK_DB = 12.0  # issue 7: music at least 12 dB under the voice while the host talks


def level_db(x: np.ndarray, span_ms: tuple[int, int]) -> float:
    a, b = span_ms[0] * RATE // 1000, span_ms[1] * RATE // 1000
    return 10 * math.log10(float(np.mean(np.square(x[a:b], dtype=np.float64))))


@pytest.fixture(scope="module")
def voice(speech: Speech, tmp_path_factory: pytest.TempPathFactory) -> AudioSegment:
    """The synthetic read through the real voice chain (high-pass, levelling)."""
    tmp = tmp_path_factory.mktemp("voice")
    host = write_host(tmp / "host.wav", speech.samples, RATE, -24.0)
    return prepare_voice(host, tmp, MasteringSettings())


def test_music_is_ducked_at_least_12_db_under_the_voice_while_the_host_talks(
    voice: AudioSegment, speech: Speech, tmp_path: Path
) -> None:
    settings = MasteringSettings()
    tail_ms = 3000
    bed_level = segment_lufs(voice) + settings.bed_level_lu
    assert settings.outro_bed is not None
    bed = looped(
        at_level(load_asset(settings.outro_bed, "bed"), bed_level, "bed"), len(voice) + tail_ms
    )
    ducked = duck_under_voice(bed, voice, settings, tmp_path)
    v, plain, under = segment_samples(voice), segment_samples(bed), segment_samples(ducked)
    assert len(under) == len(plain)
    for span in speech.spans_ms:
        assert level_db(v, span) - level_db(under, span) >= MIN_DUCK_DB, span
        # without the ducking the bed would sit only a few dB under the voice
        assert level_db(v, span) - level_db(plain, span) < MIN_DUCK_DB - 4, span
    # once the host stops, the bed comes back to its full level (the key, not a fixed cut, ducks it)
    after = (len(voice) + tail_ms - 1000, len(voice) + tail_ms)
    assert level_db(under, after) == pytest.approx(level_db(plain, after), abs=1.0)


def test_speech_spans_are_found_from_the_voice_level(voice: AudioSegment, speech: Speech) -> None:
    found = speech_spans_from_voice(segment_samples(voice), RATE)
    slack = 60  # ms: frame size and the levelling's release
    for s, e in found:  # nothing is found in the pauses…
        assert any(a - slack <= s and e <= b + slack for a, b in speech.spans_ms), (s, e)
    for a, b in speech.spans_ms:  # …and almost all of each sentence is found
        covered = sum(max(0, min(b, e) - max(a, s)) for s, e in found)
        assert covered >= 0.9 * (b - a), (a, b, found)


def _plain_voice(speech: Speech) -> AudioSegment:
    pcm = np.round(np.column_stack([speech.samples, speech.samples]) * 0.3 * 2**31).astype("<i4")
    return AudioSegment(data=pcm.tobytes(), sample_width=4, frame_rate=RATE, channels=2)


def test_timeline_places_sting_read_and_bed(speech: Speech, tmp_path: Path) -> None:
    settings = MasteringSettings(outro_tail_ms=3000, outro_fade_ms=1500)
    voice = _plain_voice(speech)
    asm = assemble(voice, settings, tmp_path, credits_start_ms=5000)
    assert settings.intro is not None
    sting_ms = len(load_asset(settings.intro, "sting"))
    assert asm.intro_ms == sting_ms
    assert asm.outro_start_ms == sting_ms + 5000
    assert len(asm.premaster) == sting_ms + len(voice) + 3000
    frame = RATE // 1000
    # the read sits sample-exactly at intro_ms: chapter and caption offsets are exact
    np.testing.assert_array_equal(
        segment_samples(asm.voice)[sting_ms * frame : (sting_ms + len(voice)) * frame],
        segment_samples(voice),
    )
    assert asm.bed is not None
    bed = segment_samples(asm.bed)
    assert not bed[: asm.outro_start_ms * frame].any()
    assert (
        level_db(bed, (len(asm.bed) - 1400, len(asm.bed) - 900))
        > level_db(bed, (len(asm.bed) - 100, len(asm.bed))) + 10
    )


def test_no_music_settings_give_the_read_alone(speech: Speech, tmp_path: Path) -> None:
    voice = _plain_voice(speech)
    asm = assemble(voice, MasteringSettings(intro=None, outro_bed=None), tmp_path)
    assert (asm.intro_ms, asm.outro_start_ms, asm.bed) == (0, None, None)
    assert asm.premaster.raw_data == voice.raw_data


@given(read_ms=st.integers(0, 10**7), credits=st.none() | st.integers(-(10**6), 2 * 10**7))
def test_bed_starts_inside_the_read(read_ms: int, credits: int | None) -> None:
    settings = MasteringSettings()
    start = bed_start_in_read(read_ms, credits, settings)
    assert 0 <= start <= read_ms
    if credits is None:
        assert start == max(0, read_ms - settings.bed_lead_ms)
    elif 0 <= credits <= read_ms:
        assert start == credits


@st.composite
def host_chapters(draw: st.DrawFn) -> tuple[list[Chapter], int]:
    cuts = sorted(draw(st.sets(st.integers(0, 600_000), min_size=2, max_size=12)))
    chapters = [
        Chapter(f"part {i}", a, b) for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False))
    ]
    return chapters, cuts[-1] + draw(st.integers(0, 5000))


@given(host_chapters(), st.integers(0, 20_000), st.integers(0, 20_000))
def test_shifted_chapters_cover_the_master_in_order(
    case: tuple[list[Chapter], int], intro_ms: int, tail_ms: int
) -> None:
    chapters, read_ms = case
    duration = intro_ms + read_ms + tail_ms
    out = shift_chapters(chapters, intro_ms, duration)
    check_chapters(out)
    assert [c.title for c in out] == [c.title for c in chapters]
    assert out[0].start_ms == 0 and out[-1].end_ms == duration
    for before, after in zip(chapters[1:], out[1:], strict=True):
        assert after.start_ms == before.start_ms + intro_ms
    for before, after in zip(chapters[:-1], out[:-1], strict=True):
        assert after.end_ms == before.end_ms + intro_ms


def test_faded_is_pydubs_fade_in_and_out() -> None:
    """The bed's fades in two array operations give pydub's samples exactly (clipped ones too);
    short fades and partial milliseconds go to pydub itself."""
    from production.mastering.assembly import faded, frames_of, segment_of

    rng = np.random.default_rng(3)
    for n, fade_in, fade_out in [(48000 * 4, 1500, 2500), (48000 * 2 + 17, 800, 900), (48000, 50, 300)]:
        x = np.clip(rng.standard_normal((n, 2)) * 4e8, -(2**31), 2**31 - 1).astype(np.int32)
        x[500], x[-500] = [2**31 - 1, -(2**31)], [-(2**31), 2**31 - 1]
        seg = segment_of(x)
        expected = frames_of(seg.fade_in(fade_in).fade_out(fade_out))
        assert np.array_equal(frames_of(faded(seg, fade_in, fade_out)), expected)
