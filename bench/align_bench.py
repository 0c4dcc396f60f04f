"""Alignment benchmark: our tts-dtw engine against aeneas on recordings whose truth is known.

A benchmark, not a test: it prints a table (and, with --readme, writes it into bench/README.md).
Cases:
  emuR       the 7 hand-labelled emuR-ae-msajc sentences joined with pauses (../shared/corpus)
  harvard    gentle's Harvard list 30 (8 kHz mp3), truth = sentence spans of gentle's words
  flite      flite-synthesised sentences (4 voices, varied tempo) joined with known pauses
  flite-bed  the same under a music bed, with a musical intro and room noise
  episode25  a 25-minute synthetic episode (speed and memory)
  long3h     a 3-hour synthetic episode (--long; it just has to complete)
and issue 14's cases (bench/align_cases.py): phone-conversation, episode25-bed,
episode25-bed20, monologue, false-starts, asides, short25.

Each aligner runs in its own subprocess, with a cold synthesis cache (short25: the median of 3
runs after a first one on the same cache, i.e. warm), so wall time and peak memory (ru_maxrss of that process
tree, via os.wait4) are its own.

Our engine is imported by the interpreter that runs this script (its installed `production`),
so another checkout's code is measured with that checkout's venv:
    /path/to/checkout/.venv/bin/python bench/align_bench.py --cases monologue,asides
Built cases and aeneas's results (which do not depend on our code) are kept in the data folder
(--data, or $PERSPECTIVE_BENCH_DATA, default bench/.data/) and reused; --rebuild remakes them.

aeneas must be installed in bench/.venv-aeneas (see bench/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
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

CORPUS = Path(os.environ.get("PERSPECTIVE_CORPUS", REPO.parent / "shared" / "corpus"))
DATA = Path(os.environ.get("PERSPECTIVE_BENCH_DATA", BENCH / ".data"))
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
LONG_CASES = ("episode25", "episode25-bed", "episode25-bed20", "long3h")  # aeneas: FAST_AENEAS only
UNSCRIPTED_CASES = ("false-starts", "asides")  # aeneas fails too: ours is held to an absolute p90
UNSCRIPTED_P90_MS = 150.0  # issue 14: on false starts and asides our p90 <= 150 ms
WARM_CASES = ("short25",)  # timed on a warm synthesis cache (runs after a first, cold one)
WARM_RUNS = 3  # warm runs; the table shows their median
START_UP_S = 1.5  # issue 14 item 6: a 25-second file aligns in <= 1.5 s wall, warm cache
CASE_VERSION = 3  # bump when a builder changes what it writes (cached cases are then rebuilt)

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


def build_emur(out: Path) -> Case:
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
    audio = out / "emuR.wav"
    _write_wav(audio, np.concatenate(parts), rate)
    return Case(
        "emuR",
        audio,
        texts,
        truth,
        "7 hand-labelled sentences, 20 kHz, joined with 0.2-0.45 s pauses",
    )


def build_harvard(out: Path) -> Case:
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


def build_flite(out: Path) -> Case:
    rng = np.random.default_rng(SEED + 1)
    texts = SENTENCES[:24]
    x, truth = _flite_read(texts, rng, (0.2, 0.9), 1.5)
    audio = out / "flite.wav"
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


def build_flite_bed(out: Path) -> Case:
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
    audio = out / "flite-bed.wav"
    _write_wav(audio, 0.5 * mix / np.abs(mix).max(), RATE)
    return Case(
        "flite-bed",
        audio,
        texts,
        truth,
        f"24 flite sentences, 4 s music intro, bed {BED_DB:.0f} dB, noise {NOISE_DB:.0f} dB",
    )


def _long_case(out: Path, name: str, minutes: float) -> Case:
    """A synthetic episode of about ``minutes``, streamed to disk (memory stays small)."""
    from production.synth import flite_samples, speech_span

    rng = np.random.default_rng(SEED + int(minutes))
    audio = out / f"{name}.wav"
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


def _issue14(name: str, out: Path) -> Case:
    import align_cases as ac

    if name == "phone-conversation":
        built = ac.build_phone_conversation(out, CORPUS)
    elif name in ("false-starts", "asides", "short25"):
        built = ac.BUILDERS[name](out, SENTENCES)
    elif name.startswith("episode25-bed"):
        base = get_case("episode25", out)
        bed_db = -20.0 if name == "episode25-bed20" else -30.0
        audio = ac.build_episode_bed(out, name, base.audio, bed_db)
        note = f"{base.note}, pulsing music bed {bed_db:.0f} dB (x0.1-1.0 at {ac.BED_PULSE_HZ} Hz)"
        built = (audio, base.texts, base.truth, note)
    else:
        built = ac.BUILDERS[name](out)
    return Case(name, *built)


BUILDERS = {
    "emuR": build_emur,
    "harvard": build_harvard,
    "flite": build_flite,
    "flite-bed": build_flite_bed,
    "episode25": lambda out: _long_case(out, "episode25", 25),
    "long3h": lambda out: _long_case(out, "long3h", 180),
    **{
        name: (lambda out, name=name: _issue14(name, out))
        for name in (
            "phone-conversation",
            "episode25-bed",
            "episode25-bed20",
            "monologue",
            "false-starts",
            "asides",
            "short25",
        )
    },
}
DEFAULT_CASES = "emuR,harvard,flite,flite-bed,episode25"
ISSUE14_CASES = "phone-conversation,episode25-bed,episode25-bed20,monologue,false-starts,asides,short25"


def _cached_case(name: str, out: Path) -> Case | None:
    meta = out / f"{name}.case.json"
    if meta.exists():
        d = json.loads(meta.read_text())
        if d.get("version") == CASE_VERSION and Path(d["audio"]).exists():
            return Case(name, Path(d["audio"]), d["texts"], [tuple(t) for t in d["truth"]], d["note"])
    return None


def load_case(name: str, out: Path, rebuild: bool = False) -> Case:
    """The case, built (in a child process, so that this one stays small: a child inherits its
    parent's peak RSS at fork, which would inflate the aligners' figures) or reused."""
    case = None if rebuild else _cached_case(name, out)
    if case is None:
        subprocess.run([sys.executable, __file__, "--build", name, "--data", str(out)], check=True)
        case = _cached_case(name, out)
    assert case is not None
    return case


def get_case(name: str, out: Path, rebuild: bool = False) -> Case:
    """The case, built once into ``out`` and reused (its description in <name>.case.json)."""
    meta = out / f"{name}.case.json"
    case = None if rebuild else _cached_case(name, out)
    if case is not None:
        return case
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    case = BUILDERS[name](out)
    d = {"version": CASE_VERSION, "audio": str(case.audio), "texts": case.texts,
         "truth": case.truth, "note": case.note}  # fmt: skip
    tmp = meta.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(d))
    tmp.replace(meta)
    print(f"  built {name} in {time.perf_counter() - t0:.1f} s: {case.audio}", flush=True)
    return case

# ------------------------------------------------------------------------------- runners


def _run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, peak RSS MiB, CPU seconds (user + sys) of its tree)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {err[-800:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


class Refused(Exception):
    """Our engine refused the script (wrong script or wrong recording)."""


def run_ours(
    case: Case, work: Path, cache: Path | None = None
) -> tuple[list[tuple[int, int]], float, float, float]:
    """Our spans, wall s, peak MiB, CPU s."""
    frags = work / f"{case.name}.fragments.json"
    out = work / f"{case.name}.ours.json"
    out.unlink(missing_ok=True)
    frags.write_text(json.dumps(case.texts))
    cache = cache or work / f"cache-{case.name}-{time.time_ns()}"
    env = dict(os.environ, PERSPECTIVE_CACHE=str(cache))
    wall, mem, cpu = _run_measured(
        [sys.executable, __file__, "--worker", str(case.audio), str(frags), str(out)], env
    )
    data = json.loads(out.read_text())
    if "refused" in data:
        raise Refused(data["refused"])
    return [(f["start_ms"], f["end_ms"]) for f in data["fragments"]], wall, mem, cpu


def worker(audio: str, frags: str, out: str) -> None:
    from production.align import FragmentInput, get_engine, write_alignment
    from production.errors import ProductionError

    texts = json.loads(Path(frags).read_text())
    fragments = [FragmentInput(f"f{i:04d}", t, t) for i, t in enumerate(texts, 1)]
    try:
        al = get_engine("tts-dtw").align(Path(audio), fragments)
    except ProductionError as exc:  # a refusal is a result of the bench, not a crash
        Path(out).write_text(json.dumps({"refused": str(exc)}))
        return
    write_alignment(out, al)


def _aeneas_version() -> str:
    out = subprocess.run(
        [str(AENEAS_PY), "-c", "import aeneas; print(aeneas.__version__)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip() or "?"


def run_aeneas(
    case: Case, work: Path, config: str, data: Path, fresh: bool
) -> tuple[list[tuple[int, int]], float, float]:
    """aeneas's spans, wall s, peak MiB; kept in <data>/aeneas/ (keyed by audio, texts and
    configuration) and reused unless ``fresh``: its result does not depend on our code."""
    task, runtime = AENEAS_CONFIGS[config]
    key = hashlib.sha256(
        json.dumps([str(case.audio), case.audio.stat().st_mtime_ns, case.texts, task, runtime]).encode()
    ).hexdigest()[:16]
    memo = data / "aeneas" / f"{case.name}.{config}.{key}.json"
    if not fresh and memo.exists():
        d = json.loads(memo.read_text())
        return [tuple(s) for s in d["spans"]], d["wall"], d["mem"]
    text = work / f"{case.name}.aeneas.txt"
    out = work / f"{case.name}.aeneas.json"
    text.write_text("\n".join(case.texts) + "\n")
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
    wall, mem, cpu = _run_measured(args + ([f"-r={runtime}"] if runtime else []), env)
    frags = json.loads(out.read_text())["fragments"]
    spans = [
        (round(float(f["begin"]) * 1000), round(float(f["end"]) * 1000))
        for f in frags
        if f["lines"]
    ]
    memo.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"spans": spans, "wall": wall, "mem": mem, "cpu": cpu, "when": time.ctime()}))
    print(f"  {case.name:18s} aeneas {config:13s} CPU {cpu:.2f} s", flush=True)
    tmp.replace(memo)
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
    ours_med: float  # nan when refused
    ours_p90: float
    ours_max: float
    ours_wall: float
    ours_mem: float
    ae_name: str
    ae_med: float
    ae_p90: float
    ae_max: float
    ae_wall: float
    ae_mem: float
    refused: str = ""
    ours_cold_wall: float = float("nan")  # WARM_CASES: the first (cold-cache) run

    def criteria(self) -> str:
        if self.case in UNSCRIPTED_CASES:
            return f"p90 <= {UNSCRIPTED_P90_MS:.0f} ms, median <= aeneas + 10 ms"
        text = "p90 <= 0.5 x aeneas, median <= aeneas + 10 ms"
        if self.case in WARM_CASES:
            text += f", warm wall <= {START_UP_S} s"
        return text

    def verdict(self) -> str:
        if self.refused:
            return "FAIL (refused)"
        med_ok = self.ours_med <= self.ae_med + 10
        if self.case in UNSCRIPTED_CASES:
            p90_ok = self.ours_p90 <= UNSCRIPTED_P90_MS
        else:
            p90_ok = self.ours_p90 <= self.ae_p90 / 2
        fails = [what for what, ok in (("p90", p90_ok), ("median", med_ok)) if not ok]
        if self.case in WARM_CASES and self.ours_wall > START_UP_S:
            fails.append("wall")
        return "pass" if not fails else "FAIL (" + ", ".join(fails) + ")"


def bench_case(
    case: Case, work: Path, aeneas_configs: list[str], data: Path, fresh_aeneas: bool, detail_ms: float = 0
) -> Row:
    best = None
    for config in aeneas_configs:
        ae_pred, ae_wall, ae_mem = run_aeneas(case, work, config, data, fresh_aeneas)
        ae_err = edge_errors(ae_pred, case.truth)
        score = (float(np.percentile(ae_err, 90)), float(np.median(ae_err)))
        print(
            f"  {case.name:18s} aeneas {config:13s} median {np.median(ae_err):6.0f} ms  "
            f"p90 {score[0]:6.0f} ms  {ae_wall:6.1f} s  {ae_mem:6.0f} MiB  max {ae_err.max():.0f} ms",
            flush=True,
        )
        if best is None or score < best[0]:
            best = (score, config, ae_wall, ae_mem, float(ae_err.max()))
    assert best is not None
    (ae_p90, ae_med), name, ae_wall, ae_mem, ae_max = best
    nan = float("nan")
    cold = nan
    try:
        if case.name in WARM_CASES:  # a cold run fills the cache; the median of WARM_RUNS after it
            cache = work / f"cache-{case.name}-{time.time_ns()}"
            _, cold, _, _ = run_ours(case, work, cache)
            runs = [run_ours(case, work, cache) for _ in range(WARM_RUNS)]
            pred, _, mem, _ = runs[0]
            wall = float(np.median([r[1] for r in runs]))
            print(
                f"  {case.name:18s} tts-dtw warm runs (wall / CPU s): "
                + ", ".join(f"{r[1]:.2f} / {r[3]:.2f}" for r in runs),
                flush=True,
            )
        else:
            pred, wall, mem, _ = run_ours(case, work)
    except Refused as exc:
        print(f"  {case.name:18s} tts-dtw REFUSED: {str(exc)[:300]}", flush=True)
        return Row(case.name, case.note, nan, nan, nan, nan, nan, name, ae_med, ae_p90, ae_max, ae_wall,
                   ae_mem, refused=str(exc))  # fmt: skip
    err = edge_errors(pred, case.truth)
    if detail_ms:
        for i, (p, t) in enumerate(zip(pred, case.truth, strict=True)):
            for edge, pe, te in (("start", p[0], t[0]), ("end", p[1], t[1])):
                if abs(pe - te) > detail_ms:
                    print(
                        f"    {case.name} fragment {i + 1} {edge}: ours {pe} ms, truth {te} ms "
                        f"({pe - te:+d} ms): {case.texts[i][:60]!r}"
                    )
    extra = f" (cold cache {cold:.1f} s)" if case.name in WARM_CASES else ""
    print(
        f"  {case.name:18s} tts-dtw {'':12s} median {np.median(err):6.0f} ms  "
        f"p90 {np.percentile(err, 90):6.0f} ms  {wall:6.1f} s  {mem:6.0f} MiB  max {err.max():.0f} ms{extra}",
        flush=True,
    )
    return Row(
        case.name,
        case.note,
        float(np.median(err)),
        float(np.percentile(err, 90)),
        float(err.max()),
        wall,
        mem,
        name,
        ae_med,
        ae_p90,
        ae_max,
        ae_wall,
        ae_mem,
        ours_cold_wall=cold,
    )


def table(rows: list[Row]) -> str:
    head = (
        "| case | ours median / p90 / max (ms) | aeneas median / p90 / max (ms), best config | ours wall / peak RSS | "
        "aeneas wall / peak RSS | criteria | verdict |\n|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        ours = "refused" if r.refused else f"{r.ours_med:.0f} / {r.ours_p90:.0f} / {r.ours_max:.0f}"
        wall = "—" if r.refused else f"{r.ours_wall:.1f} s / {r.ours_mem:.0f} MiB"
        if r.case in WARM_CASES and not r.refused:
            wall = f"{r.ours_wall:.1f} s warm ({r.ours_cold_wall:.1f} s cold) / {r.ours_mem:.0f} MiB"
        lines.append(
            f"| {r.case} ({r.note}) | {ours} | {r.ae_med:.0f} / {r.ae_p90:.0f} / {r.ae_max:.0f} ({r.ae_name}) "
            f"| {wall} | {r.ae_wall:.1f} s / {r.ae_mem:.0f} MiB | {r.criteria()} | {r.verdict()} |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--cases",
        default=DEFAULT_CASES,
        help=f"comma-separated cases (default {DEFAULT_CASES}); 'issue14' = {ISSUE14_CASES}; "
        f"all: {', '.join(BUILDERS)}",
    )
    ap.add_argument("--long", action="store_true", help="also run the 3-hour episode (ours only)")
    ap.add_argument(
        "--aeneas", default=",".join(AENEAS_CONFIGS), help="aeneas configurations to try"
    )
    ap.add_argument("--data", type=Path, default=DATA, help="folder for built cases and aeneas results")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cases even if built")
    ap.add_argument("--fresh-aeneas", action="store_true", help="rerun aeneas even if its result is kept")
    ap.add_argument(
        "--worker", nargs=3, metavar=("AUDIO", "FRAGMENTS", "OUT"), help=argparse.SUPPRESS
    )
    ap.add_argument("--build", help=argparse.SUPPRESS)
    ap.add_argument(
        "--detail", type=float, default=0, metavar="MS", help="list our edges that are off by more than MS"
    )
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if args.build:
        get_case(args.build, args.data, rebuild=True)
        return
    names = [c for c in args.cases.replace("issue14", ISSUE14_CASES).split(",") if c]
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        sys.exit(f"unknown case(s) {', '.join(unknown)}; choose from: {', '.join(BUILDERS)}")
    if not AENEAS_PY.exists():
        sys.exit(
            f"aeneas is not installed at {AENEAS_PY}; see bench/README.md for the setup commands"
        )
    import production

    print(
        f"production from {Path(production.__file__).parent}; data in {args.data}; "
        f"aeneas {_aeneas_version()}; {platform.node()} {os.cpu_count()} CPUs, "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M')}",
        flush=True,
    )
    args.data.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(dir=args.data) as tmp:
        work = Path(tmp)
        for name in names:
            case = load_case(name, args.data, args.rebuild)
            configs = args.aeneas.split(",") if name not in LONG_CASES else [FAST_AENEAS]
            rows.append(bench_case(case, work, configs, args.data, args.fresh_aeneas, args.detail))
        if args.long:
            case = load_case("long3h", args.data, args.rebuild)
            pred, wall, mem, _ = run_ours(case, work)
            err = edge_errors(pred, case.truth)
            print(
                f"  long3h ({case.note}): completed in {wall:.0f} s, peak {mem:.0f} MiB, "
                f"median {np.median(err):.0f} ms, p90 {np.percentile(err, 90):.0f} ms",
                flush=True,
            )
    print(f"load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print(table(rows))
    failed = [r.case for r in rows if r.verdict() != "pass"]
    tail = f"; failing: {', '.join(failed)}" if failed else ""
    print(f"{len(rows) - len(failed)} of {len(rows)} cases pass{tail}")


if __name__ == "__main__":
    main()
