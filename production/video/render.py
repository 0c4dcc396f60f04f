"""Render the episode MP4 and vertical social clips."""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import srt

from ..audio import probe as probe_audio
from ..captions.fonts import fallback_fonts, undrawable_warning
from ..credits.fonts import missing_glyphs
from ..errors import ProductionError, RenderError, ToolMissingError
from ..fsutil import atomic_path
from ..tools import require, run
from . import graphics
from .assfile import ASS_BOLD, ASS_REGULAR, load_ass, save_ass, styled_ass, texts_by_font, vertical_cut
from .ffrun import run_ffmpeg
from .graph import Job, Roll, Stills, command
from .probe import probe_video
from .settings import ProgressFn, SoftSub, VideoError, VideoReport, VideoSettings, ticks_per_frame
from .timeline import BODY, ROLL, Segment, plan_segments

log = logging.getLogger(__name__)

FILTERS_NEEDED = ("ass", "interleave", "loop", "overlay", "fade")  # libass must be compiled in
DEFAULT_ROLL_FPS = Fraction(25)  # used when a roll's own rate is off the 90 kHz clock
ROLL_PROBE = (
    "ffprobe -v error -select_streams v:0 -show_entries "
    "stream=r_frame_rate,duration:format=duration -of json"
).split()


def render_video(
    out_mp4: Path,
    audio: Path,
    title: str,
    host: str,
    settings: VideoSettings | None = None,
    ass: Path | None = None,
    soft_subs: Sequence[SoftSub] = (),
    roll: Path | None = None,
    roll_start_ms: int | None = None,
    background: Path | None = None,
    fonts_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> VideoReport:
    """The episode MP4: artwork + title, progress bar, host lower-third, burned-in captions
    (``settings.burn_in``), soft caption tracks, the credit roll from ``roll_start_ms``
    (default: ending with the audio). Duration = the audio's. Written atomically."""
    started = time.monotonic()
    settings = settings or VideoSettings()
    _require_ffmpeg()
    audio, out_mp4 = Path(audio).resolve(), Path(out_mp4)
    audio_ms = probe_audio(audio).duration_ms
    roll_input, roll_ms, roll_warnings = (
        _roll_input(Path(roll).resolve(), settings) if roll else (None, None, [])
    )
    segments, warnings = plan_segments(audio_ms, roll_ms, roll_start_ms)
    subs = [_checked_soft_sub(s) for s in soft_subs]
    frame = graphics.landscape(settings)
    with tempfile.TemporaryDirectory(prefix="perspective-video-") as tmp:
        burn, fontsdir = _captions(ass, settings, fonts_dir, Path(tmp), clip=None)
        stills = _draw_stills(Path(tmp), frame, title, host, background, fonts_dir, settings)
        job = Job(
            size=(frame.width, frame.height),
            duration_ms=audio_ms,
            segments=segments,
            stills=stills,
            audio=audio,
            roll=roll_input,
            ass=burn,
            fonts_dir=fontsdir,
            soft_subs=subs,
            title=title,
            change_ms=_change_times(burn),
        )
        frames = _encode(job, settings, out_mp4, progress, Path(tmp))
    return _report(out_mp4, job, frames, started, [*roll_warnings, *warnings])


def render_clip(
    out_mp4: Path,
    audio: Path,
    start_ms: int,
    end_ms: int,
    title: str,
    host: str,
    settings: VideoSettings | None = None,
    ass: Path | None = None,
    background: Path | None = None,
    fonts_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> VideoReport:
    """A vertical clip_width × clip_height cut of [start_ms, end_ms) with its captions burned in
    (unless ``settings.burn_in`` is False). Duration = end_ms - start_ms."""
    started = time.monotonic()
    settings = settings or VideoSettings()
    _require_ffmpeg()
    audio, out_mp4 = Path(audio).resolve(), Path(out_mp4)
    audio_ms = probe_audio(audio).duration_ms
    if not 0 <= start_ms < end_ms <= audio_ms:
        raise VideoError(
            f"clip range {start_ms}-{end_ms} ms is not inside the audio (0-{audio_ms} ms): "
            "choose a start before the end, both within the episode"
        )
    duration = end_ms - start_ms
    frame = graphics.vertical(settings)
    with tempfile.TemporaryDirectory(prefix="perspective-clip-") as tmp:
        burn, fontsdir = _captions(ass, settings, fonts_dir, Path(tmp), clip=(start_ms, end_ms))
        stills = _draw_stills(Path(tmp), frame, title, host, background, fonts_dir, settings)
        job = Job(
            size=(frame.width, frame.height),
            duration_ms=duration,
            segments=[Segment(BODY, 0, duration)],
            stills=stills,
            audio=audio,
            audio_start_ms=start_ms,
            ass=burn,
            fonts_dir=fontsdir,
            title=title,
            change_ms=_change_times(burn),
        )
        frames = _encode(job, settings, out_mp4, progress, Path(tmp))
    return _report(out_mp4, job, frames, started, [])


# ---------------------------------------------------------------- steps


@lru_cache(maxsize=1)
def _ffmpeg_filters() -> frozenset[str]:
    raw = run(["ffmpeg", "-hide_banner", "-filters"], what="listing ffmpeg filters")
    out = raw.decode("utf-8", "replace")
    return frozenset(parts[1] for line in out.splitlines() if len(parts := line.split()) > 2)


def _require_ffmpeg() -> None:
    require("ffmpeg")
    require("ffprobe")
    missing = [f for f in FILTERS_NEEDED if f not in _ffmpeg_filters()]
    if missing:
        raise ToolMissingError(
            f"this ffmpeg lacks the filters {', '.join(missing)} (libass): install Debian's "
            "ffmpeg with `sudo apt-get install ffmpeg` (or `make setup`) and run again"
        )


def _roll_input(path: Path, settings: VideoSettings) -> tuple[Roll, int, list[str]]:
    """The roll as shown, its duration in ms, warnings."""
    if not path.is_file():
        raise VideoError(
            f"credit roll not found: {path}; run the credits stage first (produce --from credits)"
        )
    try:
        out = run([*ROLL_PROBE, str(path)], what=f"reading {path.name}")
    except RenderError as err:
        raise VideoError(
            f"{path.name} is not a readable video ({err}); run the credits stage again"
        ) from err
    data = json.loads(out or b"{}")
    streams = data.get("streams") or []
    if not streams:
        raise VideoError(f"{path.name} has no video stream: run the credits stage again")
    seconds = float(streams[0].get("duration") or data.get("format", {}).get("duration") or 0)
    native = Fraction(streams[0].get("r_frame_rate") or "0/1")
    wanted = Fraction(settings.roll_fps).limit_denominator(1001) if settings.roll_fps else native
    warnings: list[str] = []
    try:
        ticks_per_frame(wanted, "credit roll frame rate")
    except VideoError:
        warnings.append(f"credit roll at {float(native):g} fps is shown at {DEFAULT_ROLL_FPS} fps")
        wanted = DEFAULT_ROLL_FPS
    return Roll(path, wanted, resample=wanted != native), round(seconds * 1000), warnings


def _checked_soft_sub(sub: SoftSub) -> SoftSub:
    path = Path(sub.path).resolve()
    if not path.is_file() or path.stat().st_size == 0:
        raise VideoError(f"caption track {path} is missing or empty: run the captions stage first")
    if path.suffix.lower() == ".srt":
        try:
            cues = list(srt.parse(path.read_text(encoding="utf-8-sig")))
        except (srt.SRTParseError, UnicodeDecodeError, ValueError) as err:
            raise VideoError(
                f"{path.name} is not valid UTF-8 SRT ({err}): write the captions again"
            ) from err
        if not cues:
            raise VideoError(f"{path.name} has no cues: write the captions again")
    return replace(sub, path=path)


def _captions(
    ass: Path | None,
    settings: VideoSettings,
    fonts_dir: Path | None,
    tmp: Path,
    clip: tuple[int, int] | None,
) -> tuple[Path | None, Path | None]:
    """(ASS file to burn or None, libass fontsdir); checks every caption character has a glyph.

    ``ass`` may also be an SRT or WebVTT track (an English-only episode has no bilingual ASS): it
    is burned in the project's English caption style."""
    if ass is None or not settings.burn_in:
        return None, None
    if Path(ass).suffix.lower() != ".ass":
        ass = styled_ass(Path(ass), tmp / "captions.ass")
    subs = load_ass(Path(ass))
    given = Path(fonts_dir).resolve() if fonts_dir else None
    files: set[Path] = set()
    for fontname, text in texts_by_font(subs).items():
        face = graphics.face_for(fontname, ASS_REGULAR, given)
        # characters the style's font lacks are drawn per character by a Noto fallback (the ASS
        # names it with \fn); one no installed font draws is a warning, not a failed render
        fallbacks, nobody = fallback_fonts(missing_glyphs(graphics.font(face, 32), text), fontname)
        files |= fallbacks
        if nobody:
            log.warning("%s", undrawable_warning(nobody, f"the captions (font {fontname})"))
        files.add(face.path)
        with contextlib.suppress(ProductionError):  # no bold face: libass emboldens the regular one
            files.add(graphics.face_for(fontname, ASS_BOLD, given).path)
    burn = Path(ass).resolve()
    if clip is not None:
        burn = save_ass(vertical_cut(subs, clip[0], clip[1], settings), tmp / "clip.ass")
    return burn, given or _font_folder(files, tmp / "fonts")


def _font_folder(files: set[Path], folder: Path) -> Path:
    """A fontsdir holding only the caption fonts. libass reads every file in the folder it is
    given, and the system's Noto CJK folder holds ~90 MB of collections (Serif too) that it
    would load for nothing."""
    folder.mkdir()
    for i, path in enumerate(sorted(files)):
        (folder / f"font{i}{path.suffix.lower()}").symlink_to(path)
    return folder


def _draw_stills(
    tmp: Path,
    frame: graphics.Frame,
    title: str,
    host: str,
    background: Path | None,
    fonts_dir: Path | None,
    settings: VideoSettings,
) -> Stills:
    fonts = Path(fonts_dir).resolve() if fonts_dir else None
    bold = graphics.face_for(settings.font_family, settings.title_style, fonts)
    regular = graphics.face_for(settings.font_family, settings.label_style, fonts)
    label = graphics.host_label(settings.host_role)
    graphics.check_glyphs(bold, {"title": title, "host name": host})
    graphics.check_glyphs(regular, {"host label": label})
    base = graphics.artwork_or_generated(Path(background) if background else None, frame, settings)
    bg = graphics.save_png(
        graphics.background_with_title(base, title, bold, frame, settings), tmp / "background.png"
    )
    panel = None
    if host.strip():
        panel = graphics.save_png(
            graphics.lower_third(host.strip(), label, bold, regular, settings),
            tmp / "lower_third.png",
        )
    track, fill = graphics.bar_images(frame, settings)
    bar_y = round(frame.height * frame.bar_y_frac)
    return Stills(
        background=bg,
        lower_third=panel,
        lower_third_xy=(frame.margin, round(frame.height * frame.lower_third_y_frac)),
        track=graphics.save_png(track, tmp / "track.png") if settings.progress_bar else None,
        fill=graphics.save_png(fill, tmp / "fill.png") if settings.progress_bar else None,
        bar_xy=(frame.margin, bar_y - bar_y % 2),  # even: yuv420p overlays snap to 2 px
    )


def _change_times(burn: Path | None) -> tuple[int, ...]:
    """Where the burned captions appear and leave (ms): the body needs a frame there."""
    if burn is None:
        return ()
    return tuple(sorted({t for e in load_ass(burn).events if not e.is_comment for t in (e.start, e.end)}))


def _encode(job: Job, settings: VideoSettings, out_mp4: Path, progress: ProgressFn | None, tmp: Path) -> int:
    with atomic_path(out_mp4) as tmp_out:
        last = run_ffmpeg(
            command(job, settings, tmp_out, tmp / "graph.txt"),
            total_ms=job.duration_ms,
            what=f"rendering {out_mp4.name}",
            progress=progress,
            timeout_s=settings.timeout_s,
        )
    return (last.frame or 0) if last else 0


def _report(
    out_mp4: Path, job: Job, frames: int, started: float, warnings: list[str]
) -> VideoReport:
    info = probe_video(out_mp4)
    video = info["video"][0] if info["video"] else {}
    roll = next((s for s in job.segments if s.kind == ROLL), None)
    return VideoReport(
        path=out_mp4,
        duration_ms=info["duration_ms"],
        audio_ms=job.duration_ms,
        frames=frames,
        size=(int(video.get("width") or 0), int(video.get("height") or 0)),
        burn_in=job.ass is not None,
        subtitle_languages=tuple(s.language for s in job.soft_subs),
        roll_start_ms=roll.start_ms if roll else None,
        roll_end_ms=roll.end_ms if roll else None,
        elapsed_s=round(time.monotonic() - started, 3),
        size_bytes=info["size_bytes"],
        warnings=tuple(warnings),
    )
