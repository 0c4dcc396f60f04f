"""Run one ffmpeg command and turn its ``-progress pipe:1`` report into progress callbacks."""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import RenderError
from ..tools import require
from .settings import ProgressFn

log = logging.getLogger(__name__)

# Global options in front of every command: quiet stderr (errors only, kept as evidence),
# machine-readable progress on stdout, never read the terminal.
GLOBAL_ARGS = (
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "error",
    "-progress",
    "pipe:1",
    "-y",
)
STDERR_TAIL_LINES = 4  # lines of ffmpeg's stderr quoted in a RenderError


@dataclass(frozen=True)
class Progress:
    """One block of ffmpeg's progress report (it ends with a ``progress=`` line)."""

    out_time_us: int | None  # µs of output written; None while ffmpeg reports N/A
    frame: int | None  # video frames written so far
    speed: str  # e.g. "3.2x"
    done: bool  # ``progress=end``


def parse_progress(lines: Iterable[str]) -> Iterator[Progress]:
    """Blocks of ``key=value`` lines, one Progress per ``progress=continue|end`` line."""
    block: dict[str, str] = {}
    for raw in lines:
        key, sep, value = raw.strip().partition("=")
        if not sep:
            continue
        block[key] = value.strip()
        if key == "progress":
            yield Progress(
                _int(block.get("out_time_us")),
                _int(block.get("frame")),
                block.get("speed", ""),
                value.strip() == "end",
            )
            block = {}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None  # "N/A" before the first frame


def fraction(progress: Progress, total_us: int) -> float:
    if progress.done:
        return 1.0
    if not progress.out_time_us or total_us <= 0:
        return 0.0
    return min(1.0, max(0.0, progress.out_time_us / total_us))


def run_ffmpeg(
    args: Sequence[str],
    *,
    total_ms: int,
    what: str,
    progress: ProgressFn | None = None,
    timeout_s: float | None = None,
) -> Progress | None:
    """Run ``ffmpeg GLOBAL_ARGS args``; report progress; RenderError with stderr's tail on failure.

    Returns the last progress block (frame count), or None if ffmpeg printed none.
    """
    cmd = [require("ffmpeg"), *GLOBAL_ARGS, *args]
    log.debug("ffmpeg command: %s", cmd)
    last: Progress | None = None
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        try:
            assert proc.stdout is not None
            for block in parse_progress(proc.stdout):
                last = block
                if progress is not None:
                    progress(
                        fraction(block, total_ms * 1000), f"{what}: {block.speed or 'starting'}"
                    )
                if timeout_s is not None and time.monotonic() - started > timeout_s:
                    raise RenderError(
                        f"{what} took longer than {timeout_s:.0f} s: raise "
                        "VideoSettings.timeout_s or use a faster preset"
                    )
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            stderr.seek(0)
            tail = (
                stderr.read().decode("utf-8", "replace").strip().splitlines()[-STDERR_TAIL_LINES:]
            )
            raise RenderError(
                f"{what} failed (ffmpeg exit {proc.returncode}): {' | '.join(tail) or 'no message'}"
            )
    return last
