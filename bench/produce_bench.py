"""Benchmark: `produce` on the sample episode vs the floor (plain ffmpeg doing only the encodes).

The floor is what no pipeline can beat: one ffmpeg command for the MP3 (44.1 kHz CBR 192k
stereo) and one for the MP4 (the show's background looped, H.264 High veryfast crf 20 at the
same 12.5 fps, AAC 48 kHz) with the same durations. Our produce does alignment, captions, the
credit roll, two-pass loudness with verification, burned captions and the bundle on top.
Both sides run here, one after the other, in one run: ratios are what hold on a noisy machine.

    .venv/bin/python bench/produce_bench.py            # prints a Markdown table row
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from production.demo import default_sample, synthesise_host_read  # noqa: E402
from production.episode import load_episode  # noqa: E402
from production.pipeline import ProduceOptions, produce_episode  # noqa: E402

BACKGROUND = ROOT / "assets" / "artwork" / "background.png"


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def floor_encodes(host: Path, out: Path, duration_s: float) -> None:
    ff = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    subprocess.run(
        [
            *ff,
            "-i",
            str(host),
            "-ar",
            "44100",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "192k",
            str(out / "floor.mp3"),
        ],
        check=True,
    )
    subprocess.run(
        [
            *ff,
            "-loop",
            "1",
            "-framerate",
            "12.5",
            "-i",
            str(BACKGROUND),
            "-i",
            str(host),
            "-t",
            f"{duration_s:.3f}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-profile:v",
            "high",
            "-tune",
            "stillimage",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-ar",
            "48000",
            "-movflags",
            "+faststart",
            str(out / "floor.mp4"),
        ],
        check=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="produce-bench-") as tmp:
        folder = Path(tmp) / default_sample().name
        shutil.copytree(default_sample(), folder, ignore=shutil.ignore_patterns("build", "host.wav"))
        synthesise_host_read(folder)
        first = timed(lambda: produce_episode(folder, ProduceOptions(force=True)))
        second = timed(lambda: produce_episode(folder))
        ep = load_episode(folder)
        from production.audio import probe

        duration_s = probe(ep.build_dir / f"{ep.slug}.mp3").duration_ms / 1000
        floor = timed(lambda: floor_encodes(ep.host_audio, Path(tmp), duration_s))
    print(
        "| date | machine | episode | produce (first) | produce (again) | floor (plain ffmpeg) | ratio | again/first |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {date.today()} | {platform.machine()}, 2 cores, 24 GB | {duration_s:.0f} s | {first:.1f} s | "
        f"{second:.2f} s | {floor:.1f} s | {first / floor:.2f}x | {100 * second / first:.2f}% |"
    )


if __name__ == "__main__":
    main()
