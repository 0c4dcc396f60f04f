"""A wrong script that the verdict does not refuse is at least marked low-confidence: here a
recording read in a voice close to the aligner's synthetic one (eSpeak NG), whose script shares
its opening words with the wrong one, so order ratio and fit alone look like a right read's
(bench/README.md, "Refusal calibrated on right and wrong pairs")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from production.align.base import FragmentInput
from production.align.tts_dtw import TtsDtwEngine
from production.synth import synth_read

from .planted import write

READ = [
    "Welcome to CBN Perspective, R and D edition.",
    "China's new rules on electric cars take effect next month.",
    "Carmakers must report battery sourcing by region.",
    "The rules start in twenty twenty-seven, and the U S market is watching closely.",
    "Analysts expect prices to rise by three point five percent.",
]
WRONG = [
    "Welcome to a new edition of the show, where we look at the week in business.",
    "Shares in the largest carmakers rose sharply on Monday morning.",
    "The central bank kept its main lending rate unchanged for the third month in a row.",
    "Analysts say the decision was widely expected.",
]


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PERSPECTIVE_CACHE", str(tmp_path_factory.mktemp("tts-cache")))
        yield


def _align(tmp_path: Path, script: list[str]) -> tuple[object, TtsDtwEngine]:
    samples, _ = synth_read(READ, 350, rate=22050, voice="en-us", wpm=160)
    engine = TtsDtwEngine()
    frags = [FragmentInput(f"s{i}", t, t) for i, t in enumerate(script, 1)]
    return engine.align(write(tmp_path / "read.wav", samples, 22050), frags), engine


def test_a_wrong_script_read_by_a_close_voice_is_marked_low_confidence(tmp_path: Path) -> None:
    al, engine = _align(tmp_path, WRONG)
    assert all(f.confidence <= 0.15 for f in al.fragments)  # type: ignore[attr-defined]
    marked = [d.fragment_id for d in al.deviations if d.kind == "low-confidence"]  # type: ignore[attr-defined]
    assert marked == [f"s{i}" for i in range(1, len(WRONG) + 1)]
    s = engine.settings
    assert all(not ev.clean(s) for ev in engine.evidence)
    assert any(ev.order is not None and ev.order < s.clean_order_ratio for ev in engine.evidence)  # order alone passes


def test_the_right_script_on_the_same_read_is_clean(tmp_path: Path) -> None:
    al, engine = _align(tmp_path, READ)
    assert not [d for d in al.deviations if d.kind == "low-confidence"]  # type: ignore[attr-defined]
    assert any(ev.clean(engine.settings) for ev in engine.evidence)
