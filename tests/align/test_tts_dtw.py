"""The tts-dtw engine against recordings whose every boundary is known (flite reads, joined with
known pauses), plus the checks that refuse a script and a recording that don't belong together."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.align import FragmentInput, get_engine, read_alignment, write_alignment
from production.align.tts_dtw import TtsDtwEngine, _clamp_words, _display_words, _tidy
from production.errors import AlignmentError

from .planted import OTHER_SENTENCES, RATE, SENTENCES, edge_errors, mix, planted_read, write


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PERSPECTIVE_CACHE", str(tmp_path_factory.mktemp("tts-cache")))
        yield


@pytest.fixture(scope="module")
def engine() -> TtsDtwEngine:
    return TtsDtwEngine()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    samples, truth = planted_read(SENTENCES)
    return write(tmp_path_factory.mktemp("planted") / "read.wav", samples), truth


def fragments(texts: list[str]) -> list[FragmentInput]:
    return [FragmentInput(f"s{i:04d}", t, t) for i, t in enumerate(texts, 1)]


def test_planted_boundaries_are_recovered(engine: TtsDtwEngine, planted: tuple[Path, list]) -> None:
    audio, truth = planted
    al = engine.align(audio, fragments(SENTENCES))
    err = edge_errors(al.fragments, truth)
    assert np.median(err) <= 15, err
    assert err.max() <= 60, err  # speech onset/offset, not mid-silence


def test_alignment_invariants(engine: TtsDtwEngine, planted: tuple[Path, list]) -> None:
    audio, _ = planted
    al = engine.align(audio, fragments(SENTENCES))
    assert [f.id for f in al.fragments] == [f"s{i:04d}" for i in range(1, len(SENTENCES) + 1)]
    assert al.engine == "tts-dtw" and al.audio == "read.wav"
    for k, f in enumerate(al.fragments):
        assert 0 <= f.start_ms < f.end_ms <= al.duration_ms
        if k:
            assert f.start_ms >= al.fragments[k - 1].end_ms
        assert [w.text for w in f.words] == f.text.split()
        assert f.words[0].start_ms == f.start_ms and f.words[-1].end_ms == f.end_ms
        for a, b in zip(f.words, f.words[1:], strict=False):
            assert a.start_ms < a.end_ms <= b.start_ms < b.end_ms
        assert 0.0 <= f.confidence <= 1.0
    assert np.mean([f.confidence for f in al.fragments]) > 0.4


def test_music_bed_and_noise(engine: TtsDtwEngine, tmp_path: Path) -> None:
    samples, truth = planted_read(SENTENCES, head_ms=3000)
    audio = write(tmp_path / "bed.wav", mix(samples, bed_db=-16.0, noise_db=-35.0))
    err = edge_errors(engine.align(audio, fragments(SENTENCES)).fragments, truth)
    # speech tails under a -16 dB bed are masked, so offsets come out a little early
    assert np.median(err) <= 60, err
    assert err.max() <= 300, err


def test_long_silent_head(engine: TtsDtwEngine, tmp_path: Path) -> None:
    samples, truth = planted_read(SENTENCES[:3], head_ms=10_000)
    rng = np.random.default_rng(3)
    samples = samples + 3e-4 * rng.standard_normal(len(samples)).astype(np.float32)  # room tone
    al = engine.align(write(tmp_path / "head.wav", samples), fragments(SENTENCES[:3]))
    err = edge_errors(al.fragments, truth)
    assert abs(al.fragments[0].start_ms - truth[0][0]) <= 40
    assert err.max() <= 60, err


def test_wrong_script_is_refused(engine: TtsDtwEngine, planted: tuple[Path, list]) -> None:
    audio, _ = planted
    with pytest.raises(AlignmentError, match="same episode"):
        engine.align(audio, fragments(OTHER_SENTENCES))


def test_mostly_silent_audio_is_refused(engine: TtsDtwEngine, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    quiet = (1e-4 * rng.standard_normal(RATE * 20)).astype(np.float32)
    with pytest.raises(AlignmentError, match="mostly silent"):
        engine.align(write(tmp_path / "silent.wav", quiet), fragments(SENTENCES[:2]))


def test_script_far_longer_than_audio_is_refused(engine: TtsDtwEngine, tmp_path: Path) -> None:
    samples, _ = planted_read(SENTENCES[:1])
    with pytest.raises(AlignmentError, match="belongs to this recording"):
        engine.align(write(tmp_path / "short.wav", samples), fragments(SENTENCES * 3))


def test_unit_line_contract(engine: TtsDtwEngine, planted: tuple[Path, list]) -> None:
    from production.align.inputs import fragments_from_lines

    audio, truth = planted
    script = "\n\n".join(SENTENCES[:2]) + "\n" + "\n".join(SENTENCES[2:]) + "\n\n"
    frags = fragments_from_lines(script)
    al = engine.align(audio, frags)
    assert [f.text for f in al.fragments] == SENTENCES  # every non-empty line, taken as is
    assert [f.id for f in al.fragments] == [f.id for f in frags]
    assert np.median(edge_errors(al.fragments, truth)) <= 15


def test_alignment_json_schema(
    engine: TtsDtwEngine, planted: tuple[Path, list], tmp_path: Path
) -> None:
    audio, _ = planted
    al = engine.align(audio, fragments(SENTENCES[:5]))
    out = write_alignment(tmp_path / "alignment.json", al)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"engine", "audio", "duration_ms", "fragments"}
    assert (data["engine"], data["audio"]) == ("tts-dtw", "read.wav")
    for frag in data["fragments"]:
        assert {"id", "text", "start_ms", "end_ms", "words"} <= set(frag)
        assert all(isinstance(frag[k], int) for k in ("start_ms", "end_ms"))
        assert all(set(w) == {"text", "start_ms", "end_ms"} for w in frag["words"])
    assert read_alignment(out) == al


def test_registry_and_settings() -> None:
    assert isinstance(get_engine("tts-dtw", wpm=175), TtsDtwEngine)
    with pytest.raises(AlignmentError, match="tts-dtw settings has unknown key 'band_with'"):
        get_engine("tts-dtw", band_with=3)
    with pytest.raises(AlignmentError, match="nothing to align"):
        TtsDtwEngine().align(Path("missing.wav"), [])


@given(
    st.lists(st.tuples(st.floats(-500, 5000), st.floats(-500, 5000)), min_size=1, max_size=30),
    st.integers(0, 3000),
    st.integers(1, 6000),
)
def test_word_times_stay_inside_the_fragment(times: list, a: int, length: int) -> None:
    words = _clamp_words(times, a, a + length, 60)
    assert words[0][0] == a and words[-1][1] == a + length
    for k, (x, y) in enumerate(words):
        assert a <= x <= y <= a + length
        if length >= 60 * len(times):
            assert y - x >= 59  # rounding
        if k:
            assert x >= words[k - 1][1] >= words[k - 1][0]


def test_display_words_follow_spoken_words() -> None:
    display = "R&D rose 3.5% today.".split()
    spoken = "R and D rose three point five percent today.".split()
    times = [(i * 100, i * 100 + 90) for i in range(len(spoken))]
    words = _display_words(display, spoken, times, 0, 900)
    assert [w.text for w in words] == display
    assert (words[0].start_ms, words[0].end_ms) == (0, 290)  # "R and D"
    assert (words[1].start_ms, words[1].end_ms) == (300, 390)
    assert (words[2].start_ms, words[2].end_ms) == (400, 790)  # "three point five percent"
    assert (words[3].start_ms, words[3].end_ms) == (800, 890)


@given(st.lists(st.tuples(st.floats(-500, 5000), st.floats(-500, 5000)), min_size=1, max_size=12))
def test_tidy_always_gives_ordered_non_overlapping_spans(raw: list[tuple[float, float]]) -> None:
    starts, ends = _tidy(np.array([a for a, _ in raw]), np.array([b for _, b in raw]), 4000)
    for k in range(len(raw)):
        assert 0 <= starts[k] < ends[k]
        if k:
            assert starts[k] >= ends[k - 1]


@pytest.mark.corpus
def test_emur_corpus_sentences(engine: TtsDtwEngine, corpus_dir: Path, tmp_path: Path) -> None:
    """The seven hand-labelled emuR sentences joined with pauses; truth from the word tiers."""
    from production.audio import load

    folder = corpus_dir / "emuR-ae-msajc"
    parts, texts, truth, pos = [], [], [], 0
    for k, wav in enumerate(sorted(folder.glob("msajc*.wav"))):
        x = load(wav, RATE)
        rows = [
            ln.split("\t")
            for ln in (folder / f"{wav.stem}.DERIVED_words.tsv").read_text().splitlines()
            if ln and not ln.startswith("#")
        ]
        texts.append(" ".join(r[2] for r in rows if r[2] != "*") + ".")
        offset_ms = pos * 1000 / RATE
        truth.append(
            (
                round(offset_ms + float(rows[0][0]) * 1000),
                round(offset_ms + float(rows[-1][1]) * 1000),
            )
        )
        pause = np.zeros(RATE * (200 + 50 * k) // 1000, np.float32)
        parts += [x, pause]
        pos += len(x) + len(pause)
    audio = write(tmp_path / "emur.wav", np.concatenate(parts))
    err = edge_errors(engine.align(audio, fragments(texts)).fragments, truth)
    assert np.median(err) <= 20, err
    assert np.percentile(err, 90) <= 60, err
