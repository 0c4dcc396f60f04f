"""The whisper engine: openai-whisper hears the read, the script supplies the words.

whisper transcribes the host's recording with word timestamps; ``reconcile`` aligns that
transcript to the script, so captions show the script's wording on whisper's timing and every
departure from the script comes back as a ``Deviation``.

Models: a name ("base.en") is looked up in whisper's cache (``~/.cache/whisper`` or
``$XDG_CACHE_HOME/whisper``, or ``download_root``); a path loads that checkpoint. Nothing is
downloaded unless ``allow_download`` is set: on a machine without internet a missing model is a
clear error that says how to bring one over (docs/offline-models.md).

torch and whisper are imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio import ANALYSIS_RATE, load
from ..errors import AlignmentError
from ..models import Alignment, Word
from .base import FragmentInput, ProgressFn
from .reconcile import ReconcileSettings, reconcile

if TYPE_CHECKING:
    import numpy as np
    from whisper.model import Whisper

log = logging.getLogger(__name__)

DEFAULT_MODEL = "base.en"  # English-only, 74 M parameters: good word timing at CPU speed
LANGUAGE = "en"  # the host track is English; fixing it skips language detection
HASH_CHUNK = 1 << 20  # bytes read at a time when checking a checkpoint's SHA-256
EXTRA_MODULES = ("whisper", "torch")  # what the [whisper] extra installs (pyproject.toml)
MISSING_EXTRA = (
    "the whisper engine needs the [whisper] extra (openai-whisper and torch), which is not installed; "
    "run pip install 'cbn-perspective[whisper]' (make setup in a checkout) or use --engine tts-dtw"
)


def whisper_installed() -> bool:
    """True when openai-whisper and torch can be imported (without importing them)."""
    for name in EXTRA_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):  # a broken or blocked install counts as missing
            return False
    return True


@dataclass(frozen=True)
class WhisperSettings:
    """How whisper transcribes. Defaults favour faithful timing over fluent text."""

    allow_download: bool = False  # fetch a named model missing from the cache (needs internet)
    fp16: bool | None = None  # half precision; None: on for CUDA, off on CPU (CPU can't)
    condition_on_previous_text: bool = False  # off: fewer repetition loops on long reads
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # whisper's fallback ladder
    compression_ratio_threshold: float | None = 2.4  # whisper default: above it, decode hotter
    logprob_threshold: float | None = -1.0  # whisper default: below it, decode again hotter
    no_speech_threshold: float | None = 0.6  # whisper default: window treated as silence above it
    beam_size: int | None = None  # None: greedy decoding (whisper's default)
    sample_len: int | None = None  # most tokens decoded per 30 s window; None: model's own (224)
    initial_prompt: str | None = None  # vocabulary hint for the first window (names, jargon)
    hallucination_silence_threshold: float | None = None  # s; skip silences after suspect text
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)  # transcript ↔ script


def default_download_root() -> Path:
    """whisper's own cache folder: $XDG_CACHE_HOME/whisper, else ~/.cache/whisper."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "whisper"


def _known_models() -> dict[str, str]:
    import whisper

    return dict(whisper._MODELS)


def cache_file(name: str, download_root: str | os.PathLike[str] | None = None) -> Path:
    """Where whisper keeps the checkpoint of model ``name`` (the file need not exist)."""
    url = _known_models()[name]
    root = Path(download_root) if download_root else default_download_root()
    return root / os.path.basename(url)


def _expected_sha256(name: str) -> str:
    return _known_models()[name].split("/")[-2]  # whisper's URLs carry the checksum


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _how_to_provide(name: str) -> str:
    known = _known_models()
    fname = os.path.basename(known[name]) if name in known else f"{name}.pt"
    return (
        "on a connected machine run "
        f"`python -c \"import whisper; whisper.load_model('{name}')\"` and copy "
        f"~/.cache/whisper/{fname} into this machine's whisper cache, or pass the file's path "
        f"with --whisper-model /path/to/{fname} (whisper_model in episode.toml); "
        "see docs/offline-models.md"
    )


def model_available(model: str, download_root: str | os.PathLike[str] | None = None) -> bool:
    """True when ``model`` (a name or a path) can be loaded without the network."""
    if model in _known_models():
        return cache_file(model, download_root).is_file()
    return Path(model).expanduser().is_file()


@dataclass(frozen=True)
class ModelSource:
    """What ``whisper.load_model`` gets, and which official model's alignment heads fit it."""

    load_arg: str  # a name for the cache, or a file path
    heads_of: str | None  # official model whose word-timing attention heads to use
    download_root: str | None


def resolve_model(
    model: str, download_root: str | os.PathLike[str] | None = None, allow_download: bool = False
) -> ModelSource:
    """Check that ``model`` can be loaded here, without touching the network unless allowed."""
    known = _known_models()
    root = str(download_root) if download_root else str(default_download_root())
    if model in known:
        cached = cache_file(model, root)
        if cached.is_file():
            if _sha256(cached) != _expected_sha256(model):
                raise AlignmentError(
                    f"whisper model file {cached} is incomplete or corrupt (SHA-256 mismatch): "
                    "delete it; " + _how_to_provide(model)
                )
            return ModelSource(str(cached), model, root)
        if allow_download:
            return ModelSource(model, model, root)
        raise AlignmentError(
            f"whisper model {model!r} is not on this machine (looked for {cached}); "
            + _how_to_provide(model)
        )
    path = Path(model).expanduser()
    if path.is_file():
        return ModelSource(str(path), _official_name_of(path, known), None)
    if path.exists():
        raise AlignmentError(
            f"whisper model path {path} is not a file; pass the .pt checkpoint itself"
        )
    if os.sep in model or model.endswith(".pt"):
        raise AlignmentError(
            f"whisper model file not found: {path}; check the path, or "
            + _how_to_provide(DEFAULT_MODEL)
        )
    raise AlignmentError(
        f"unknown whisper model {model!r}; use one of {', '.join(known)} "
        "or the path of a .pt checkpoint"
    )


def _official_name_of(path: Path, known: dict[str, str]) -> str | None:
    """The official model a copied checkpoint is (by file name, confirmed by checksum), if any."""
    for name, url in known.items():
        if os.path.basename(url) == path.name:
            if _sha256(path) == url.split("/")[-2]:
                return name
            log.warning(
                "%s is named like whisper's %s but its checksum differs; default timing heads",
                path,
                name,
            )
            return None
    return None


def load_whisper(source: ModelSource, device: str) -> Whisper:
    """``whisper.load_model`` with every failure turned into an AlignmentError."""
    import torch
    import whisper

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise AlignmentError(
            f"device {device!r} asked for but CUDA is not available; use device 'cpu'"
        )
    try:
        model = whisper.load_model(
            source.load_arg, device=device, download_root=source.download_root
        )
    except OSError as err:  # includes urllib's URLError when a download fails
        name = source.heads_of or DEFAULT_MODEL
        raise AlignmentError(
            f"could not load whisper model {source.load_arg!r} ({err}); " + _how_to_provide(name)
        ) from err
    except Exception as err:  # torch.load / load_state_dict on a file that isn't a checkpoint
        raise AlignmentError(
            f"{source.load_arg} is not a usable whisper checkpoint ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''}); pass a .pt file saved by "
            "openai-whisper (with 'dims' and 'model_state_dict')"
        ) from err
    if source.heads_of and source.load_arg != source.heads_of:
        model.set_alignment_heads(whisper._ALIGNMENT_HEADS[source.heads_of])
    return model


class WhisperEngine:
    """``align(audio, fragments)`` by whisper transcription + script reconciliation."""

    name = "whisper"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: str = "cpu",
        download_root: str | os.PathLike[str] | None = None,
        settings: WhisperSettings | None = None,
        **overrides: Any,
    ) -> None:
        if not whisper_installed():
            raise AlignmentError(MISSING_EXTRA)
        base = settings or WhisperSettings()
        names = {f.name for f in dataclasses.fields(WhisperSettings)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise AlignmentError(
                f"unknown whisper setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}"
            )
        if "temperature" in overrides and not isinstance(overrides["temperature"], tuple):
            temp = overrides["temperature"]
            overrides["temperature"] = (
                tuple(temp) if isinstance(temp, list | tuple) else (float(temp),)
            )
        self.model_name = str(model)
        self.device = device
        self.download_root = download_root
        self.settings = dataclasses.replace(base, **overrides)
        self._model: Whisper | None = None

    def model(self) -> Whisper:
        """The loaded model (loaded once per engine)."""
        if self._model is None:
            source = resolve_model(
                self.model_name, self.download_root, self.settings.allow_download
            )
            log.info("loading whisper model %s on %s", source.load_arg, self.device)
            self._model = load_whisper(source, self.device)
        return self._model

    def _decode_options(self) -> dict[str, Any]:
        s = self.settings
        fp16 = (self.device != "cpu") if s.fp16 is None else (s.fp16 and self.device != "cpu")
        opts: dict[str, Any] = {
            "language": LANGUAGE,
            "task": "transcribe",
            "fp16": fp16,
            "word_timestamps": True,
            "verbose": None,
            "condition_on_previous_text": s.condition_on_previous_text,
            "temperature": s.temperature,
            "compression_ratio_threshold": s.compression_ratio_threshold,
            "logprob_threshold": s.logprob_threshold,
            "no_speech_threshold": s.no_speech_threshold,
            "initial_prompt": s.initial_prompt,
            "hallucination_silence_threshold": s.hallucination_silence_threshold,
        }
        if s.beam_size is not None:
            opts["beam_size"] = s.beam_size
        if s.sample_len is not None:
            opts["sample_len"] = s.sample_len
        return opts

    def transcribe(self, samples: np.ndarray) -> list[Word]:
        """whisper's words (text, start, end in ms) for 16 kHz mono samples."""
        import whisper

        model = self.model()
        try:
            result = whisper.transcribe(model, samples, **self._decode_options())
        except (RuntimeError, ValueError) as err:
            raise AlignmentError(
                f"whisper failed while transcribing ({type(err).__name__}: {err}); "
                "try a smaller model or the tts-dtw engine"
            ) from err
        return words_from_result(result)

    def align(
        self,
        audio_path: Path,
        fragments: Sequence[FragmentInput],
        progress: ProgressFn | None = None,
    ) -> Alignment:
        if not fragments:
            raise AlignmentError(
                "nothing to align: the script has no fragments; check the script file"
            )
        report = progress or (lambda fraction, message: None)
        report(0.0, "loading whisper model")
        self.model()
        samples = load(audio_path, ANALYSIS_RATE)
        duration_ms = round(len(samples) * 1000 / ANALYSIS_RATE)
        report(0.1, "transcribing")
        words = self.transcribe(samples)
        report(0.9, f"matching {len(words)} transcribed words to the script")
        timed, deviations = reconcile(fragments, words, duration_ms, self.settings.reconcile)
        report(1.0, f"{len(deviations)} departures from the script")
        return Alignment(self.name, Path(audio_path).name, duration_ms, timed, deviations)


def words_from_result(result: dict[str, Any]) -> list[Word]:
    """Flatten whisper's segments into Words in ms; empty words are dropped."""
    out = []
    for segment in result.get("segments", []):
        for w in segment.get("words", []):
            text = str(w["word"]).strip()
            if text:
                out.append(
                    Word(text, round(float(w["start"]) * 1000), round(float(w["end"]) * 1000))
                )
    return out
