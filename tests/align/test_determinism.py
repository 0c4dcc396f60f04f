"""The same recording and script give the same alignment whatever the synthesis cache holds.

libespeak-ng keeps hidden state from call to call; when clips were synthesised in process, a clip
cached after other work differed by a few samples per word from the same clip made first, and one
such cache entry turned a refused recording into an accepted one. These tests pin the cause (a
clip is a function of its text, voice and speed) and the effect (alignments with an empty, a warm
and a differently filled cache are identical).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from production import synth
from production.align import FragmentInput, alignment_to_dict
from production.align.tts_dtw import TtsDtwEngine
from production.errors import AlignmentError

from .planted import OTHER_SENTENCES, SENTENCES, planted_read, write

TEXT = "The rules start in twenty twenty-seven, and the U S market is watching closely."


def _clip_in(cache: Path, monkeypatch: pytest.MonkeyPatch, *before: str) -> synth.SynthClip:
    """``TEXT``'s clip made in an empty cache, after synthesising ``before`` there."""
    monkeypatch.setenv("PERSPECTIVE_CACHE", str(cache))
    for text in before:
        synth.espeak_clip(text, "en-us+f3", 175)
    return synth.espeak_clip(TEXT, "en-us+f3", 175)


def test_a_clip_does_not_depend_on_what_was_synthesised_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _clip_in(tmp_path / "a", monkeypatch)
    later = _clip_in(tmp_path / "b", monkeypatch, *OTHER_SENTENCES, "Something else entirely.")
    again = _clip_in(tmp_path / "c", monkeypatch, TEXT.upper(), *SENTENCES[:2])
    for clip in (later, again):
        assert clip.word_starts == first.word_starts
        assert np.array_equal(clip.samples, first.samples)


def _fragments(texts: list[str]) -> list[FragmentInput]:
    return [FragmentInput(f"s{i:04d}", t, t) for i, t in enumerate(texts, 1)]


def test_alignment_is_the_same_with_any_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audio = write(tmp_path / "read.wav", planted_read(SENTENCES[:4])[0])
    other = write(tmp_path / "other.wav", planted_read(OTHER_SENTENCES[:4], voices=("slt",))[0])

    def align(cache: Path, warm_up: bool = False) -> dict[str, object]:
        monkeypatch.setenv("PERSPECTIVE_CACHE", str(cache))
        if warm_up:  # another episode aligned first: the library has synthesised other text
            for texts in (OTHER_SENTENCES[:4], SENTENCES[2:4] + OTHER_SENTENCES[:2]):
                try:
                    TtsDtwEngine().align(other, _fragments(texts))
                except AlignmentError:
                    pass  # the second script is not this recording's: refused, but synthesised
        return alignment_to_dict(TtsDtwEngine(voice="en-us").align(audio, _fragments(SENTENCES[:4])))

    empty = align(tmp_path / "empty")
    assert align(tmp_path / "empty") == empty  # the same cache, now warm
    assert align(tmp_path / "filled", warm_up=True) == empty  # filled by other alignments first


def test_a_forked_child_starts_its_own_synthesis_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """produce --jobs forks workers: a child must not talk through the parent's helper pipes."""
    import multiprocessing

    first = _clip_in(tmp_path / "parent", monkeypatch)
    parent_helper = synth._library()
    monkeypatch.setenv("PERSPECTIVE_CACHE", str(tmp_path / "child"))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply(_child_clip)
    assert child[0] != (parent_helper.proc.pid if parent_helper else None)
    assert child[1] == first.word_starts


def _child_clip() -> tuple[int | None, tuple[int, ...]]:
    clip = synth.espeak_clip(TEXT, "en-us+f3", 175)
    helper = synth._library()
    return (helper.proc.pid if helper else None), clip.word_starts
