"""What an MP4 holds: streams (ffprobe) and the order of its top-level atoms (read directly)."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import RenderError
from ..tools import run
from .settings import VideoSettings

ATOM_HEADER = 8  # bytes: 32-bit size + 4-character type (ISO/IEC 14496-12 §4.2)
LARGE_HEADER = 16  # bytes: size field 1 means a 64-bit size follows the type
DURATION_TOLERANCE_MS = 100  # issue 8: video duration = audio ± 0.1 s
PROBE = (
    "ffprobe -v error -of json -show_entries "
    "format=duration,size,format_name:"
    "stream=index,codec_type,codec_name,profile,level,width,height,pix_fmt,sample_rate,channels,"
    "r_frame_rate,avg_frame_rate,nb_frames:stream_tags=language,title,handler_name"
).split()


def top_level_atoms(path: str | os.PathLike[str]) -> list[tuple[str, int, int]]:
    """``(type, offset, size)`` of each top-level box; RenderError if not box-structured."""
    p = Path(path)
    total = p.stat().st_size
    with open(p, "rb") as fh:
        return read_atoms(fh, total, p.name)


def read_atoms(fh: BinaryIO, total: int, name: str = "file") -> list[tuple[str, int, int]]:
    atoms: list[tuple[str, int, int]] = []
    offset = 0
    while offset < total:
        fh.seek(offset)
        header = fh.read(ATOM_HEADER)
        if len(header) < ATOM_HEADER:
            raise RenderError(
                f"{name}: truncated box header at byte {offset}; render the video again"
            )
        size, kind_bytes = struct.unpack(">I4s", header)
        if size == 1:
            large = fh.read(8)
            if len(large) < 8:
                raise RenderError(
                    f"{name}: truncated 64-bit box size at byte {offset}; render the video again"
                )
            size = struct.unpack(">Q", large)[0]
            minimum = LARGE_HEADER
        else:
            size = total - offset if size == 0 else size  # 0: the box runs to the end of the file
            minimum = ATOM_HEADER
        kind = kind_bytes.decode("latin-1")
        if size < minimum or offset + size > total or not kind.isprintable():
            raise RenderError(
                f"{name}: not an MP4 box structure at byte {offset} (type {kind!r}, size {size}); "
                "render the video again"
            )
        atoms.append((kind, offset, size))
        offset += size
    return atoms


def moov_before_mdat(atoms: list[tuple[str, int, int]]) -> bool:
    kinds = [a[0] for a in atoms]
    return "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")


def probe_video(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Summary of an MP4: streams by kind, languages, duration, and whether moov precedes mdat."""
    p = Path(path)
    if not p.is_file():
        raise RenderError(f"video not found: {p}; render it first")
    out = run([*PROBE, str(p)], what=f"probing {p.name}")
    data = json.loads(out or b"{}")
    atoms = top_level_atoms(p)
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    subtitles = [_subtitle(s) for s in streams if s.get("codec_type") == "subtitle"]
    return {
        "path": str(p),
        "format": fmt.get("format_name", ""),
        "duration_ms": round(float(fmt.get("duration") or 0) * 1000),
        "size_bytes": int(fmt.get("size") or p.stat().st_size),
        "atoms": [a[0] for a in atoms],
        "moov_before_mdat": moov_before_mdat(atoms),
        "video": [_video(s) for s in streams if s.get("codec_type") == "video"],
        "audio": [_audio(s) for s in streams if s.get("codec_type") == "audio"],
        "subtitles": subtitles,
        "subtitle_languages": [s["language"] for s in subtitles],
    }


def _video(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "codec": s.get("codec_name"),
        "profile": s.get("profile"),
        "level": s.get("level"),
        "width": s.get("width"),
        "height": s.get("height"),
        "pix_fmt": s.get("pix_fmt"),
        "avg_frame_rate": s.get("avg_frame_rate"),
        "frames": int(s.get("nb_frames") or 0),
    }


def _audio(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "codec": s.get("codec_name"),
        "profile": s.get("profile"),
        "sample_rate": int(s.get("sample_rate") or 0),
        "channels": s.get("channels"),
    }


def _subtitle(s: dict[str, Any]) -> dict[str, Any]:
    tags = s.get("tags") or {}
    return {
        "codec": s.get("codec_name"),
        "language": tags.get("language", "und"),
        "title": tags.get("title") or tags.get("handler_name") or "",
    }


def check_video(
    path: str | os.PathLike[str],
    has_translation: bool = True,
    *,
    audio_ms: int | None = None,
    settings: VideoSettings | None = None,
) -> list[str]:
    """Problems with a rendered episode MP4 against docs/output-rules.md "Publishing" (empty list: fine)."""
    settings = settings or VideoSettings()
    info = probe_video(path)
    problems = [reason for reason, failed in _rules(info, has_translation, settings) if failed]
    if audio_ms is not None and abs(info["duration_ms"] - audio_ms) > DURATION_TOLERANCE_MS:
        problems.append(
            f"duration {info['duration_ms']} ms differs from the audio's {audio_ms} ms by more "
            f"than {DURATION_TOLERANCE_MS} ms: render the video again from the mastered audio"
        )
    return problems


def _rules(info: dict[str, Any], has_translation: bool, s: VideoSettings) -> list[tuple[str, bool]]:
    """(problem, present) pairs, docs/output-rules.md "Publishing", video."""
    video, audio, langs = info["video"], info["audio"], info["subtitle_languages"]
    v = video[0] if len(video) == 1 else {}
    a = audio[0] if len(audio) == 1 else {}
    got_v = (v.get("codec"), v.get("profile"), v.get("width"), v.get("height"), v.get("pix_fmt"))
    want_v = ("h264", "High", s.width, s.height, s.pix_fmt)
    got_a = (a.get("codec"), a.get("profile"), a.get("sample_rate"))
    want_a = ("aac", "LC", s.audio_rate_hz)
    return [
        (f"expected one video stream, found {len(video)}", len(video) != 1),
        (
            f"video is {_video_text(*got_v)}, expected {_video_text(*want_v)}",
            bool(v) and got_v != want_v,
        ),
        (f"expected one audio stream, found {len(audio)}", len(audio) != 1),
        (
            f"audio is {_audio_text(*got_a)}, expected {_audio_text(*want_a)}",
            bool(a) and got_a != want_a,
        ),
        ("no English caption track (language eng)", "eng" not in langs),
        (
            "no Chinese caption track (language chi) though a translation exists",
            has_translation and "chi" not in langs,
        ),
        (
            "moov atom is not before mdat: the file was not written with +faststart",
            not info["moov_before_mdat"],
        ),
    ]


def _video_text(codec: Any, profile: Any, width: Any, height: Any, pix_fmt: Any) -> str:
    return f"{codec} {profile} {width}x{height} {pix_fmt}"


def _audio_text(codec: Any, profile: Any, rate: Any) -> str:
    return f"{codec} {profile} {rate} Hz"
