"""ffmpeg calls and sample conversions shared by the mastering steps (numpy ↔ pydub)."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from ..audio import decode_args, probe
from ..errors import AudioError, RenderError
from ..fsutil import explain_os_error
from ..tools import require
from .settings import WORK_RATE

DISK_FULL = "No space left on device"  # strerror(ENOSPC) as ffmpeg prints it

WORK_WIDTH = 4  # bytes per sample in pydub assembly: 32-bit integers keep a quiet read clean


def ffmpeg(args: Sequence[str], what: str) -> str:
    """Run ffmpeg with an argument list (no shell); return its stderr (loudnorm's JSON is there)."""
    exe = require("ffmpeg")
    proc = subprocess.run(
        [exe, "-nostdin", "-hide_banner", "-y", *args], capture_output=True, check=False
    )
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise RenderError(f"{what} failed (ffmpeg exit {proc.returncode}): {tail}")
    return err


def ffmpeg_pipe(args: Sequence[str], data: bytes, what: str) -> tuple[bytes, str]:
    """Run ffmpeg with ``data`` on its stdin (``pipe:0``); return its stdout and its stderr.

    Samples already in memory go to ffmpeg this way instead of through a temporary file and a
    second decode.
    """
    exe = require("ffmpeg")
    proc = subprocess.run(
        [exe, "-nostdin", "-hide_banner", "-y", *args],
        input=data,
        capture_output=True,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if DISK_FULL in err:  # ffmpeg wrote the file itself: the same line as a write of ours
            raise explain_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), near=args[-1])
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise RenderError(f"{what} failed (ffmpeg exit {proc.returncode}): {tail}")
    return proc.stdout, err


def raw_input_args(fmt: str, rate: int, channels: int) -> list[str]:
    """ffmpeg input options for interleaved samples on stdin."""
    return ["-f", fmt, "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0"]


def decode_raw(
    path: Path, rate: int | None, channels: int | None, fmt: str = "f32le"
) -> tuple[bytes, int, int]:
    """Interleaved samples of ``path`` in ``fmt``, with their rate and channel count.

    ``rate``/``channels`` None: the file's own (ffmpeg's mono→stereo upmix lowers the level 3 dB).
    """
    if rate is None or channels is None:
        info = probe(path)
        rate, channels = rate or info.sample_rate, channels or info.channels
    proc = subprocess.run(
        decode_args(path, rate, channels, fmt),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        tail = " ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:])
        raise AudioError(
            f"{path.name} could not be decoded ({tail or 'no samples'}); "
            "export it again as WAV or FLAC"
        )
    return proc.stdout, rate, channels


def decode_float(
    path: str | os.PathLike[str], rate: int | None = None, channels: int | None = None
) -> tuple[np.ndarray, int]:
    """Samples as float32, shape (n, channels), in [-1, 1], and their rate (None: file's own)."""
    raw, r, ch = decode_raw(Path(path), rate, channels)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, ch), r


def load_segment(path: Path, channels: int = 2) -> AudioSegment:
    """Any ffmpeg-readable file as a 48 kHz 32-bit pydub segment."""
    raw, _, _ = decode_raw(path, WORK_RATE, channels, fmt="s32le")
    return AudioSegment(data=raw, sample_width=WORK_WIDTH, frame_rate=WORK_RATE, channels=channels)


def segment_samples(seg: AudioSegment) -> np.ndarray:
    """A pydub segment as float32 of shape (n, channels)."""
    dtype = {2: "<i2", 4: "<i4"}[seg.sample_width]
    scale = float(2 ** (8 * seg.sample_width - 1))
    return (np.frombuffer(seg.raw_data, dtype=dtype).astype(np.float32) / scale).reshape(
        -1, seg.channels
    )


def silence(ms: int, channels: int = 2) -> AudioSegment:
    """``ms`` of digital silence at the working format."""
    frames = ms * WORK_RATE // 1000
    return AudioSegment(
        data=bytes(frames * channels * WORK_WIDTH),
        sample_width=WORK_WIDTH,
        frame_rate=WORK_RATE,
        channels=channels,
    )
