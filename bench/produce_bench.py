"""Benchmark: `produce --force` of a 7-minute episode, per stage, against the episode's length.

The sample episode's script and translation are lengthened (the body paragraphs repeated, pairs
kept) until the stand-in read makes an episode of about ``--minutes``; then, in one run, one
after the other on the same machine:

* ``produce`` with every stage forced (alignment, captions with a translation, credits, master,
  video, publish), timed per stage through the progress callback;
* ``produce`` again (nothing changed: every stage is skipped by content hash);
* the floors: plain ffmpeg encoding only the MP3 (44.1 kHz CBR 192k stereo) from the host
  read, and only an MP4 of the looped background (H.264 High veryfast crf 20 stillimage at the
  show's 12.5 fps, AAC 48 kHz, +faststart), same duration;
* the loudness check: the MP3 and WAV master read by the project's meter, by pyloudnorm itself
  and by ffmpeg's ``ebur128`` filter (``peak=true``), side by side.

CPU seconds (user + sys, this process and its threads, and its finished children: ffmpeg)
are printed beside wall seconds: on a shared machine they move far less. Ratios hold on a
shared machine where seconds do not: the issue-19 targets are produce ≤ 0.2×
the episode's duration, master ≤ 3× the MP3 floor, video ≤ 0.1× the duration.

    .venv/bin/python bench/produce_bench.py             # Markdown tables on stdout
    .venv/bin/python bench/produce_bench.py --minutes 3 # a shorter episode
"""

from __future__ import annotations

import argparse
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from production.audio import probe  # noqa: E402
from production.demo import default_sample, synthesise_host_read  # noqa: E402
from production.episode import load_episode  # noqa: E402
from production.mastering import measure_loudness  # noqa: E402
from production.mastering.media import decode_float  # noqa: E402
from production.pipeline import ProduceOptions, produce_episode  # noqa: E402

BACKGROUND = ROOT / "assets" / "artwork" / "background.png"
SAMPLE_EPISODE_S = 325.0  # the sample episode's length as produced (bench/README.md, 2026-11-28)
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


def cpu_s() -> float:
    """CPU seconds (user + sys) of this process (all its threads) and of its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, cpu: dict[str, float] | None = None, key: str = "") -> float:  # type: ignore[no-untyped-def]
    started, used = time.monotonic(), cpu_s()
    fn()
    if cpu is not None:
        cpu[key] = cpu_s() - used
    return time.monotonic() - started


def lengthen(folder: Path, minutes: float) -> None:
    """Repeat the body paragraphs (English line i+1 ↔ Chinese line i) until about ``minutes``."""
    toml = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
    script, translation = folder / toml["script"], folder / toml["translation"]
    en = script.read_text(encoding="utf-8").splitlines()
    zh = translation.read_text(encoding="utf-8").splitlines()
    body = len(zh)  # English: a title line, then the body paragraphs the translation pairs with
    head, paras, tail = en[:1], en[1 : 1 + body], en[1 + body :]
    words = sum(len(p.split()) for p in paras)
    wanted = words * minutes * 60 / SAMPLE_EPISODE_S
    extra_en, extra_zh, i = [], [], 1  # the greeting (0) and the sign-off (last) are not repeated
    while words < wanted:
        extra_en.append(paras[i])
        extra_zh.append(zh[i])
        words += len(paras[i].split())
        i = i + 1 if i + 2 < len(paras) else 1
    at = len(paras) - 1
    script.write_text("\n".join([*head, *paras[:at], *extra_en, *paras[at:], *tail]) + "\n", "utf-8")
    translation.write_text("\n".join([*zh[:at], *extra_zh, *zh[at:]]) + "\n", "utf-8")


def floor_mp3(host: Path, out: Path) -> None:
    args = ["-i", str(host), "-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "192k"]
    subprocess.run([*FF, *args, str(out / "floor.mp3")], check=True)


def floor_mp4(host: Path, out: Path, duration_s: float) -> None:
    picture = ["-loop", "1", "-framerate", "12.5", "-i", str(BACKGROUND)]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high"]
    x264 += ["-tune", "stillimage", "-pix_fmt", "yuv420p"]
    audio = ["-c:a", "aac", "-ar", "48000", "-movflags", "+faststart"]
    subprocess.run(
        [*FF, *picture, "-i", str(host), "-t", f"{duration_s:.3f}", *x264, *audio, str(out / "floor.mp4")],
        check=True,
    )


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's ebur128 filter."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return lufs, peak


def pyloudnorm_lufs(path: Path) -> float:
    """pyloudnorm's own integrated loudness of the decoded file (the meter's reference)."""
    import pyloudnorm

    samples, rate = decode_float(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype("float64")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=7.0, help="episode length to aim for (default 7)")
    args = parser.parse_args()
    stages: dict[str, float] = {}
    began: dict[str, tuple[float, float]] = {}
    cpu: dict[str, float] = {}

    def progress(stage: str, fraction: float, message: str) -> None:
        now = (time.monotonic(), cpu_s())
        if fraction == 0.0 and stage not in began:
            began[stage] = now
        if message == "done":
            wall, used = began.get(stage, now)
            stages[stage], cpu[stage] = now[0] - wall, now[1] - used

    with tempfile.TemporaryDirectory(prefix="produce-bench-") as tmp:
        folder = Path(tmp) / default_sample().name
        shutil.copytree(default_sample(), folder, ignore=shutil.ignore_patterns("build", "host.wav"))
        lengthen(folder, args.minutes)
        synthesise_host_read(folder)
        result = None

        def first_run() -> None:
            nonlocal result
            result = produce_episode(folder, ProduceOptions(force=True), progress)

        first = timed(first_run, cpu, "produce")
        assert result is not None and not result.error, result and result.error
        again = timed(lambda: produce_episode(folder))
        ep = load_episode(folder)
        mp3, wav = ep.build_dir / f"{ep.slug}.mp3", ep.build_dir / f"{ep.slug}.wav"
        duration_s = probe(mp3).duration_ms / 1000
        mp3_floor = timed(lambda: floor_mp3(ep.host_audio, Path(tmp)), cpu, "mp3")
        mp4_floor = timed(lambda: floor_mp4(ep.host_audio, Path(tmp), duration_s), cpu, "mp4")
        meters = {p.suffix: (measure_loudness(p), pyloudnorm_lufs(p), ebur128(p)) for p in (mp3, wav)}
    machine = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores"
    print(f"{date.today()} · {machine} · episode {duration_s:.0f} s · one run, side by side\n")
    print("| stage | wall s | × episode | CPU s |")
    print("|---|---|---|---|")
    for name, secs in stages.items():
        print(f"| {name} | {secs:.1f} | {secs / duration_s:.3f} | {cpu[name]:.1f} |")
    print(f"| **produce --force** | {first:.1f} | {first / duration_s:.3f} | {cpu['produce']:.1f} |")
    print(f"| produce again (all skipped) | {again:.2f} | {again / duration_s:.4f} | |")
    print(f"| floor: MP3 encode alone | {mp3_floor:.1f} | {mp3_floor / duration_s:.3f} | {cpu['mp3']:.1f} |")
    print(f"| floor: MP4 encode alone | {mp4_floor:.1f} | {mp4_floor / duration_s:.3f} | {cpu['mp4']:.1f} |")
    if "master" in stages:
        print(
            f"\nmaster / MP3 floor: {stages['master'] / mp3_floor:.2f}x wall, "
            f"{cpu['master'] / max(cpu['mp3'], 1e-9):.2f}x CPU"
        )
    print("\n| file | meter LUFS | pyloudnorm LUFS | ebur128 LUFS | Δ LU | meter dBTP | ebur128 dBTP |")
    print("|---|---|---|---|---|---|---|")
    for suffix, (ours, reference, (lufs, peak)) in meters.items():
        print(
            f"| {suffix} | {ours.integrated_lufs:.2f} | {reference:.2f} | {lufs:.2f} | {abs(reference - lufs):.2f} "
            f"| {ours.true_peak_dbtp:.2f} | {peak:.2f} |"
        )


if __name__ == "__main__":
    main()
