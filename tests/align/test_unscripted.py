"""Speech that belongs to no script sentence (an aside between sentences, an abandoned take
before a sentence) is left out of every sentence and reported with its span.

Material: eSpeak NG program reads (en-us+m3, slower than the aligner's read) and CMU flite reads
(another engine than the aligner's synthetic voice, whose frames match the aligner's read no
better for the script's words than for the aside's) joined with known pauses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from production.align.base import FragmentInput
from production.align.report import alignment_warnings, deviation_report
from production.align.tts_dtw import TtsDtwEngine
from production.synth import synth_read

from .planted import SENTENCES, write

ASIDE = "Bear with me for a second here."


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PERSPECTIVE_CACHE", str(tmp_path_factory.mktemp("tts-cache")))
        yield


def _align(tmp_path: Path, extra: str, voice: str) -> tuple[object, list[tuple[int, int]]]:
    """The five sentences read with ``extra`` spoken between the second and the third."""
    engine = "espeak" if voice.startswith("en") else "flite"
    texts = [*SENTENCES[:2], extra, *SENTENCES[2:]]
    samples, spans = synth_read(texts, 500, rate=16000, voice=voice, wpm=150, engine=engine)
    return TtsDtwEngine().align(write(tmp_path / "read.wav", samples), _fragments()), spans


def _fragments() -> list[FragmentInput]:
    return [FragmentInput(f"s{i}", t, t) for i, t in enumerate(SENTENCES, 1)]


FALSE_START = " ".join(SENTENCES[2].split()[:4])  # "Analysts say the decision", then stopped


@pytest.mark.parametrize(
    ("extra", "kind", "voice"),
    [
        (ASIDE, "aside", "en-us+m3"),
        (FALSE_START, "false-start", "en-us+m3"),
        (ASIDE, "aside", "awb"),  # flite
        (FALSE_START, "false-start", "kal"),  # flite
    ],
)
def test_unscripted_speech_is_left_out_and_reported(tmp_path: Path, extra: str, kind: str, voice: str) -> None:
    al, spans = _align(tmp_path, extra, voice)
    truth = spans[:2] + spans[3:]  # the sentences' own speech
    for f, (a, b) in zip(al.fragments, truth, strict=True):  # type: ignore[attr-defined]
        assert abs(f.start_ms - a) <= 100 and abs(f.end_ms - b) <= 100, (f, a, b)  # not in the extra speech
    devs = [d for d in al.deviations if d.kind in ("aside", "false-start")]  # type: ignore[attr-defined]
    assert [d.kind for d in devs] == [kind]
    # a false start belongs to the sentence read again; an aside to either neighbour it ran into
    assert devs[0].fragment_id in (("s3",) if kind == "false-start" else ("s2", "s3"))
    assert abs(devs[0].time_ms - spans[2][0]) <= 100 and abs(devs[0].end_ms - spans[2][1]) <= 150
    assert kind in deviation_report(al)  # type: ignore[arg-type]
    assert [sev for sev, _ in alignment_warnings(al)] == ["info"]  # type: ignore[arg-type]


def test_words_of_a_restarted_sentence_follow_the_final_take(tmp_path: Path) -> None:
    """After a false start is cut, the sentence's words sit where they do in a read without it."""
    al, _ = _align(tmp_path, FALSE_START, "kal")
    samples, _ = synth_read(SENTENCES, 500, rate=16000, voice="kal", engine="flite")
    plain = TtsDtwEngine().align(write(tmp_path / "plain.wav", samples), _fragments())
    cut, ref = al.fragments[2], plain.fragments[2]  # type: ignore[attr-defined]
    offsets = [(w.start_ms - cut.start_ms, w.end_ms - cut.start_ms) for w in cut.words]
    expected = [(w.start_ms - ref.start_ms, w.end_ms - ref.start_ms) for w in ref.words]
    assert max(abs(x - y) for p, q in zip(offsets, expected, strict=True) for x, y in zip(p, q, strict=True)) <= 50
