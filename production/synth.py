"""Speech synthesis for alignment and stand-in reads: eSpeak NG (and flite for test material).

Every clip is cached on disk per (engine, text, voice, wpm) under the cache folder
(``$PERSPECTIVE_CACHE/tts``, default ``~/.cache/perspective/tts``), so aligning an episode a
second time synthesises nothing.

Two ways to get eSpeak NG audio, both a function of (text, voice, speed) alone:
- ``espeak_samples``: the ``espeak-ng --stdout`` program (what the demo's stand-in read uses);
- ``espeak_clip``: libespeak-ng, which also reports where every word starts (the aligner needs
  those word positions). The library keeps hidden state from call to call (a clip would depend
  on what was synthesised before it, and so would the cache and the alignment), so it runs in a
  helper process that synthesises every clip from the same fresh state
  (``production.espeak_worker``). Its clips differ slightly from the program's (the program
  pads and buffers differently). When the library cannot be loaded it falls back to the
  program and estimates word positions from syllable counts.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import logging
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import espeak_worker
from .tools import run

log = logging.getLogger(__name__)

ESPEAK_RATE = 22050  # Hz; eSpeak NG's native output rate
DEFAULT_VOICE = "en-us"  # eSpeak NG voice name
DEFAULT_WPM = 160  # words per minute; a calm news read (eSpeak NG's own default is 175)
FLITE_VOICE = "slt"  # flite's 16 kHz US English female voice (Debian `flite`)
SPAN_FLOOR_DB = -40.0  # dB below a clip's loudest 5 ms frame that still counts as speech
SPAN_FRAME_MS = 5  # ms; resolution of the speech-span trim
SPAN_MIN_RUN_MS = 20  # ms; shortest sound that counts as speech when trimming (not a click)
CACHE_VERSION = "3"  # bump when the cache layout or synthesis parameters change (3: clips from a
# fresh library state; version-2 clips depended on what the process synthesised before them)


@dataclass(frozen=True)
class SynthClip:
    """One synthesised text at the engine's native rate, with where each word starts."""

    samples: np.ndarray  # int16 mono at ``rate``
    rate: int  # Hz
    word_starts: tuple[int, ...]  # sample offset of each whitespace-separated word of the text
    exact_words: bool  # True when word starts come from the synthesiser's own word events


def cache_dir() -> Path:
    """Where clips are cached: ``$PERSPECTIVE_CACHE/tts``, else ``~/.cache/perspective/tts``."""
    root = os.environ.get("PERSPECTIVE_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "perspective"
    return base / "tts"


def _cache_path(kind: str, *parts: object) -> Path:
    key = hashlib.sha256("\x1f".join([CACHE_VERSION, kind, *map(str, parts)]).encode()).hexdigest()
    return cache_dir() / key[:2] / f"{key}.npz"


def _load_cached(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):
        return None  # missing or damaged: synthesise again


def _store_cached(path: Path, **arrays: np.ndarray) -> None:
    """Write a cache entry under a temporary name and rename it into place.

    Not fsynced (unlike the toolkit's outputs): a cache entry lost in a crash is simply
    synthesised again, and a damaged one is detected on load.
    """
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, path)
    except OSError as err:  # a read-only cache must not stop alignment
        log.warning("could not cache synthesis at %s: %s", path, err)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _wav_to_int16(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data), "rb") as w:
        rate = w.getframerate()
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").copy(), rate


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """int16 or float samples -> float32 in [-1, 1] at ``dst_rate``.

    Band-limited resampling in the frequency domain (numpy's FFT; importing scipy.signal alone
    costs about a second). Clips begin and end in silence, so the FFT's circular wrap is harmless.
    """
    x = samples.astype(np.float32) / (32768.0 if samples.dtype == np.int16 else 1.0)
    if src_rate == dst_rate or len(x) == 0:
        return x
    from math import gcd

    g = gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    blocks = 1 << max(
        0, int(np.ceil(np.log2(len(x) / down)))
    )  # padded length down * 2^k: a fast FFT size
    n_in, n_out = down * blocks, up * blocks
    spectrum = np.fft.rfft(x, n_in)
    out = np.zeros(n_out // 2 + 1, dtype=spectrum.dtype)
    keep = min(len(out), len(spectrum))
    out[:keep] = spectrum[:keep]
    y = np.fft.irfft(out, n_out) * (n_out / n_in)
    return y[: max(1, round(len(x) * dst_rate / src_rate))].astype(np.float32)


# --------------------------------------------------------------------------- espeak-ng program


def _espeak_cli_raw(text: str, voice: str, wpm: int) -> np.ndarray:
    path = _cache_path("espeak-cli", voice, wpm, text)
    cached = _load_cached(path)
    if cached is not None:
        return cached["samples"]
    out = run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "-b", "1", "--stdout", "--stdin"],
        what=f"synthesising speech with eSpeak NG (voice {voice})",
        input=_one_line(text).encode("utf-8"),
    )
    samples, rate = _wav_to_int16(out)
    if rate != ESPEAK_RATE:
        samples = (resample(samples, rate, ESPEAK_RATE) * 32767).astype(np.int16)
    _store_cached(path, samples=samples)
    return samples


def espeak_samples(
    text: str, rate: int = 16000, voice: str = DEFAULT_VOICE, wpm: int = DEFAULT_WPM
) -> np.ndarray:
    """Synthesise ``text`` with ``espeak-ng --stdout``; mono float32 at ``rate`` Hz (cached)."""
    return resample(_espeak_cli_raw(text, voice, wpm), ESPEAK_RATE, rate)


# --------------------------------------------------------------------------- libespeak-ng


class _EspeakWorker:
    """libespeak-ng in a helper process (``production.espeak_worker``) that synthesises every
    clip from the library's freshly initialised state, so a clip never depends on what was
    synthesised before it (the library keeps hidden state from call to call). Calls are
    serialised; the helper exits when this process closes its stdin."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "production.espeak_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,  # where ``production`` imports from
        )
        self.lock = threading.Lock()
        self.owner = os.getpid()  # the process whose pipes these are
        ok, payload = self._frame()
        if not ok:
            self.close()
            raise OSError(payload.decode("utf-8", "replace") or "the eSpeak NG helper did not start")
        (self.rate,) = struct.unpack("<i", payload)
        atexit.register(self.close)

    def _frame(self) -> tuple[bool, bytes]:
        assert self.proc.stdout is not None
        head = self.proc.stdout.read(espeak_worker.FRAME.size)
        if len(head) < espeak_worker.FRAME.size:
            raise OSError("the eSpeak NG helper stopped")
        ok, size = espeak_worker.FRAME.unpack(head)
        payload = self.proc.stdout.read(size)
        if len(payload) < size:
            raise OSError("the eSpeak NG helper stopped mid-answer")
        return bool(ok), payload

    def synth(self, text: str, voice: str, wpm: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
        request = json.dumps({"text": text, "voice": voice, "wpm": int(wpm)}).encode() + b"\n"
        with self.lock:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(request)
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError) as err:
                raise OSError("the eSpeak NG helper stopped") from err
            ok, payload = self._frame()
        if not ok:
            raise OSError(payload.decode("utf-8", "replace"))
        n, k = espeak_worker.HEADER.unpack_from(payload)
        at = espeak_worker.HEADER.size
        samples = np.frombuffer(payload, dtype="<i2", count=n, offset=at).astype(np.int16)
        at += 2 * n
        events = [espeak_worker.EVENT.unpack_from(payload, at + i * espeak_worker.EVENT.size) for i in range(k)]
        return samples, events

    def close(self) -> None:
        if self.owner != os.getpid():
            return  # inherited through fork: the parent closes it
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_LIBRARY: _EspeakWorker | None = None
_LIBRARY_FAILED = False


def _library() -> _EspeakWorker | None:
    global _LIBRARY, _LIBRARY_FAILED
    if _LIBRARY is not None and _LIBRARY.owner != os.getpid():
        _LIBRARY = None  # a forked child (produce --jobs): the parent's helper pipes are not ours
    if _LIBRARY is None and not _LIBRARY_FAILED:
        try:
            _LIBRARY = _EspeakWorker()
        except OSError as err:
            _LIBRARY_FAILED = True
            log.info(
                "libespeak-ng not usable (%s); using the espeak-ng program and estimated "
                "word positions",
                err,
            )
    return _LIBRARY


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the whitespace-separated words of ``text``."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _word_starts_from_events(
    text: str, events: list[tuple[int, int]], n_samples: int
) -> tuple[int, ...] | None:
    spans = word_spans(text)
    starts: list[int | None] = [None] * len(spans)
    for pos, sample in events:
        for k, (a, b) in enumerate(spans):
            if a <= pos - 1 < b:
                starts[k] = sample if starts[k] is None else min(starts[k] or 0, sample)
                break
    if all(s is None for s in starts):
        return None
    return _fill_missing(starts, n_samples)


def _fill_missing(starts: list[int | None], n_samples: int) -> tuple[int, ...]:
    """Words the synthesiser reported no event for start where the next reported word starts."""
    out: list[int] = []
    nxt = n_samples
    for s in reversed(starts):
        nxt = nxt if s is None else min(s, nxt)
        out.append(nxt)
    return tuple(reversed(out))


def _syllables(word: str) -> int:
    return max(1, len(re.findall(r"[aeiouy]+", word.lower())))


def estimated_word_starts(text: str, samples: np.ndarray, rate: int) -> tuple[int, ...]:
    """Word starts spread over the speech span in proportion to syllable counts (fallback)."""
    spans = word_spans(text)
    a, b = speech_span(samples, rate)
    weights = np.array([_syllables(text[s:e]) for s, e in spans], dtype=float)
    if weights.size == 0:
        return ()
    edges = a + (b - a) * np.concatenate(([0.0], np.cumsum(weights)[:-1])) / weights.sum()
    return tuple(int(x) for x in edges)


def espeak_clip(text: str, voice: str = DEFAULT_VOICE, wpm: int = DEFAULT_WPM) -> SynthClip:
    """eSpeak NG audio of ``text`` at 22050 Hz with each word's start sample (cached)."""
    text = _one_line(text)
    path = _cache_path("espeak-clip", voice, wpm, text)
    cached = _load_cached(path)
    if cached is not None:
        return SynthClip(
            cached["samples"],
            ESPEAK_RATE,
            tuple(int(x) for x in cached["words"]),
            bool(cached["exact"]),
        )
    lib = _library()
    starts: tuple[int, ...] | None = None
    if lib is not None and lib.rate == ESPEAK_RATE:
        try:
            samples, events = lib.synth(text, voice, wpm)
            starts = _word_starts_from_events(text, events, len(samples))
        except OSError as err:
            log.info("libespeak-ng failed (%s); using the espeak-ng program", err)
    exact = starts is not None
    if starts is None:
        samples = _espeak_cli_raw(text, voice, wpm)
        starts = estimated_word_starts(text, samples, ESPEAK_RATE)
    _store_cached(
        path, samples=samples, words=np.asarray(starts, dtype=np.int64), exact=np.asarray(exact)
    )
    return SynthClip(samples, ESPEAK_RATE, starts, exact)


# --------------------------------------------------------------------------- flite (test material)


def flite_samples(
    text: str, rate: int = 16000, voice: str = FLITE_VOICE, stretch: float = 1.0
) -> np.ndarray:
    """Synthesise ``text`` with CMU flite (a different engine than eSpeak NG); float32 at ``rate``.

    ``stretch`` > 1 reads slower (flite's duration_stretch).
    """
    path = _cache_path("flite", voice, f"{stretch:.3f}", text)
    cached = _load_cached(path)
    if cached is None:
        out = run(
            [
                "flite",
                "-voice",
                voice,
                "--setf",
                f"duration_stretch={stretch:.3f}",
                "-t",
                _one_line(text),
                "-o",
                "/dev/stdout",
            ],
            what=f"synthesising speech with flite (voice {voice})",
        )
        samples, native = _wav_to_int16(out)
        cached = {"samples": samples, "rate": np.asarray(native)}
        _store_cached(path, **cached)
    return resample(cached["samples"], int(cached["rate"]), rate)


# --------------------------------------------------------------------------- joined reads


def speech_span(samples: np.ndarray, rate: int, floor_db: float = SPAN_FLOOR_DB) -> tuple[int, int]:
    """(first, last+1) sample of speech in a clean clip.

    Speech is sound within ``floor_db`` of the loudest 5 ms frame that lasts at least 20 ms, so
    a synthesiser's low-level clicks before or after the words don't count.
    """
    x = samples.astype(np.float64)
    hop = max(1, rate * SPAN_FRAME_MS // 1000)
    n = len(x) // hop
    if n == 0:
        return 0, len(x)
    energy = (x[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    loud = energy > energy.max() * 10 ** (floor_db / 10)
    padded = np.concatenate(([False], loud, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded)).reshape(-1, 2)
    sustained = edges[(edges[:, 1] - edges[:, 0]) * SPAN_FRAME_MS >= SPAN_MIN_RUN_MS]
    if len(sustained) == 0:
        sustained = edges
    if len(sustained) == 0:
        return 0, len(x)
    return int(sustained[0, 0] * hop), int(min(len(x), sustained[-1, 1] * hop))


SYNTH_ENGINES = ("espeak", "flite")


def _synth_one(text: str, rate: int, voice: str | None, wpm: int, engine: str) -> np.ndarray:
    if engine == "espeak":
        return espeak_samples(text, rate, voice or DEFAULT_VOICE, wpm)
    if engine == "flite":
        return flite_samples(text, rate, voice or FLITE_VOICE)
    raise ValueError(f"unknown synthesis engine {engine!r}; use one of {SYNTH_ENGINES}")


def synth_read(
    sentences: Sequence[str],
    pause_ms: int,
    rate: int = 16000,
    voice: str | None = None,
    wpm: int = DEFAULT_WPM,
    engine: str = "espeak",
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A read of ``sentences`` joined by ``pause_ms`` of silence (also before the first and after
    the last), and each sentence's true (start_ms, end_ms) of speech in it.

    Each sentence is synthesised alone and trimmed to its speech span, so the returned spans are
    exact. ``voice`` defaults to the engine's default voice; ``wpm`` applies to eSpeak NG only.
    """
    gap = np.zeros(int(rate * pause_ms / 1000), dtype=np.float32)
    parts: list[np.ndarray] = [gap]
    spans: list[tuple[int, int]] = []
    pos = len(gap)
    for text in sentences:
        clip = _synth_one(text, rate, voice, wpm, engine)
        a, b = speech_span(clip, rate)
        speech = clip[a:b]
        spans.append((round(pos * 1000 / rate), round((pos + len(speech)) * 1000 / rate)))
        parts += [speech, gap]
        pos += len(speech) + len(gap)
    return np.concatenate(parts).astype(np.float32), spans
