"""Edges under background sound and beside fillers: how far our sentence edges land from the truth.

A benchmark, not a test (issue 14 item 4). Ours only, in this process (no aeneas, no timing).
Material: 10 flite sentences (4 voices, tempo x0.9-x1.3; not eSpeak NG, which the aligner uses)
joined with 0.6-1.4 s pauses, truth = each sentence's speech span. Conditions:

  pulse-<dB>   a music bed (sustained triads with harmonics) whose amplitude pulses 0.1-1.0 at
               0.4 Hz, <dB> relative to the speech RMS (-20, -25, -30, -35)
  hum-<dB>     mains hum, 50 Hz and its harmonics to 1 kHz
  ac-<dB>      air conditioning: noise low-passed at 400 Hz, with a slow 0.1 Hz swell
  room-<dB>    room tone: steady pink-ish broadband noise
  fillers      "um" / "uh" (flite) 0.2-0.6 s before a sentence start or after its end, in the
               pause, not in the script; room tone at -40 dB
  breaths      breaths (band-passed noise, 250-450 ms, -20 dB) at the same places
  monologue    fillers and breaths in 1.5-3.5 s pauses (a spontaneous monologue's rhythm)

Figures: edge error median / p90 / max (ms), and the number of edges more than 100 ms into a
pause (a start early, an end late) and into the speech.
Usage: .venv/bin/python bench/edges_bench.py [--conditions pulse-20,fillers,...] [--cue] [--off MS] [--seed N]
``--cue`` also prints, per condition, the refinement's speech-above-background level (dB) in
true speech and in true pauses, the quiet threshold the engine set in the pauses, and the share
of pause frames over it (counted as sound) and of speech frames under it (counted as quiet).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

RATE = 16000  # Hz
SEED = 20261203
VOICES = ("slt", "rms", "awb", "kal16")  # flite's 16 kHz voices
LEVELS_DB = (-20, -25, -30, -35)  # bed level relative to the speech RMS
FILLER_ROOM_DB = -40.0  # room tone under the filler cases
BREATH_DB = -20.0  # a breath's RMS relative to the speech RMS
OFF_MS = 100  # an edge this far from the truth counts as moved (into a pause or into speech)

SENTENCES = [
    "Shares in the largest carmakers rose sharply on Monday morning.",
    "The central bank kept its main lending rate unchanged for the third month in a row.",
    "Analysts say the decision was widely expected.",
    "Exports grew faster than imports, leaving a larger trade surplus.",
    "Factory activity picked up again after a quiet summer.",
    "Many small firms still find it hard to borrow money.",
    "The property market remains the biggest worry for investors.",
    "Solar panel prices have fallen to record lows.",
    "That is good news for buyers, but painful for manufacturers.",
    "Thanks for listening, and see you next time.",
]


@dataclass
class Read:
    samples: np.ndarray  # float32 at RATE, speech only
    truth: list[tuple[int, int]]  # ms, speech span per sentence
    texts: list[str]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def speech_rms(x: np.ndarray) -> float:
    return rms(x[np.abs(x) > 0.01])


def flite_read(
    texts: list[str],
    pause_s: tuple[float, float] = (0.6, 1.4),
    extras: str = "",
    seed: int = SEED,
) -> Read:
    """``texts`` read by flite, joined with pauses; ``extras`` ("fillers", "breaths" or both,
    comma-separated) plants unscripted fillers or breaths 0.2-0.6 s from sentence edges."""
    from production.synth import flite_samples, speech_span

    rng = np.random.default_rng(seed)
    clips = []
    for k, text in enumerate(texts):
        clip = flite_samples(text, RATE, VOICES[k % len(VOICES)], float(rng.choice([0.9, 1.0, 1.15, 1.3])))
        a, b = speech_span(clip, RATE)
        clip = clip[a:b]
        clips.append(clip / max(1e-6, float(np.abs(clip).max())))
    level = speech_rms(np.concatenate(clips))
    head = np.zeros(int(1.0 * RATE), np.float32)
    parts, truth, pos = [head], [], len(head)
    kinds = [k for k in extras.split(",") if k]
    for k, clip in enumerate(clips):
        truth.append((round(pos * 1000 / RATE), round((pos + len(clip)) * 1000 / RATE)))
        parts.append(clip)
        pos += len(clip)
        if k + 1 == len(clips):
            break
        gap = np.zeros(int(RATE * rng.uniform(*pause_s)), np.float32)
        if kinds:
            extra = _extra(kinds[k % len(kinds)], level, rng, VOICES[k % len(VOICES)])
            away = int(RATE * rng.uniform(0.2, 0.6))
            if len(extra) + away + int(0.15 * RATE) < len(gap):  # leave a pause on the other side
                at = away if k % 2 == 0 else len(gap) - away - len(extra)  # after an end / before a start
                gap[at : at + len(extra)] += extra
        parts.append(gap)
        pos += len(gap)
    parts.append(np.zeros(int(1.0 * RATE), np.float32))
    return Read(np.concatenate(parts).astype(np.float32), truth, list(texts))


def _extra(kind: str, level: float, rng: np.random.Generator, voice: str) -> np.ndarray:
    from production.synth import flite_samples, speech_span

    if kind == "fillers":
        clip = flite_samples(str(rng.choice(["um", "uh", "umm"])), RATE, voice, 1.3)
        a, b = speech_span(clip, RATE)
        clip = clip[a:b]
        return (clip * (level * 10 ** (-3 / 20) / speech_rms(clip))).astype(np.float32)
    n = int(RATE * rng.uniform(0.25, 0.45))
    noise = _bandpass(rng.standard_normal(n + 2000), 500.0, 3000.0)[1000 : 1000 + n]
    env = np.sin(np.pi * np.arange(n) / n) ** 1.5
    breath = noise * env
    return (breath * (level * 10 ** (BREATH_DB / 20) / rms(breath))).astype(np.float32)


def _bandpass(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def _lowpass(x: np.ndarray, cut: float) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    spec /= np.sqrt(1 + (f / cut) ** 4)  # second-order roll-off
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def pulsing_music(n: int, rng: np.random.Generator, pulse_hz: float = 0.4) -> np.ndarray:
    """Sustained triads with harmonics (two-second bars), amplitude pulsing 0.1-1.0."""
    t = np.arange(n) / RATE
    out = np.zeros(n, np.float32)
    bar = 2 * RATE
    for k in range(0, n, bar):
        seg = slice(k, min(n, k + bar))
        root = (220.0, 174.6, 261.6, 196.0)[(k // bar) % 4]
        for ratio in (1.0, 1.26, 1.5, 0.5):
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                out[seg] += (amp * np.sin(2 * np.pi * root * ratio * h * t[seg])).astype(np.float32)
    phase = float(rng.uniform(0, 2 * np.pi))
    pulse = 0.55 + 0.45 * np.sin(2 * np.pi * pulse_hz * t + phase)
    return (out * pulse).astype(np.float32)


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    out = np.zeros(n, np.float32)
    for h in range(1, 21):  # 50 Hz .. 1 kHz, odd harmonics stronger (a transformer's buzz)
        amp = (1.0 if h % 2 else 0.4) / h**0.7
        out += (amp * np.sin(2 * np.pi * 50.0 * h * t + rng.uniform(0, 2 * np.pi))).astype(np.float32)
    return out


def air_conditioning(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    swell = 1.0 + 0.3 * np.sin(2 * np.pi * 0.1 * t + rng.uniform(0, 2 * np.pi))
    return (_lowpass(rng.standard_normal(n), 400.0) * swell).astype(np.float32)


def room_tone(n: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec /= np.sqrt(np.maximum(f, 50.0) / 50.0)  # pink above 50 Hz
    return np.fft.irfft(spec, n).astype(np.float32)


BEDS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "pulse": pulsing_music,
    "hum": hum,
    "ac": air_conditioning,
    "room": room_tone,
}


def under_bed(read: Read, bed: str, level_db: float, seed: int = SEED) -> np.ndarray:
    """The read under ``bed`` at ``level_db`` relative to its speech RMS, peak-normalised."""
    rng = np.random.default_rng(seed + 7)
    noise = BEDS[bed](len(read.samples), rng)
    mix = read.samples + noise * (speech_rms(read.samples) * 10 ** (level_db / 20) / rms(noise))
    return (0.5 * mix / np.abs(mix).max()).astype(np.float32)


def condition(name: str, seed: int = SEED) -> tuple[Read, np.ndarray]:
    """(read with its truth, mixed samples) for a condition name (``seed``: pauses, tempi, bed)."""
    if name in ("fillers", "breaths", "monologue"):
        pause = (1.5, 3.5) if name == "monologue" else (0.6, 1.4)
        extras = "fillers,breaths" if name == "monologue" else name
        read = flite_read(SENTENCES, pause, extras, seed)
        return read, under_bed(read, "room", FILLER_ROOM_DB, seed)
    bed, level = name.rsplit("-", 1)
    read = flite_read(SENTENCES, seed=seed)
    return read, under_bed(read, bed, -float(level), seed)


ALL = [f"{b}-{-d}" for b in BEDS for d in LEVELS_DB] + ["fillers", "breaths", "monologue"]


def align(samples: np.ndarray, texts: list[str], work: Path) -> list[tuple[int, int]]:
    from production.align import FragmentInput
    from production.align.tts_dtw import TtsDtwEngine
    from production.audio import save_wav

    path = save_wav(work / "mix.wav", samples, RATE)
    frags = [FragmentInput(f"f{i:04d}", t, t) for i, t in enumerate(texts, 1)]
    al = TtsDtwEngine(accept_low_confidence=True).align(path, frags)
    return [(f.start_ms, f.end_ms) for f in al.fragments]


def errors(pred: list[tuple[int, int]], truth: list[tuple[int, int]]) -> np.ndarray:
    """Signed edge errors (ms): positive is into the pause (a start early, an end late)."""
    return np.array([e for (p0, p1), (t0, t1) in zip(pred, truth, strict=True) for e in (t0 - p0, p1 - t1)])


class CueProbe:
    """Records what the refinement thresholds on: the speech-above-background level (``above``,
    dB) and the per-frame quiet threshold the engine derived from the background where its
    synthetic read is silent (refine.bed_thresholds). It wraps tts_dtw's quiet_mask, so the
    engine runs unchanged; the last call of the voice kept wins (both voices give the same)."""

    def __init__(self) -> None:
        import production.align.tts_dtw as td

        self.td, self.inner, self.seen = td, td.quiet_mask, None

        def probe(level: np.ndarray, above: np.ndarray, s: object, threshold: np.ndarray | None = None) -> np.ndarray:
            if threshold is not None:
                self.seen = (above.copy(), threshold.copy())
            return self.inner(level, above, s, threshold)

        td.quiet_mask = probe

    def report(self, truth: list[tuple[int, int]]) -> str:
        """Spread of ``above`` in true speech and true pauses, against the threshold there."""
        assert self.seen is not None
        above, thr = self.seen
        s = self.td.TtsDtwSettings()
        t_ms = np.arange(len(above)) * s.env_hop_ms + s.env_hops_per_window * s.env_hop_ms / 2
        speech = np.zeros(len(above), bool)
        pause = np.ones(len(above), bool)
        for a, b in truth:
            speech |= (t_ms >= a + 30) & (t_ms < b - 30)
            pause &= ~((t_ms >= a - 100) & (t_ms < b + 100))
        pause &= (t_ms > truth[0][0] - 900) & (t_ms < truth[-1][1] + 900)  # between sentences
        sp = np.percentile(above[speech], [10, 50])
        pa = np.percentile(above[pause], [50, 90])
        th = np.percentile(thr[pause], [0, 50, 100])
        loud_pause = float(np.mean(above[pause] >= thr[pause])) * 100
        quiet_speech = float(np.mean(above[speech] < thr[speech])) * 100
        return (
            f"speech p10/p50 {sp[0]:.0f}/{sp[1]:.0f} | pause p50/p90 {pa[0]:.0f}/{pa[1]:.0f} "
            f"| threshold min/med/max {th[0]:.0f}/{th[1]:.0f}/{th[2]:.0f} dB | pause over it "
            f"{loud_pause:.0f} %, speech under it {quiet_speech:.0f} % |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conditions", default=",".join(ALL), help="comma-separated condition names")
    ap.add_argument("--cue", action="store_true", help="also print the speech/pause spread of the quiet cue")
    ap.add_argument("--seed", type=int, default=SEED, help="another draw of pauses, tempi and bed")
    ap.add_argument("--off", type=float, default=OFF_MS, metavar="MS", help="an edge this far off counts as moved")
    args = ap.parse_args()
    os.environ.setdefault("PERSPECTIVE_CACHE", str(Path(tempfile.gettempdir()) / "perspective-edges-bench"))
    head = f"| condition | median / p90 / max (ms) | edges > {args.off:.0f} ms into a pause / into speech |"
    print(head + "\n|---|---|---|")
    probe = CueProbe() if args.cue else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in [c for c in args.conditions.split(",") if c]:
            read, mix = condition(name, args.seed)
            signed = errors(align(mix, read.texts, work), read.truth)
            err = np.abs(signed)
            line = (
                f"| {name} | {np.median(err):.0f} / {np.percentile(err, 90):.0f} / {err.max():.0f} "
                f"| {int((signed > args.off).sum())} / {int((signed < -args.off).sum())} of {len(err)} |"
            )
            if probe is not None:
                line += " " + probe.report(read.truth)
            print(line, flush=True)


if __name__ == "__main__":
    main()
