"""Alignment benchmark: our tts-dtw engine against aeneas on recordings whose truth is known.

A benchmark, not a test: it prints a table (and, with --readme, writes it into bench/README.md).
Cases:
  emuR       the 7 hand-labelled emuR-ae-msajc sentences joined with pauses (../shared/corpus)
  harvard    gentle's Harvard list 30 (8 kHz mp3), truth = sentence spans of gentle's words
  flite      flite-synthesised sentences (4 voices, varied tempo) joined with known pauses
  flite-bed  the same under a music bed, with a musical intro and room noise
  episode25  a 25-minute synthetic episode (speed and memory)
  long3h     a 3-hour synthetic episode (--long; it just has to complete)

Each aligner runs in its own subprocess, with a cold synthesis cache, so wall time and peak
memory (ru_maxrss of that process tree, via os.wait4) are its own.

Usage: .venv/bin/python bench/align_bench.py [--cases emuR,harvard,...] [--long] [--readme]
aeneas must be installed in bench/.venv-aeneas (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

CORPUS = Path(os.environ.get("PERSPECTIVE_CORPUS", REPO.parent / "shared" / "corpus"))
OUT = BENCH / "out"
AENEAS_PY = BENCH / ".venv-aeneas" / "bin" / "python"
RATE = 16000  # Hz; rate of the synthetic cases
SEED = 20261128
FLITE_VOICES = ("slt", "rms", "awb", "kal16")  # flite's 16 kHz voices (Debian flite)
BED_DB = -16.0  # music bed level relative to speech RMS (a typical "music under voice" mix)
INTRO_DB = -6.0  # musical intro level relative to speech RMS (before the bed ducks)
NOISE_DB = -35.0  # room noise relative to speech RMS
AENEAS_BASE = "task_language=eng|is_text_type=plain|os_task_file_format=json"
_NONSPEECH = "task_adjust_boundary_nonspeech_min=0.150|task_adjust_boundary_nonspeech_string=REMOVE"
# Not tried: head/tail detection (is_audio_file_detect_head_max/tail_max). With aeneas-ng 1.7.4.0
# and eSpeak NG 1.51 it hangs in aeneas's in-process eSpeak (cew), also with
# cew_subprocess_enabled=True, and its eSpeak-as-a-program path (cew=False) misaligns everything.
AENEAS_CONFIGS = {  # name -> (task settings, runtime settings); the table reports the best per case
    "auto": (_NONSPEECH, ""),
    "percent": (
        f"{_NONSPEECH}|task_adjust_boundary_algorithm=percent|task_adjust_boundary_percent_value=50",
        "",
    ),
    "rate": (
        f"{_NONSPEECH}|task_adjust_boundary_algorithm=rateaggressive|task_adjust_boundary_rate_value=21",
        "",
    ),
    "aftercurrent": (
        f"{_NONSPEECH}|task_adjust_boundary_algorithm=aftercurrent"
        "|task_adjust_boundary_aftercurrent_value=0.100",
        "",
    ),
}
FAST_AENEAS = "auto"  # the configuration timed on the 25-minute episode (aeneas's fastest path)

SENTENCES = [
    "Welcome to a new edition of the show, where we look at the week in business.",
    "Shares in the largest carmakers rose sharply on Monday morning.",
    "The central bank kept its main lending rate unchanged for the third month in a row.",
    "Analysts say the decision was widely expected.",
    "Exports grew faster than imports, leaving a larger trade surplus.",
    "Factory activity picked up again after a quiet summer.",
    "Many small firms still find it hard to borrow money.",
    "The property market remains the biggest worry for investors.",
    "Local governments are selling fewer plots of land than before.",
    "Consumers spent more on travel and eating out during the holiday.",
    "Electric vehicles now make up almost half of new car sales.",
    "Battery makers are building new plants in Europe and South East Asia.",
    "Solar panel prices have fallen to record lows.",
    "That is good news for buyers, but painful for manufacturers.",
    "The government announced new measures to support young job seekers.",
    "Youth unemployment has come down a little since the spring.",
    "Retail sales beat expectations, helped by online shopping festivals.",
    "Meanwhile, the stock market closed slightly lower on Friday.",
    "Technology companies led the declines.",
    "We will be back next week with more stories from the world of business.",
    "Our guest today is an economist who has studied trade for twenty years.",
    "She believes the worst of the slowdown is already behind us.",
    "Not everyone agrees with that view, of course.",
    "Some warn that weak demand abroad could hurt exporters next year.",
    "Prices of pork and vegetables fell for the second straight month.",
    "Inflation is therefore likely to stay low for some time.",
    "The new airport will open to passengers in the autumn.",
    "It can handle more than eighty million travellers a year.",
    "Tourism is slowly returning to the levels seen before the pandemic.",
    "Hotels in the big cities report full bookings for the coming weekend.",
    "A few minutes ago, the company confirmed the deal.",
    "The merger still needs approval from the regulators.",
    "Thanks for listening, and see you next time.",
    "Rain is expected across the south for most of the week.",
    "Farmers hope it will arrive in time for the harvest.",
    "The port handled a record number of containers last quarter.",
    "Shipping costs, however, have started to rise again.",
    "Let us turn now to the currency markets.",
    "The yuan was little changed against the dollar.",
    "Gold prices hit another all time high.",
]


@dataclass
class Case:
    name: str
    audio: Path
    texts: list[str]
    truth: list[tuple[int, int]]  # ms, speech span per fragment
    note: str


# ------------------------------------------------------------------------------- case builders


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(
            np.float32
        ) / 32768, w.getframerate()


def build_emur() -> Case:
    folder = CORPUS / "emuR-ae-msajc"
    rng = np.random.default_rng(SEED)
    parts, texts, truth, pos, rate = [], [], [], 0, 20000
    for wav in sorted(folder.glob("msajc*.wav")):
        x, rate = _read_wav(wav)
        rows = [
            ln.split("\t")
            for ln in (folder / f"{wav.stem}.DERIVED_words.tsv").read_text().splitlines()
            if ln and not ln.startswith("#")
        ]
        words = [r[2] for r in rows if r[2] != "*"]
        texts.append(
            " ".join(words).capitalize().replace(" i'll", " I'll").replace("I'll", "I'll") + "."
        )
        t0, t1 = float(rows[0][0]), float(rows[-1][1])
        truth.append((round(pos * 1000 / rate + t0 * 1000), round(pos * 1000 / rate + t1 * 1000)))
        pause = np.zeros(int(rate * rng.uniform(0.2, 0.45)), np.float32)
        parts += [x, pause]
        pos += len(x) + len(pause)
    audio = OUT / "emuR.wav"
    _write_wav(audio, np.concatenate(parts), rate)
    return Case(
        "emuR",
        audio,
        texts,
        truth,
        "7 hand-labelled sentences, 20 kHz, joined with 0.2-0.45 s pauses",
    )


def build_harvard() -> Case:
    folder = CORPUS / "gentle-harvard-list30"
    data = json.loads((folder / "gentle_expected_forced-harvard-sentences-list30.json").read_text())
    lines = [ln for ln in data["transcript"].split("\n") if ln.strip()]
    offsets, pos = [], 0
    for ln in lines:
        start = data["transcript"].index(ln, pos)
        offsets.append((start, start + len(ln)))
        pos = start + len(ln)
    truth = []
    for a, b in offsets:
        words = [
            w for w in data["words"] if a <= w["startOffset"] < b and w.get("case") == "success"
        ]
        truth.append((round(words[0]["start"] * 1000), round(words[-1]["end"] * 1000)))
    return Case(
        "harvard",
        folder / "harvard-sentences-list30.mp3",
        lines,
        truth,
        "10 Harvard sentences, 8 kHz mp3, truth = gentle's word spans",
    )


def _flite_read(
    texts: list[str], rng: np.random.Generator, pause_s: tuple[float, float], head_s: float
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    from production.synth import flite_samples, speech_span

    parts = [np.zeros(int(RATE * head_s), np.float32)]
    truth, pos = [], len(parts[0])
    for text in texts:
        voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
        stretch = float(rng.choice([0.85, 1.0, 1.0, 1.2, 1.45]))
        clip = flite_samples(text, RATE, voice, stretch)
        a, b = speech_span(clip, RATE)
        gap = np.zeros(int(RATE * rng.uniform(*pause_s)), np.float32)
        truth.append((round(pos * 1000 / RATE), round((pos + b - a) * 1000 / RATE)))
        parts += [clip[a:b], gap]
        pos += b - a + len(gap)
    parts.append(np.zeros(int(RATE * head_s), np.float32))
    return np.concatenate(parts), truth


def build_flite() -> Case:
    rng = np.random.default_rng(SEED + 1)
    texts = SENTENCES[:24]
    x, truth = _flite_read(texts, rng, (0.2, 0.9), 1.5)
    audio = OUT / "flite.wav"
    _write_wav(audio, 0.5 * x / np.abs(x).max(), RATE)
    return Case(
        "flite",
        audio,
        texts,
        truth,
        "24 flite sentences, 4 voices, tempo x0.85-x1.45, 0.2-0.9 s pauses",
    )


def _music(n: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic music bed: sustained triads with harmonics, a bass line and soft hi-hats."""
    t = np.arange(n) / RATE
    roots = [220.0, 174.6, 261.6, 196.0]  # A3 F3 C4 G3: a common pop progression
    out = np.zeros(n, np.float32)
    bar = int(2.0 * RATE)
    for k in range(0, n, bar):
        seg = slice(k, min(n, k + bar))
        root = roots[(k // bar) % len(roots)]
        env = np.minimum(1.0, (t[seg] - t[k]) / 0.05) * np.exp(-(t[seg] - t[k]) / 3.0)
        for ratio in (1.0, 1.26, 1.5, 0.5):
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                out[seg] += (amp * env * np.sin(2 * np.pi * root * ratio * h * t[seg])).astype(
                    np.float32
                )
    hat = int(0.25 * RATE)
    for k in range(0, n - 800, hat):
        out[k : k + 800] += (0.6 * rng.standard_normal(800) * np.exp(-np.arange(800) / 150)).astype(
            np.float32
        )
    return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def build_flite_bed() -> Case:
    rng = np.random.default_rng(SEED + 2)
    texts = SENTENCES[10:34]
    intro_s = 4.0
    x, truth = _flite_read(texts, rng, (0.2, 0.9), 1.0)
    speech_rms = _rms(x[np.abs(x) > 0.01])
    head = int(intro_s * RATE)
    x = np.concatenate([np.zeros(head, np.float32), x])
    truth = [(a + int(intro_s * 1000), b + int(intro_s * 1000)) for a, b in truth]
    music = _music(len(x), rng)
    gain = speech_rms * 10 ** (BED_DB / 20) / _rms(music)
    ramp = np.ones(len(x), np.float32) * gain
    ramp[:head] = speech_rms * 10 ** (INTRO_DB / 20) / _rms(music)
    noise = rng.standard_normal(len(x)).astype(np.float32)
    noise = np.cumsum(noise) * 0.02 + noise  # a little low-frequency weight (room rumble)
    noise -= np.convolve(noise, np.ones(400) / 400, mode="same")
    noise *= speech_rms * 10 ** (NOISE_DB / 20) / _rms(noise)
    mix = x + music * ramp + noise
    audio = OUT / "flite-bed.wav"
    _write_wav(audio, 0.5 * mix / np.abs(mix).max(), RATE)
    return Case(
        "flite-bed",
        audio,
        texts,
        truth,
        f"24 flite sentences, 4 s music intro, bed {BED_DB:.0f} dB, noise {NOISE_DB:.0f} dB",
    )


def _long_case(name: str, minutes: float) -> Case:
    """A synthetic episode of about ``minutes``, streamed to disk (memory stays small)."""
    from production.synth import flite_samples, speech_span

    rng = np.random.default_rng(SEED + int(minutes))
    audio = OUT / f"{name}.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    texts, truth, pos, target = [], [], 0, int(minutes * 60 * RATE)
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)

        def put(x: np.ndarray) -> None:
            w.writeframes((np.clip(x * 0.5, -1, 1) * 32767).astype("<i2").tobytes())

        head = np.zeros(int(2.0 * RATE), np.float32)
        put(head)
        pos = len(head)
        while pos < target:
            text = SENTENCES[int(rng.integers(len(SENTENCES)))]
            voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
            clip = flite_samples(text, RATE, voice, float(rng.choice([0.9, 1.0, 1.15])))
            a, b = speech_span(clip, RATE)
            clip = clip[a:b] / max(1e-6, float(np.abs(clip).max()))
            gap = np.zeros(int(RATE * rng.uniform(0.25, 1.2)), np.float32)
            texts.append(text)
            truth.append((round(pos * 1000 / RATE), round((pos + len(clip)) * 1000 / RATE)))
            put(clip)
            put(gap)
            pos += len(clip) + len(gap)
    return Case(
        name, audio, texts, truth, f"{len(texts)} flite sentences, {pos / RATE / 60:.1f} min"
    )


BUILDERS = {
    "emuR": build_emur,
    "harvard": build_harvard,
    "flite": build_flite,
    "flite-bed": build_flite_bed,
    "episode25": lambda: _long_case("episode25", 25),
    "long3h": lambda: _long_case("long3h", 180),
}

# ------------------------------------------------------------------------------- runners


def _run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS MiB of its process tree, stderr tail)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {err[-800:]}")
    return wall, usage.ru_maxrss / 1024, err[-400:]


def run_ours(case: Case, work: Path) -> tuple[list[tuple[int, int]], float, float]:
    frags = work / f"{case.name}.fragments.json"
    out = work / f"{case.name}.ours.json"
    frags.write_text(json.dumps(case.texts))
    env = dict(os.environ, PERSPECTIVE_CACHE=str(work / f"cache-{case.name}-{time.time_ns()}"))
    wall, mem, _ = _run_measured(
        [sys.executable, __file__, "--worker", str(case.audio), str(frags), str(out)], env
    )
    data = json.loads(out.read_text())
    return [(f["start_ms"], f["end_ms"]) for f in data["fragments"]], wall, mem


def worker(audio: str, frags: str, out: str) -> None:
    from production.align import FragmentInput, get_engine, write_alignment

    texts = json.loads(Path(frags).read_text())
    fragments = [FragmentInput(f"f{i:04d}", t, t) for i, t in enumerate(texts, 1)]
    write_alignment(out, get_engine("tts-dtw").align(Path(audio), fragments))


def run_aeneas(case: Case, work: Path, config: str) -> tuple[list[tuple[int, int]], float, float]:
    text = work / f"{case.name}.aeneas.txt"
    out = work / f"{case.name}.aeneas.json"
    text.write_text("\n".join(case.texts) + "\n")
    task, runtime = AENEAS_CONFIGS[config]
    env = dict(os.environ, PYTHONIOENCODING="UTF-8")
    args = [
        str(AENEAS_PY),
        "-m",
        "aeneas.tools.execute_task",
        str(case.audio),
        str(text),
        f"{AENEAS_BASE}|{task}",
        str(out),
    ]
    wall, mem, _ = _run_measured(args + ([f"-r={runtime}"] if runtime else []), env)
    frags = json.loads(out.read_text())["fragments"]
    spans = [
        (round(float(f["begin"]) * 1000), round(float(f["end"]) * 1000))
        for f in frags
        if f["lines"]
    ]
    return spans, wall, mem


def edge_errors(pred: list[tuple[int, int]], truth: list[tuple[int, int]]) -> np.ndarray:
    if len(pred) != len(truth):
        raise RuntimeError(f"{len(pred)} fragments predicted for {len(truth)} true ones")
    return np.array(
        [
            abs(p - t)
            for ps, ts in zip(pred, truth, strict=True)
            for p, t in zip(ps, ts, strict=True)
        ]
    )


@dataclass
class Row:
    case: str
    note: str
    ours_med: float
    ours_p90: float
    ours_wall: float
    ours_mem: float
    ae_name: str
    ae_med: float
    ae_p90: float
    ae_wall: float
    ae_mem: float

    def verdict(self) -> str:
        ok_acc = self.ours_p90 <= self.ae_p90 / 2 and self.ours_med <= self.ae_med + 10
        return "pass" if ok_acc else "FAIL"


def bench_case(case: Case, work: Path, aeneas_configs: list[str]) -> Row:
    pred, wall, mem = run_ours(case, work)
    err = edge_errors(pred, case.truth)
    best = None
    for config in aeneas_configs:
        ae_pred, ae_wall, ae_mem = run_aeneas(case, work, config)
        ae_err = edge_errors(ae_pred, case.truth)
        score = (float(np.percentile(ae_err, 90)), float(np.median(ae_err)))
        print(
            f"  {case.name:10s} {config:15s} median {np.median(ae_err):6.0f} ms  "
            f"p90 {score[0]:6.0f} ms  "
            f"{ae_wall:6.1f} s  {ae_mem:6.0f} MiB",
            flush=True,
        )
        if best is None or score < best[0]:
            best = (score, config, ae_wall, ae_mem, ae_err)
    assert best is not None
    (ae_p90, ae_med), name, ae_wall, ae_mem, _ = best
    print(
        f"  {case.name:10s} {'tts-dtw':15s} median {np.median(err):6.0f} ms  "
        f"p90 {np.percentile(err, 90):6.0f} ms  "
        f"{wall:6.1f} s  {mem:6.0f} MiB",
        flush=True,
    )
    return Row(
        case.name,
        case.note,
        float(np.median(err)),
        float(np.percentile(err, 90)),
        wall,
        mem,
        name,
        ae_med,
        ae_p90,
        ae_wall,
        ae_mem,
    )


def table(rows: list[Row]) -> str:
    head = (
        "| case | ours median / p90 (ms) | aeneas median / p90 (ms) | ours wall / peak RSS | "
        "aeneas wall / peak RSS | accuracy |\n|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r.case} ({r.note}) | {r.ours_med:.0f} / {r.ours_p90:.0f} "
        f"| {r.ae_med:.0f} / {r.ae_p90:.0f} ({r.ae_name}) "
        f"| {r.ours_wall:.1f} s / {r.ours_mem:.0f} MiB | {r.ae_wall:.1f} s / {r.ae_mem:.0f} MiB "
        f"| {r.verdict()} |\n"
        for r in rows
    )
    return head + body


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", default="emuR,harvard,flite,flite-bed,episode25")
    ap.add_argument("--long", action="store_true", help="also run the 3-hour episode (ours only)")
    ap.add_argument(
        "--aeneas", default=",".join(AENEAS_CONFIGS), help="aeneas configurations to try"
    )
    ap.add_argument(
        "--worker", nargs=3, metavar=("AUDIO", "FRAGMENTS", "OUT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if not AENEAS_PY.exists():
        sys.exit(
            f"aeneas is not installed at {AENEAS_PY}; see bench/README.md for the setup commands"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        work = Path(tmp)
        for name in [c for c in args.cases.split(",") if c]:
            case = BUILDERS[name]()
            configs = (
                args.aeneas.split(",") if name not in ("episode25", "long3h") else [FAST_AENEAS]
            )
            rows.append(bench_case(case, work, configs))
        if args.long:
            case = BUILDERS["long3h"]()
            pred, wall, mem = run_ours(case, work)
            err = edge_errors(pred, case.truth)
            print(
                f"  long3h ({case.note}): completed in {wall:.0f} s, peak {mem:.0f} MiB, "
                f"median {np.median(err):.0f} ms, p90 {np.percentile(err, 90):.0f} ms",
                flush=True,
            )
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
