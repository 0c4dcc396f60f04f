"""``--engine auto`` and the two-engine cross-check."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import whisper
from whisper.model import ModelDimensions, Whisper

from production.align.crosscheck import DISAGREEMENT_MS, choose_engine, cross_check
from production.errors import AlignmentError
from production.models import Alignment, Fragment


def _alignment(engine: str, spans: list[tuple[int, int]]) -> Alignment:
    frags = tuple(Fragment(f"s{k}", f"Sentence {k}.", a, b) for k, (a, b) in enumerate(spans, 1))
    return Alignment(engine, "host.wav", 60_000, frags)


@pytest.fixture
def small_checkpoint(tmp_path: Path) -> Path:
    dims = ModelDimensions(
        n_mels=80,
        n_vocab=51864,
        n_audio_ctx=1500,
        n_audio_state=8,
        n_audio_head=1,
        n_audio_layer=1,
        n_text_ctx=448,
        n_text_state=8,
        n_text_head=1,
        n_text_layer=1,
    )
    path = tmp_path / "small-random.pt"
    torch.save({"dims": asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, path)
    return path


def test_auto_falls_back_to_tts_dtw_when_no_model_is_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty whisper cache
    assert choose_engine("auto") == "tts-dtw"
    assert choose_engine("auto", "small.en") == "tts-dtw"
    assert choose_engine("auto", str(tmp_path / "missing.pt")) == "tts-dtw"


def test_auto_uses_whisper_for_a_model_file(small_checkpoint: Path) -> None:
    assert choose_engine("auto", str(small_checkpoint)) == "whisper"


def test_auto_uses_whisper_for_a_cached_model_name(
    tmp_path: Path, small_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = hashlib.sha256(small_checkpoint.read_bytes()).hexdigest()
    monkeypatch.setitem(
        whisper._MODELS, "small-random", f"https://example.invalid/{sha}/small-random.pt"
    )
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert choose_engine("auto", "small-random") == "tts-dtw"
    (cache / "whisper").mkdir(parents=True)
    shutil.copy(small_checkpoint, cache / "whisper" / "small-random.pt")
    assert choose_engine("auto", "small-random") == "whisper"
    assert choose_engine("auto", "small-random", download_root=tmp_path / "elsewhere") == "tts-dtw"


def test_named_engines_pass_through_and_unknown_ones_are_refused() -> None:
    assert choose_engine("tts-dtw", "base.en") == "tts-dtw"
    assert choose_engine("whisper") == "whisper"
    with pytest.raises(AlignmentError, match="unknown alignment engine 'wisper'"):
        choose_engine("wisper")


def test_cross_check_flags_sentences_that_differ_by_more_than_half_a_second() -> None:
    a = _alignment("whisper", [(1000, 3000), (3500, 6000), (6500, 9000), (9500, 12000)])
    b = _alignment(
        "tts-dtw",
        [
            (1000 + DISAGREEMENT_MS, 3000),  # exactly at the threshold: agreed
            (3500 + 501, 6000),  # start off by 501 ms
            (6500, 9000 - 700),  # end off by 700 ms
            (9500 - 200, 12000 + 300),  # small differences both ends
        ],
    )
    flags = cross_check(a, b)
    assert [f["id"] for f in flags] == ["s2", "s3"]
    assert flags[0] == {
        "id": "s2",
        "text": "Sentence 2.",
        "engines": ["whisper", "tts-dtw"],
        "start_ms": [3500, 4001],
        "end_ms": [6000, 6000],
        "start_diff_ms": 501,
        "end_diff_ms": 0,
    }
    assert flags[1]["end_diff_ms"] == -700
    assert [f["id"] for f in cross_check(b, a)] == ["s2", "s3"]  # symmetric
    assert [f["id"] for f in cross_check(a, b, threshold_ms=100)] == ["s1", "s2", "s3", "s4"]
    assert cross_check(a, a) == []


def test_cross_check_refuses_alignments_of_different_scripts() -> None:
    a = _alignment("whisper", [(0, 1000), (1000, 2000)])
    b = _alignment("tts-dtw", [(0, 1000)])
    with pytest.raises(AlignmentError, match="different fragments.*s2"):
        cross_check(a, b)
