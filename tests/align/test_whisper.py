"""The whisper engine end to end: a tiny randomly initialised checkpoint, built here, goes through
the real ``whisper.load_model`` → ``transcribe`` (word timestamps) → reconcile path.

A random model hears nonsense, so these tests check that the pipeline completes with a valid
alignment and reports the departures, not that the words are right. Nothing is downloaded: the
tests that name a model point the cache at a temporary folder and forbid network access.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import shutil
import socket
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch
import whisper
from whisper.model import ModelDimensions, Whisper

from production.align import get_engine
from production.align.base import FragmentInput
from production.align.report import alignment_warnings
from production.align.whisper import (
    WhisperEngine,
    cache_file,
    model_available,
    resolve_model,
    words_from_result,
)
from production.audio import probe
from production.errors import AlignmentError
from production.models import Alignment, Word
from production.tools import run

# English-only vocabulary: whisper picks the multilingual tokenizer when n_vocab >= 51865
TINY = ModelDimensions(
    n_mels=80,
    n_vocab=51864,
    n_audio_ctx=1500,
    n_audio_state=64,
    n_audio_head=1,
    n_audio_layer=1,
    n_text_ctx=448,
    n_text_state=64,
    n_text_head=1,
    n_text_layer=1,
)
FAST = {"sample_len": 16, "temperature": 0.0}  # a random model never stops on its own: cap decoding
FRAGMENTS = [
    FragmentInput(
        "s1",
        "The economy grew by 10% in 2025.",
        "The economy grew by ten percent in twenty twenty-five.",
    ),
    FragmentInput("s2", "Analysts were surprised.", "Analysts were surprised."),
]
KINDS = {"skipped", "skipped-sentence", "inserted", "substituted"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = Whisper(TINY)
    # the decoder's positional embedding is allocated with torch.empty: give it finite values
    torch.nn.init.normal_(model.decoder.positional_embedding, std=0.02)
    path = tmp_path_factory.mktemp("model") / "random-tiny.pt"
    torch.save({"dims": asdict(TINY), "model_state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def host_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "host.wav"
    run(
        ["espeak-ng", "-w", str(path), " ".join(f.spoken for f in FRAGMENTS)],
        what="synthesising test speech",
    )
    return path


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a test tried to reach the network")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


@pytest.fixture(scope="module")
def aligned(
    checkpoint: Path, host_wav: Path
) -> Iterator[tuple[Alignment, list[tuple[float, str]], WhisperEngine]]:
    progress: list[tuple[float, str]] = []
    engine = WhisperEngine(str(checkpoint), **FAST)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "getaddrinfo", _refuse)
        alignment = engine.align(host_wav, FRAGMENTS, progress=lambda f, m: progress.append((f, m)))
    yield alignment, progress, engine


def test_random_checkpoint_goes_through_load_transcribe_reconcile(
    aligned: tuple[Alignment, list[tuple[float, str]], WhisperEngine], host_wav: Path
) -> None:
    alignment, progress, engine = aligned
    model = engine.model()
    assert isinstance(model, Whisper) and asdict(model.dims) == asdict(TINY)
    assert alignment.engine == "whisper" and alignment.audio == "host.wav"
    assert abs(alignment.duration_ms - probe(host_wav).duration_ms) <= 20
    assert [f.id for f in alignment.fragments] == ["s1", "s2"]
    previous_end = 0
    for frag, src in zip(alignment.fragments, FRAGMENTS, strict=True):
        assert frag.text == src.text and [w.text for w in frag.words] == src.text.split()
        assert frag.end_ms > frag.start_ms >= previous_end
        for w in frag.words:
            assert w.end_ms > w.start_ms >= previous_end
            previous_end = w.end_ms
        assert 0.0 <= frag.confidence <= 1.0
    assert previous_end <= alignment.duration_ms
    # a random model cannot have read the script: whatever it heard is reported, with times
    assert alignment.deviations
    for d in alignment.deviations:
        assert d.kind in KINDS and d.fragment_id in {"s1", "s2"}
        assert 0 <= d.time_ms <= alignment.duration_ms
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_transcription_options_fix_english_and_word_timing_and_fp32_on_cpu(
    checkpoint: Path,
) -> None:
    opts = WhisperEngine(str(checkpoint), fp16=True)._decode_options()
    assert opts["language"] == "en" and opts["word_timestamps"] is True and opts["fp16"] is False
    assert opts["verbose"] is None


def test_get_engine_passes_settings_and_rejects_unknown_ones(checkpoint: Path) -> None:
    engine = get_engine("whisper", model=str(checkpoint), sample_len=8, temperature=[0.0, 0.5])
    assert isinstance(engine, WhisperEngine)
    assert engine.settings.sample_len == 8 and engine.settings.temperature == (0.0, 0.5)
    with pytest.raises(AlignmentError, match="unknown whisper setting.*beams"):
        get_engine("whisper", model=str(checkpoint), beams=5)


def test_model_name_missing_from_the_cache_is_refused_without_network(
    no_network: None, tmp_path: Path, host_wav: Path
) -> None:
    cache = tmp_path / "cache"
    engine = WhisperEngine("tiny.en", download_root=cache)
    with pytest.raises(AlignmentError) as err:
        engine.align(host_wav, FRAGMENTS)
    message = str(err.value)
    assert (
        "whisper.load_model('tiny.en')" in message
    )  # way 1: fill the cache on a connected machine
    assert "--whisper-model /path/to/tiny.en.pt" in message  # way 2: a file path
    assert str(cache / "tiny.en.pt") in message and "\n" not in message
    assert not cache.exists() or not any(cache.iterdir())
    assert not model_available("tiny.en", cache)


def test_default_cache_follows_xdg_cache_home(
    no_network: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_file("base.en") == tmp_path / "whisper" / "base.en.pt"
    assert cache_file("large") == tmp_path / "whisper" / "large-v3.pt"
    with pytest.raises(AlignmentError, match=str(tmp_path / "whisper" / "base.en.pt")):
        WhisperEngine().model()


def test_corrupt_cached_model_is_refused_without_network(
    no_network: None, tmp_path: Path, checkpoint: Path
) -> None:
    shutil.copy(checkpoint, tmp_path / "tiny.en.pt")  # right name, wrong contents
    with pytest.raises(AlignmentError, match="SHA-256 mismatch.*delete it"):
        WhisperEngine("tiny.en", download_root=tmp_path).model()


def test_cached_model_by_name_loads_offline_with_its_timing_heads(
    no_network: None, tmp_path: Path, checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # register the tiny checkpoint as an official model, the way whisper lists its own
    sha = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    monkeypatch.setitem(
        whisper._MODELS, "random-tiny", f"https://example.invalid/models/{sha}/random-tiny.pt"
    )
    heads = base64.b85encode(gzip.compress(np.ones((1, 1), dtype=bool).tobytes()))
    monkeypatch.setitem(whisper._ALIGNMENT_HEADS, "random-tiny", heads)
    shutil.copy(checkpoint, tmp_path / "random-tiny.pt")
    assert model_available("random-tiny", tmp_path)
    source = resolve_model("random-tiny", tmp_path)
    assert source.load_arg == str(tmp_path / "random-tiny.pt") and source.heads_of == "random-tiny"
    model = WhisperEngine("random-tiny", download_root=tmp_path).model()
    assert model.alignment_heads.to_dense().tolist() == [[True]]
    # the same file copied anywhere and passed by path is recognised by its checksum
    elsewhere = tmp_path / "copied" / "random-tiny.pt"
    elsewhere.parent.mkdir()
    shutil.copy(checkpoint, elsewhere)
    assert resolve_model(str(elsewhere)).heads_of == "random-tiny"


def test_renamed_checkpoint_with_an_official_name_loads_with_default_heads(
    tmp_path: Path, checkpoint: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "base.en.pt"
    shutil.copy(checkpoint, path)
    with caplog.at_level(logging.WARNING):
        source = resolve_model(str(path))
    assert source.heads_of is None and "checksum differs" in caplog.text


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AlignmentError, match="whisper model file not found: .*nowhere.pt"):
        WhisperEngine(str(tmp_path / "nowhere.pt")).model()
    with pytest.raises(AlignmentError, match="is not a file"):
        WhisperEngine(str(tmp_path)).model()


def test_unknown_model_name_lists_the_names(no_network: None) -> None:
    with pytest.raises(AlignmentError, match="unknown whisper model 'basic.en'.*base.en"):
        WhisperEngine("basic.en").model()


def test_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "model.pt"
    bogus.write_bytes(b"this is not a torch checkpoint")
    with pytest.raises(AlignmentError, match="not a usable whisper checkpoint"):
        WhisperEngine(str(bogus)).model()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_clear_error(checkpoint: Path) -> None:
    with pytest.raises(AlignmentError, match="CUDA is not available"):
        WhisperEngine(str(checkpoint), device="cuda").model()


def test_no_fragments_is_a_clear_error(checkpoint: Path, host_wav: Path) -> None:
    with pytest.raises(AlignmentError, match="nothing to align"):
        WhisperEngine(str(checkpoint)).align(host_wav, [])


def test_whisper_result_becomes_words_in_milliseconds() -> None:
    result = {
        "segments": [
            {
                "words": [
                    {"word": " Hello,", "start": 0.5, "end": 0.82},
                    {"word": " ", "start": 0.82, "end": 0.9},
                ]
            },
            {"words": [{"word": " world.", "start": np.float64(1.004), "end": np.float64(1.5)}]},
            {"text": "no words in this one"},
        ]
    }
    assert [(w.text, w.start_ms, w.end_ms) for w in words_from_result(result)] == [
        ("Hello,", 500, 820),
        ("world.", 1004, 1500),
    ]


# ---- issue 21: a sentence the host never read, through the whisper engine's reconciliation
SKIP_FRAGMENTS = [
    FragmentInput("s1", "Hello and welcome to CBN Perspective.", "Hello and welcome to CBN Perspective."),
    FragmentInput("s2", "The gardens cool the buildings below.", "The gardens cool the buildings below."),
    FragmentInput(
        "s3",
        "Thanks for listening, and see you next time.",
        "Thanks for listening, and see you next time.",
    ),
]


def _planted_words(texts: list[str], start_ms: int = 300, word_ms: int = 280, pause_ms: int = 500) -> list[Word]:
    """A transcript that heard exactly ``texts``: one word every ``word_ms``, pauses between."""
    out, t = [], start_ms
    for text in texts:
        for token in text.split():
            out.append(Word(token, t, t + word_ms - 40))
            t += word_ms
        t += pause_ms
    return out


@pytest.mark.parametrize("missing", [1, 2])  # a sentence in the middle, the last one
def test_a_sentence_never_read_is_a_skipped_sentence_for_whisper(
    checkpoint: Path, host_wav: Path, monkeypatch: pytest.MonkeyPatch, missing: int
) -> None:
    """The tiny checkpoint loads and runs for real; its (random) transcript is replaced by one
    that heard every sentence but one, so the reconciliation path is what is tested."""
    heard = [f.spoken for k, f in enumerate(SKIP_FRAGMENTS) if k != missing]
    engine = WhisperEngine(str(checkpoint), **FAST)
    monkeypatch.setattr(engine, "transcribe", lambda samples: _planted_words(heard))
    alignment = engine.align(host_wav, SKIP_FRAGMENTS)
    skipped = [d for d in alignment.deviations if d.kind == "skipped-sentence"]
    assert [d.fragment_id for d in skipped] == [SKIP_FRAGMENTS[missing].id]
    assert [d.fragment_id for d in alignment.deviations if d.kind != "skipped-sentence"] == []
    errors = [m for sev, m in alignment_warnings(alignment) if sev == "error"]
    assert len(errors) == 1 and SKIP_FRAGMENTS[missing].id in errors[0]
