"""ffmpeg calls and sample conversions shared by the mastering steps (numpy ↔ pydub)."""

from __future__ import annotations

import errno
import os
import struct
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: default pipes
    fcntl = None  # type: ignore[assignment]

import numpy as np
from pydub import AudioSegment

from ..audio import decode_args, probe
from ..errors import AudioError, RenderError
from ..fsutil import explain_os_error
from ..tools import require
from .settings import WORK_RATE

DISK_FULL = "No space left on device"  # strerror(ENOSPC) as ffmpeg prints it

WORK_WIDTH = 4  # bytes per sample in pydub assembly: 32-bit integers keep a quiet read clean
# Pipes to and from ffmpeg hold this much: 1 MiB is ~25 ms of the render's work (the default
# 64 KiB, ~1.5 ms, left ffmpeg waiting on this process whenever a busy machine did not run it
# at once). Linux's F_SETPIPE_SZ; its default limit (/proc/sys/fs/pipe-max-size) is 1 MiB.
PIPE_BYTES = 1 << 20


def _widen(*pipes: IO[bytes]) -> None:
    """Ask for PIPE_BYTES of pipe buffer; where the system says no, the default stays."""
    size_op = getattr(fcntl, "F_SETPIPE_SZ", None)
    for pipe in pipes:
        if size_op is not None:
            try:
                fcntl.fcntl(pipe.fileno(), size_op, PIPE_BYTES)
            except OSError:
                pass


def run_piped(cmd: Sequence[str], data: bytes | memoryview | None = None) -> tuple[int, bytes, bytes]:
    """Run ``cmd`` with ``data`` on its stdin (None: no stdin); return (exit status, stdout,
    stderr). A thread writes stdin in one call and another drains stderr, so neither side waits
    on small chunks (``subprocess.run(input=…)`` writes 4 KiB at a time from a poll loop)."""
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    _widen(proc.stdout, *([proc.stdin] if proc.stdin is not None else []))
    err: list[bytes] = []

    def drain() -> None:
        assert proc.stderr is not None
        err.append(proc.stderr.read())

    def feed() -> None:
        assert proc.stdin is not None and data is not None
        try:
            proc.stdin.write(data)
        except OSError:  # ffmpeg stopped reading (it failed): its exit status and stderr say why
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    helpers = [threading.Thread(target=drain, daemon=True)]
    if data is not None:
        helpers.append(threading.Thread(target=feed, daemon=True))
    for helper in helpers:
        helper.start()
    out = proc.stdout.read()
    for helper in helpers:
        helper.join()
    proc.stdout.close()
    proc.stderr.close()
    return proc.wait(), out, err[0] if err else b""


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


def ffmpeg_pipe(args: Sequence[str], data: bytes | memoryview, what: str) -> tuple[bytes, str]:
    """Run ffmpeg with ``data`` on its stdin (``pipe:0``); return its stdout and its stderr.

    Samples already in memory go to ffmpeg this way instead of through a temporary file and a
    second decode.
    """
    exe = require("ffmpeg")
    code, out, raw_err = run_piped([exe, "-nostdin", "-hide_banner", "-y", *args], data)
    err = raw_err.decode("utf-8", "replace")
    if code != 0:
        if DISK_FULL in err:  # ffmpeg wrote the file itself: the same line as a write of ours
            raise explain_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), near=args[-1])
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise RenderError(f"{what} failed (ffmpeg exit {code}): {tail}")
    return out, err


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
    code, out, err = run_piped(decode_args(path, rate, channels, fmt))
    if code != 0 or not out:
        tail = " ".join(err.decode("utf-8", "replace").strip().splitlines()[-1:])
        raise AudioError(
            f"{path.name} could not be decoded ({tail or 'no samples'}); "
            "export it again as WAV or FLAC"
        )
    return out, rate, channels


def decode_float(
    path: str | os.PathLike[str], rate: int | None = None, channels: int | None = None
) -> tuple[np.ndarray, int]:
    """Samples as float32, shape (n, channels), in [-1, 1], and their rate (None: file's own)."""
    raw, r, ch = decode_raw(Path(path), rate, channels)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, ch), r


WAVE_PCM = 1  # WAVE_FORMAT_PCM
WAVE_EXTENSIBLE = 0xFFFE  # WAVE_FORMAT_EXTENSIBLE: the subformat GUID's first two bytes say PCM
PCM_WIDTHS = (2, 3, 4)  # bytes per sample read directly: 16-, 24- and 32-bit integers


def read_pcm(path: Path) -> tuple[np.ndarray, int] | None:
    """A PCM WAV file's samples as integers (16-bit as int16; 24- and 32-bit as int32 at the
    32-bit full scale), shape (n, channels), and its rate; None when the file is anything else
    (then ffmpeg decodes it). Reading the file directly spares a decoding process and a copy of
    every sample through a pipe; the meter reads integers as they are."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            fmt: tuple[int, int, int, int] | None = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    body = f.read(size + (size & 1))
                    tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                    if tag == WAVE_EXTENSIBLE and len(body) >= 26:
                        tag = struct.unpack("<H", body[24:26])[0]
                    fmt = (tag, ch, rate, bits)
                elif cid == b"data":
                    if fmt is None:
                        return None
                    tag, ch, rate, bits = fmt
                    width = bits // 8
                    if tag != WAVE_PCM or bits % 8 or width not in PCM_WIDTHS or ch < 1:
                        return None
                    frames = size // (width * ch)
                    raw = np.zeros(frames * width * ch + 1, dtype=np.uint8)  # +1: see below
                    got = f.readinto(raw.data[:-1])
                    break
                else:
                    f.seek(size + (size & 1), os.SEEK_CUR)
    except (OSError, struct.error, ValueError):
        return None
    frames = got // (width * ch)
    if width == 3:
        # each sample's three bytes read as the low three of an overlapping 4-byte word (the
        # spare byte at the end serves the last), shifted to the top: the 32-bit full scale
        words = np.ndarray((frames * ch,), dtype="<i4", buffer=raw, strides=(3,))
        return np.left_shift(words, 8).reshape(frames, ch), rate
    return raw[: frames * ch * width].view(f"<i{width}").reshape(frames, ch), rate


def decode_samples(
    path: str | os.PathLike[str], rate: int | None = None, channels: int | None = None
) -> tuple[np.ndarray, int]:
    """Samples of shape (n, channels) and their rate, for the meter: a PCM WAV file already at
    ``rate`` with ``channels`` read directly (integers, :func:`read_pcm`), anything else
    decoded by ffmpeg to float32 (:func:`decode_float`)."""
    direct = read_pcm(Path(path))
    if direct is not None:
        samples, r = direct
        if (rate is None or rate == r) and (channels is None or channels == samples.shape[1]):
            return samples, r
    return decode_float(path, rate, channels)


def raw_format(dtype: np.dtype) -> str:
    """ffmpeg's raw sample format for interleaved samples of ``dtype`` (f32le, s16le, s32le)."""
    dtype = np.dtype(dtype)
    return "f32le" if dtype.kind == "f" else f"s{8 * dtype.itemsize}le"


def load_segment(path: Path, channels: int = 2) -> AudioSegment:
    """Any ffmpeg-readable file as a 48 kHz 32-bit pydub segment (a 24- or 32-bit PCM WAV file
    at that rate and layout, such as the ducked bed, read directly)."""
    direct = read_pcm(path) if path.suffix.lower() == ".wav" else None
    if direct is not None:
        samples, rate = direct
        if rate == WORK_RATE and samples.shape[1] == channels and samples.dtype == np.int32:
            data = np.ascontiguousarray(samples, dtype="<i4").tobytes()
            return AudioSegment(data=data, sample_width=WORK_WIDTH, frame_rate=WORK_RATE, channels=channels)
    raw, _, _ = decode_raw(path, WORK_RATE, channels, fmt="s32le")
    return AudioSegment(data=raw, sample_width=WORK_WIDTH, frame_rate=WORK_RATE, channels=channels)


def full_scale(dtype: np.dtype) -> float:
    """The factor that brings samples of ``dtype`` to ±1.0: 1 for floats, 2^-(bits-1) for ints."""
    dtype = np.dtype(dtype)
    return 1.0 / 2 ** (8 * dtype.itemsize - 1) if dtype.kind == "i" else 1.0


def segment_samples(seg: AudioSegment) -> np.ndarray:
    """A pydub segment as float32 of shape (n, channels)."""
    dtype = {2: "<i2", 4: "<i4"}[seg.sample_width]
    scale = np.float32(1 / 2 ** (8 * seg.sample_width - 1))
    ints = np.frombuffer(seg.raw_data, dtype=dtype)
    return np.multiply(ints, scale, dtype=np.float32, casting="unsafe").reshape(-1, seg.channels)


def silence(ms: int, channels: int = 2) -> AudioSegment:
    """``ms`` of digital silence at the working format."""
    frames = ms * WORK_RATE // 1000
    return AudioSegment(
        data=bytes(frames * channels * WORK_WIDTH),
        sample_width=WORK_WIDTH,
        frame_rate=WORK_RATE,
        channels=channels,
    )
