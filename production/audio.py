"""Audio in: decode anything ffmpeg reads, resample, probe, and simple energy features."""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import AudioError, RenderError
from .tools import require, run

READ_BYTES = 1 << 20  # bytes per read from ffmpeg's pipe
ANALYSIS_RATE = 16000  # Hz; speech analysis rate shared by the aligners (whisper uses 16 kHz too)
ESTIMATED_DURATION = b"Estimating duration from bitrate"  # ffprobe's warning: no header states it
WAV_UNSET_SIZE = 0xFFFF0000  # bytes; writers that stream a WAV leave its data size near 2**32 - 1


MIN_READ_MS = 1000  # a host read shorter than this is no read (mastering refuses under 1 s too)


@dataclass(frozen=True)
class AudioInfo:
    duration_ms: int
    sample_rate: int
    channels: int
    codec: str


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"audio file not found: {path}; check the path (or episode.toml's host_audio)")
    if path.is_dir():
        raise AudioError(f"{path} is a folder, not an audio file; point at the recording itself")
    if path.stat().st_size == 0:
        raise AudioError(f"audio file is empty (0 bytes): {path}; export the recording again")
    if not os.access(path, os.R_OK):
        raise AudioError(f"audio file is not readable: {path}; fix its permissions (chmod a+r)")


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Duration and format of the first audio stream, via ffprobe."""
    p = Path(path)
    _check_readable(p)
    try:
        out = run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "a",
                "-show_entries",
                "stream=sample_rate,channels,codec_name:format=duration",
                "-of",
                "json",
                str(p),
            ],
            what=f"reading {p.name}",
        )
    except RenderError as err:
        raise AudioError(f"{p.name} is not a readable audio file ({err}); export it again as WAV, FLAC or MP3") from err
    data = json.loads(out or b"{}")
    streams = data.get("streams") or []
    if not streams:
        raise AudioError(f"{p.name} has no audio stream; is it the right file?")
    duration = float(data.get("format", {}).get("duration") or 0.0)
    if duration <= 0:
        raise AudioError(f"{p.name} has no measurable duration (truncated or corrupt?); export it again")
    if len(streams) > 1:
        raise _several_streams(p, streams)
    s = streams[0]
    return AudioInfo(
        round(duration * 1000), int(s.get("sample_rate", 0)), int(s.get("channels", 0)), s.get("codec_name", "?")
    )


WAV_CODECS = {1: "pcm_u8", 2: "pcm_s16le", 3: "pcm_s24le", 4: "pcm_s32le"}  # bytes per sample -> ffprobe's name


def quick_probe(path: str | os.PathLike[str]) -> AudioInfo:
    """``probe``, read from the header of a PCM WAV that states its length (starting ffprobe
    costs 50-150 ms of a short alignment's start-up); any other file goes to ffprobe."""
    import wave

    p = Path(path)
    _check_readable(p)
    with open(p, "rb") as fh:
        riff = fh.read(4) == b"RIFF"
    if riff and (ms := _wav_header_ms(p)) is not None:
        with wave.open(str(p), "rb") as w:
            codec = WAV_CODECS.get(w.getsampwidth())
            whole = w.getnframes() * w.getsampwidth() * w.getnchannels() <= p.stat().st_size  # not truncated
            if codec is not None and whole:
                return AudioInfo(ms, w.getframerate(), w.getnchannels(), codec)
    return probe(p)


LEVEL_PROBE_S = 300  # seconds of each stream measured when a file holds several audio streams
SILENT_DB = -60.0  # dBFS mean level under which a stream is called silent


def stream_levels_db(path: Path, count: int) -> list[float | None]:
    """Mean level (dBFS, ffmpeg's volumedetect) of each of ``count`` audio streams over their
    first LEVEL_PROBE_S seconds; None where it cannot be measured."""
    import re

    levels: list[float | None] = []
    for i in range(count):
        proc = subprocess.run(
            [
                require("ffmpeg"),
                "-nostdin",
                "-hide_banner",
                "-t",
                str(LEVEL_PROBE_S),
                "-i",
                str(path),
                "-map",
                f"0:a:{i}",
                "-af",
                "volumedetect",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            check=False,
        )
        found = re.search(rb"mean_volume: (-?[0-9.]+|-inf) dB", proc.stderr)
        levels.append(float(found.group(1)) if found else None)
    return levels


def _several_streams(path: Path, streams: list[dict[str, object]]) -> AudioError:
    """Refuse a file with several audio streams (a video recorder's MKV), naming each and the
    command that keeps the one with the voice; which stream a tool decodes is not to be guessed."""
    levels = stream_levels_db(path, len(streams))
    described = []
    for i, (s, level) in enumerate(zip(streams, levels, strict=True)):
        sound = "unreadable" if level is None else "silent" if level < SILENT_DB else f"sound at {level:.0f} dBFS mean"
        described.append(f"#{i} {s.get('codec_name', '?')} {s.get('channels', '?')} ch, {sound}")
    measured = [-math.inf if level is None else level for level in levels]
    loudest = measured.index(max(measured))
    return AudioError(
        f"{path.name} holds {len(streams)} audio streams ({'; '.join(described)}); keep the host's voice "
        f"in a file of its own, e.g. `ffmpeg -i {shlex.quote(path.name)} -map 0:a:{loudest} -c:a flac "
        f"{shlex.quote(path.stem + '-voice.flac')}`, and point host_audio at it (or, in episode.toml, "
        f"set host_audio_stream = {loudest} to use that stream as it is)"
    )


def audio_stream_count(path: Path) -> int:
    """How many audio streams the file holds (ffprobe)."""
    _check_readable(path)
    try:
        out = run(
            ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0",
             str(path)],
            what=f"reading {path.name}",
        )  # fmt: skip
    except RenderError as err:
        raise AudioError(f"{path.name} is not a readable audio file ({err}); export it again") from err
    return len(out.split())


def extract_stream(path: Path, index: int, out: Path) -> Path:
    """Audio stream ``index`` (0-based) of ``path`` alone in ``out``, losslessly as FLAC; reused
    while it is newer than ``path``. The host's file is only read."""
    from .fsutil import atomic_path

    count = audio_stream_count(path)
    if not 0 <= index < count:
        raise AudioError(
            f"host_audio_stream = {index} in episode.toml, but {path.name} holds {count} audio stream(s) "
            f"(numbered from 0): choose one of {', '.join(map(str, range(count))) or 'none'}"
        )
    if out.is_file() and out.stat().st_mtime_ns >= path.stat().st_mtime_ns:
        return out
    with atomic_path(out) as tmp:
        run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(path), "-map", f"0:a:{index}", "-c:a", "flac",
             "-f", "flac", str(tmp)],
            what=f"reading audio stream {index} of {path.name}",
        )  # fmt: skip
    return out


def require_read_length(path: str | os.PathLike[str], info: AudioInfo, min_ms: int = MIN_READ_MS) -> None:
    """Refuse a recording too short to hold a read (a clipped export, a test beep) by its length,
    before any analysis would call it silent."""
    if info.duration_ms < min_ms:
        raise AudioError(
            f"{Path(path).name} is only {info.duration_ms / 1000:.1f} s long, too short to be the host's read "
            f"(at least {min_ms / 1000:g} s); export the whole recording again"
        )


def stated_duration_ms(path: str | os.PathLike[str]) -> int | None:
    """The duration a file's own header states (MP3 Xing/Info frame, FLAC STREAMINFO, MP4 moov),
    or None when ffprobe can only estimate it from the bitrate (an MP3 without a Xing frame)."""
    import subprocess

    p = Path(path)
    _check_readable(p)
    with open(p, "rb") as fh:
        if fh.read(4) == b"RIFF":  # ffprobe measures a WAV by its file size; its header knows better
            return _wav_header_ms(p)
    proc = subprocess.run(
        [require("ffprobe"), "-v", "warning", "-show_entries", "format=duration", "-of", "csv=p=0", str(p)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0 or ESTIMATED_DURATION in proc.stderr:
        return None
    try:
        return round(float(proc.stdout.decode("ascii", "replace").strip()) * 1000)
    except ValueError:
        return None


def _wav_header_ms(path: Path) -> int | None:
    """Length a PCM WAV's data chunk header states; None when unset (streamed) or not PCM."""
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            frames, rate, block = w.getnframes(), w.getframerate(), w.getsampwidth() * w.getnchannels()
    except (wave.Error, EOFError, OSError):
        return None
    if frames == 0 or rate == 0 or frames * block >= WAV_UNSET_SIZE:
        return None
    return round(frames * 1000 / rate)


def decode_args(path: str | os.PathLike[str], rate: int, channels: int, fmt: str) -> list[str]:
    """The one ffmpeg command the library decodes audio with: raw ``fmt`` samples on stdout."""
    return [
        require("ffmpeg"),
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-vn",
        "-ac",
        str(channels),
        "-ar",
        str(rate),
        "-f",
        fmt,
        "-",
    ]


def decode_int16(path: str | os.PathLike[str], rate: int) -> np.ndarray:
    """Decode any ffmpeg-readable file to mono int16 at ``rate`` (read in blocks from a pipe)."""
    path = Path(path)
    args = decode_args(path, rate, 1, "s16le")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    data = bytearray()  # grows in place; the array below shares its memory (no final copy)
    while chunk := proc.stdout.read(READ_BYTES):
        data += chunk
    err = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.wait() != 0:
        raise AudioError(
            f"{path.name} could not be decoded ({(err.splitlines() or ['?'])[-1]}); export it again as WAV, FLAC or MP3"
        )
    if len(data) < 2:
        raise AudioError(f"{path.name} decoded to no samples (empty or corrupt); export it again")
    return np.frombuffer(data, dtype="<i2", count=len(data) // 2)


def load(path: str | os.PathLike[str], rate: int = ANALYSIS_RATE) -> np.ndarray:
    """Decode to mono float32 in [-1, 1] at ``rate`` Hz."""
    p = Path(path)
    _check_readable(p)
    return decode_int16(p, rate).astype(np.float32) / 32768.0


def save_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int) -> Path:
    """Write mono float samples as 16-bit PCM WAV (atomically)."""
    import wave

    from .fsutil import atomic_path

    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
    return Path(path)


def frame_rms_db(samples: np.ndarray, rate: int, hop_ms: int = 10, win_ms: int = 25) -> np.ndarray:
    """Short-time RMS level in dBFS, one value per ``hop_ms`` (memory linear in duration)."""
    hop = max(1, rate * hop_ms // 1000)
    win = max(hop, rate * win_ms // 1000)
    n = max(1, 1 + (len(samples) - win) // hop)
    padded = np.pad(samples.astype(np.float64), (0, max(0, (n - 1) * hop + win - len(samples))))
    csum = np.concatenate(([0.0], np.cumsum(padded * padded)))
    starts = hop * np.arange(n)
    energy = (csum[starts + win] - csum[starts]) / win
    return (10.0 * np.log10(np.maximum(energy, 1e-12))).astype(np.float32)
