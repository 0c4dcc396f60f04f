"""Alignment bench cases for issue 14: recordings as a host really makes them.

Each builder takes the data folder, writes its audio there and returns (audio, texts, truth,
note); bench/align_bench.py wraps them in its cached `Case`. Read voices are CMU flite (not
eSpeak NG, the voice our aligner synthesises with); real speech comes from ../shared/corpus.

  phone-conversation  real read speech of two speakers as alternating turns, telephone channel
  episode25-bed       the 25-minute flite episode under a slowly pulsing music bed (-30 dB)
  episode25-bed20     the same at -20 dB
  monologue           flite, fillers ("um", "uh") at sentence edges and inside, breaths, long pauses
  false-starts        flite, 5 sentences begun, abandoned mid-sentence and read again in full
  asides              flite, 5 short unscripted asides between script sentences
  short25             flite, a 25-second file of 7 sentences (start-up time)
"""

from __future__ import annotations

import json
import re
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 16000  # Hz, rate of the synthetic reads
SEED = 20261203
PHONE_RATE = 8000  # Hz, telephone band
PHONE_BAND_HZ = (300, 3400)  # ITU-T G.712 voice channel pass band
MARGIN_S = 0.05  # s of each real utterance's own recording kept around its words
PHONE_NOISE_DB = -45.0  # line noise relative to speech RMS
BREATH_DB = -24.0  # an inhalation relative to speech RMS (audible, well under the voice)
BED_PULSE_HZ = 0.4  # the bed's loudness swells once every 2.5 s
BED_PULSE_RANGE = (0.1, 1.0)  # amplitude of the bed over a pulse (a 20 dB swing)

Built = tuple[Path, list[str], list[tuple[int, int]], str]

MONOLOGUE = [  # (lead filler, parts of the sentence with fillers between, tail filler); text = parts joined
    ("um", ["So I have been thinking a lot about", "how people actually save money."], ""),
    ("", ["Most of us, I think, just spend whatever is left", "at the end of the month."], "uh"),
    ("uh", ["My grandmother kept her savings in a tin under the bed."], ""),
    ("", ["She did not trust the banks at all,", "and honestly she had her reasons."], "um"),
    ("umm", ["The interest rates back then were", "really quite high."], ""),
    ("", ["Today you get almost nothing for keeping cash in an account."], ""),
    ("uh", ["So where does the money go instead?"], "um"),
    ("", ["A lot of young people are buying funds", "on their phones."], ""),
    ("um", ["It is easy, it is fast, and it feels a bit like a game."], ""),
    ("", ["That worries some economists I have spoken to."], "uh"),
    ("uhh", ["They say people trade too often", "and pay too much in fees."], ""),
    ("", ["Others think it is a healthy change."], ""),
    ("um", ["Anyway, I would love to hear what you think about it."], ""),
]

ASIDES = [
    "Bear with me for a second here.",
    "Sorry, let me just find my notes.",
    "Where was I? Right.",
    "Excuse me, I need some water.",
    "Okay, moving on.",
]


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    tmp.replace(path)


def _read_audio(path: Path, rate: int) -> np.ndarray:
    """Any file ffmpeg reads, as mono float32 at ``rate``."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(out, "<i2").astype(np.float32) / 32768


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def _clip(text: str, voice: str, stretch: float = 1.0) -> np.ndarray:
    """One flite clip, trimmed to its speech span and peak-normalised to 0.5."""
    from production.synth import flite_samples, speech_span

    x = flite_samples(text, RATE, voice, stretch)
    a, b = speech_span(x, RATE)
    x = x[a:b]
    return (0.5 * x / max(1e-6, float(np.abs(x).max()))).astype(np.float32)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), np.float32)


def _breath(rng: np.random.Generator, speech_rms: float) -> np.ndarray:
    """An inhalation: 0.25-0.4 s of noise shaped like a breath (band 500-3000 Hz, swell and fade)."""
    n = int(rng.uniform(0.25, 0.4) * RATE)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[(f < 500) | (f > 3000)] = 0
    x = np.fft.irfft(spec, n) * np.hanning(n)
    return (x * speech_rms * 10 ** (BREATH_DB / 20) / _rms(x)).astype(np.float32)


class _Tape:
    """Appends pieces of audio and records the spans of the scripted ones (ms)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.pos = 0

    def add(self, x: np.ndarray) -> tuple[int, int]:
        start = self.pos
        self.parts.append(x)
        self.pos += len(x)
        return round(start * 1000 / RATE), round(self.pos * 1000 / RATE)

    def audio(self) -> np.ndarray:
        return np.concatenate(self.parts)


# ------------------------------------------------------------------------- phone-conversation


Words = list[tuple[str, float, float]]  # (word, start s, end s) within its recording


def _tsv_words(tsv: Path) -> Words:
    rows = [ln.split("\t") for ln in tsv.read_text().splitlines() if ln and not ln.startswith("#")]
    if len(rows[0]) >= 5:  # start_s end_s start_sample end_sample word
        return [(r[4].strip(), float(r[0]), float(r[1])) for r in rows if r[4].strip()]
    return [(r[2].strip(), float(r[0]), float(r[1])) for r in rows if r[2].strip() not in ("", "*")]


def _corpus_utterances(corpus: Path, out: Path) -> tuple[list[tuple[np.ndarray, Words]], list]:
    """Speaker A: the 7 emuR sentences and praatIO's 3 (hand-labelled words). Speaker B: the 5
    LibriVox clips of pocketsphinx's test data (pocketsphinx word alignment), TIMIT SA1
    (hand-labelled words) and the 10 Harvard sentences (gentle's word alignment).
    Each as (samples at 8 kHz, its words with their times)."""
    from align_bench import build_harvard

    a_side, b_side = [], []
    emur = corpus / "emuR-ae-msajc"
    for wav in sorted(emur.glob("msajc*.wav")):
        a_side.append((_read_audio(wav, PHONE_RATE), _tsv_words(emur / f"{wav.stem}.DERIVED_words.tsv")))
    pr = corpus / "praatio-bobby-mary"
    for wav, tsv in (("bobby", "bobby_words"), ("mary", "mary"), ("damon_set_test", "damon_set_test")):
        words = [(w.lower(), a, b) for w, a, b in _tsv_words(pr / f"{tsv}.DERIVED_words.tsv")]
        a_side.append((_read_audio(pr / f"{wav}.wav", PHONE_RATE), words))
    ps = corpus / "pocketsphinx-librivox"
    for js in sorted(ps.glob("*[0-9].json")):
        tokens = [w for w in json.loads(js.read_text())["w"] if not w["t"].startswith(("<", "["))]
        words = [(re.sub(r"\(\d+\)$", "", w["t"]), w["b"], w["b"] + w["d"]) for w in tokens]
        b_side.append((_read_audio(ps / f"{js.stem}.wav", PHONE_RATE), words))
    timit = corpus / "timit-ldc93s1"
    timit_words = _tsv_words(timit / "DERIVED_words_from_praat_textgrid.tsv")
    b_side.append((_read_audio(timit / "LDC93S1.wav", PHONE_RATE), timit_words))
    harvard = build_harvard(out)
    gentle = json.loads(
        (corpus / "gentle-harvard-list30" / "gentle_expected_forced-harvard-sentences-list30.json").read_text()
    )
    whole = _read_audio(harvard.audio, PHONE_RATE)
    pos = 0
    for line in harvard.texts:
        a_off = gentle["transcript"].index(line, pos)
        pos = a_off + len(line)
        ws = [w for w in gentle["words"] if a_off <= w["startOffset"] < pos and w.get("case") == "success"]
        a = max(0, int((ws[0]["start"] - 0.1) * PHONE_RATE))
        b = int((ws[-1]["end"] + 0.1) * PHONE_RATE)
        t0 = a / PHONE_RATE
        b_side.append((whole[a:b], [(w["word"], w["start"] - t0, w["end"] - t0) for w in ws]))
    return a_side, b_side


def _pieces(x: np.ndarray, words: Words, n_cuts: int, rng: np.random.Generator) -> list[tuple[np.ndarray, Words]]:
    """Cut an utterance at ``n_cuts`` word boundaries (each piece keeps >= 2 words), midway
    between the two words; times in each piece are relative to the piece."""
    inner = list(range(2, len(words) - 1))
    cuts = sorted(rng.choice(inner, size=min(n_cuts, len(inner) // 2), replace=False)) if inner else []
    cuts = [c for k, c in enumerate(cuts) if k == 0 or c - cuts[k - 1] >= 2]
    out, prev, t_prev = [], 0, 0.0
    for c in [*cuts, len(words)]:
        t_cut = len(x) / PHONE_RATE if c == len(words) else (words[c - 1][2] + words[c][1]) / 2
        piece = x[int(t_prev * PHONE_RATE) : int(t_cut * PHONE_RATE)]
        out.append((piece, [(w, a - t_prev, b - t_prev) for w, a, b in words[prev:c]]))
        prev, t_prev = c, t_cut
    return out


def _telephone(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """300-3400 Hz band, 8 kHz, G.711 mu-law round trip, a little line noise (ffmpeg does the
    filtering and the mu-law coding)."""
    noise = rng.standard_normal(len(x)).astype(np.float32)
    x = x + noise * _rms(x[np.abs(x) > 0.01]) * 10 ** (PHONE_NOISE_DB / 20)
    raw = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
    rate = str(PHONE_RATE)
    lo, hi = PHONE_BAND_HZ
    mulaw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "s16le", "-ar", rate, "-ac", "1", "-i", "-",
         "-af", f"highpass=f={lo}:poles=2,lowpass=f={hi}:poles=2",
         "-c:a", "pcm_mulaw", "-f", "mulaw", "-"],
        input=raw, check=True, capture_output=True,
    ).stdout  # fmt: skip
    back = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "mulaw", "-ar", rate, "-ac", "1", "-i", "-", "-f", "s16le", "-"],
        input=mulaw, check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(back, "<i2").astype(np.float32) / 32768


def build_phone_conversation(out: Path, corpus: Path) -> Built:
    """Two real speakers taking turns (A, B, ...), gaps between turns 0.15-1.5 s; inside a turn
    the speaker pauses 0.5-1.2 s at 0-2 word boundaries (hesitations). The verbatim transcript is
    split at pauses >= 0.5 s (speech closer than that shares a fragment); truth = first word start
    to last word end of each fragment's words."""
    rng = np.random.default_rng(SEED + 10)
    a_side, b_side = _corpus_utterances(corpus, out)
    pieces = []  # (speaker A?, samples, words, pause before it in s)
    while a_side or b_side:  # who speaks next: a side drawn in proportion to what it has left
        side = a_side if rng.uniform(0, len(a_side) + len(b_side)) < len(a_side) else b_side
        x, words = side.pop(0)
        x = 0.5 * x / max(1e-6, float(np.abs(x).max())) * (1.0 if side is a_side else 0.7)  # far end quieter
        turn_gap = float(rng.uniform(0.15, 0.45) if rng.uniform() < 1 / 3 else rng.uniform(0.55, 1.5))
        for k, (px, pw) in enumerate(_pieces(x, words, int(rng.choice([0, 0, 1, 1, 2])), rng)):
            pieces.append((side is a_side, px, pw, turn_gap if k == 0 else float(rng.uniform(0.5, 1.2))))
    head = int(0.8 * PHONE_RATE)
    margin = int(MARGIN_S * PHONE_RATE)
    parts, groups, pos, prev_end = [np.zeros(head, np.float32)], [], head, None
    for _, x, words, gap in pieces:
        # each piece keeps MARGIN_S of its own recording around its words
        a, b = int(words[0][1] * PHONE_RATE), int(words[-1][2] * PHONE_RATE)
        x = x[max(0, a - margin) : b + margin]
        lead = a - max(0, a - margin)
        if prev_end is not None:
            pad = int(gap * PHONE_RATE) - (pos - prev_end) - lead
            parts.append(np.zeros(max(0, pad), np.float32))
            pos += max(0, pad)
        start, end = pos + lead, pos + lead + (b - a)
        parts.append(x.astype(np.float32))
        pos += len(x)
        text = " ".join(w for w, _, _ in words)
        s_ms, e_ms = round(start * 1000 / PHONE_RATE), round(end * 1000 / PHONE_RATE)
        if groups and gap < 0.5:
            groups[-1][0].append(text)
            groups[-1][2] = e_ms
        else:
            groups.append([[text], s_ms, e_ms])
        prev_end = end
    parts.append(np.zeros(head, np.float32))
    x = _telephone(np.concatenate(parts), rng)
    audio = out / "phone-conversation.wav"
    _write_wav(audio, x, PHONE_RATE)
    texts = [" ".join(t) for t, _, _ in groups]
    truth = [(s, e) for _, s, e in groups]
    note = (
        f"26 real read utterances (emuR, praatIO, LibriVox, TIMIT, Harvard) as 2-party turns with "
        f"mid-utterance pauses, {len(texts)} fragments split at pauses >= 0.5 s, {pos / PHONE_RATE:.0f} s, "
        "300-3400 Hz, 8 kHz, mu-law; NOT conversational speech"
    )
    return audio, texts, truth, note


# ------------------------------------------------------------------------- episode25 under a bed


def build_episode_bed(out: Path, name: str, base: Path, bed_db: float) -> Path:
    """The episode at ``base`` with a slowly pulsing music bed ``bed_db`` under its speech RMS,
    streamed in one-minute chunks (memory stays small)."""
    from align_bench import _music

    rng = np.random.default_rng(SEED + 20)
    audio = out / f"{name}.wav"
    tmp = audio.with_suffix(".tmp.wav")
    chunk = 60 * RATE
    with wave.open(str(base), "rb") as src, wave.open(str(tmp), "wb") as dst:
        assert src.getframerate() == RATE
        dst.setnchannels(1)
        dst.setsampwidth(2)
        dst.setframerate(RATE)
        first = np.frombuffer(src.readframes(chunk), "<i2").astype(np.float32) / 32768
        speech_rms = _rms(first[np.abs(first) > 0.01])
        src.rewind()
        bed_gain = None
        done = 0
        lo, hi = BED_PULSE_RANGE
        while True:
            x = np.frombuffer(src.readframes(chunk), "<i2").astype(np.float32) / 32768
            if len(x) == 0:
                break
            music = _music(len(x), rng)
            if bed_gain is None:  # the bed's RMS over a whole pulse cycle sets its level
                pulse0 = lo + (hi - lo) * 0.5 * (1 + np.sin(2 * np.pi * BED_PULSE_HZ * np.arange(len(x)) / RATE))
                bed_gain = speech_rms * 10 ** (bed_db / 20) / _rms(music * pulse0)
            t = (done + np.arange(len(x))) / RATE
            pulse = lo + (hi - lo) * 0.5 * (1 + np.sin(2 * np.pi * BED_PULSE_HZ * t))
            mix = x + (music * pulse * bed_gain).astype(np.float32)
            dst.writeframes((np.clip(mix, -1, 1) * 32767).astype("<i2").tobytes())
            done += len(x)
    tmp.replace(audio)
    return audio


# ------------------------------------------------------------------------- monologue


def build_monologue(out: Path) -> Built:
    """One flite voice speaking 'spontaneously': fillers before, inside and after sentences, breaths
    before some, pauses of 1.5-3 s between most; the script has no fillers; truth = each scripted
    sentence's span (first word to last word, fillers inside a sentence included)."""
    rng = np.random.default_rng(SEED + 30)
    voice = "rms"
    tape = _Tape()
    tape.add(_silence(1.0))
    speech_rms = _rms(_clip(MONOLOGUE[0][1][0], voice))
    texts, truth = [], []
    for k, (lead, parts, tail) in enumerate(MONOLOGUE):
        if k % 3 == 1:
            tape.add(_breath(rng, speech_rms))
            tape.add(_silence(rng.uniform(0.15, 0.35)))
        if lead:
            tape.add(_clip(lead, voice, 1.3))
            tape.add(_silence(rng.uniform(0.3, 0.7)))
        spans = []
        for j, part in enumerate(parts):
            if j:
                tape.add(_silence(rng.uniform(0.15, 0.4)))
                tape.add(_clip(str(rng.choice(["uh", "um"])), voice, 1.2))
                tape.add(_silence(rng.uniform(0.2, 0.5)))
            spans.append(tape.add(_clip(part, voice, float(rng.choice([0.95, 1.0, 1.1])))))
        truth.append((spans[0][0], spans[-1][1]))
        texts.append(" ".join(parts))
        if tail:
            tape.add(_silence(rng.uniform(0.3, 0.6)))
            tape.add(_clip(tail, voice, 1.3))
        tape.add(_silence(rng.uniform(1.5, 3.0) if k % 4 != 3 else rng.uniform(0.5, 0.9)))
    tape.add(_silence(1.0))
    audio = out / "monologue.wav"
    _write_wav(audio, tape.audio(), RATE)
    note = f"flite {voice}, {len(texts)} sentences, 20 fillers (um/uh), breaths, pauses 1.5-3 s"
    return audio, texts, truth, note


# ------------------------------------------------------------------------- false starts, asides


def build_false_starts(out: Path, sentences: list[str]) -> Built:
    """16 sentences; 5 of them are begun (the first 40-60 % of the words, cut 0-60 ms before the
    clip's natural end), abandoned, and after 0.4-0.9 s read again in full; truth = the full take."""
    rng = np.random.default_rng(SEED + 40)
    voice = "awb"
    texts = sentences[:16]
    restarted = {2, 5, 8, 11, 14}
    tape = _Tape()
    tape.add(_silence(1.0))
    truth = []
    for k, text in enumerate(texts):
        if k in restarted:
            words = text.split()
            n = max(2, int(round(len(words) * rng.uniform(0.4, 0.6))))
            part = _clip(" ".join(words[:n]).rstrip(",."), voice)
            cut = int(rng.uniform(0.0, 0.06) * RATE)
            part = part[: len(part) - cut].copy()
            part[-80:] *= np.linspace(1, 0, 80, dtype=np.float32)  # 5 ms fade: stopped, no click
            tape.add(part)
            tape.add(_silence(rng.uniform(0.4, 0.9)))
        truth.append(tape.add(_clip(text, voice)))
        tape.add(_silence(rng.uniform(0.4, 1.0)))
    tape.add(_silence(1.0))
    audio = out / "false-starts.wav"
    _write_wav(audio, tape.audio(), RATE)
    return audio, texts, truth, f"flite {voice}, 16 sentences, 5 restarted after a false start"


def build_asides(out: Path, sentences: list[str]) -> Built:
    """16 sentences with 5 unscripted asides between them (0.3-0.8 s of pause either side);
    truth = the script sentences' spans."""
    rng = np.random.default_rng(SEED + 50)
    voice = "slt"
    texts = sentences[16:32]
    after = {1, 4, 7, 10, 13}
    tape = _Tape()
    tape.add(_silence(1.0))
    truth, asides = [], iter(ASIDES)
    for k, text in enumerate(texts):
        truth.append(tape.add(_clip(text, voice)))
        if k in after:
            tape.add(_silence(rng.uniform(0.3, 0.8)))
            tape.add(_clip(next(asides), voice, 0.9))
        tape.add(_silence(rng.uniform(0.3, 0.8)))
    tape.add(_silence(1.0))
    audio = out / "asides.wav"
    _write_wav(audio, tape.audio(), RATE)
    return audio, texts, truth, f"flite {voice}, 16 sentences, 5 unscripted asides between them"


def build_short25(out: Path, sentences: list[str]) -> Built:
    """7 flite sentences padded to exactly 25 s (pauses 0.5-0.9 s, the rest as head and tail)."""
    rng = np.random.default_rng(SEED + 60)
    voice = "kal16"
    texts = sorted(sentences[:24], key=len)[:7]  # the 7 shortest: about 25 s with pauses
    clips = [_clip(t, voice) for t in texts]
    gaps = [rng.uniform(0.5, 0.9) for _ in clips[1:]]
    rest = 25.0 - sum(len(c) for c in clips) / RATE - sum(gaps)
    tape = _Tape()
    tape.add(_silence(max(0.2, rest / 2)))
    truth = []
    for k, c in enumerate(clips):
        if k:
            tape.add(_silence(gaps[k - 1]))
        truth.append(tape.add(c))
    tape.add(_silence(max(0.2, 25.0 - tape.pos / RATE)))
    audio = out / "short25.wav"
    _write_wav(audio, tape.audio(), RATE)
    return audio, texts, truth, f"flite {voice}, 7 sentences, {tape.pos / RATE:.1f} s"


BUILDERS: dict[str, Callable[..., Built]] = {
    "phone-conversation": build_phone_conversation,
    "monologue": build_monologue,
    "false-starts": build_false_starts,
    "asides": build_asides,
    "short25": build_short25,
}
