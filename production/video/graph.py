"""The ffmpeg filter graph and command line for one render, built with ffmpeg-python.

Why it is fast on a still picture:
* the background (artwork + title) is drawn once by Pillow and converted to yuv420p once,
  before ``loop`` repeats that single frame: no per-frame decoding, scaling or colour conversion;
* the body has a frame only where the picture changes (:func:`body_times_ms`; settings.py says
  why), the credit roll its own 25 fps, stitched by timestamp (``interleave``) into one
  variable-frame-rate stream on a 90 kHz clock; the still's frames get their timestamps from
  one ``setpts`` expression (a binary search over the frame number, :func:`pts_table`), and the
  graph goes to ffmpeg as a script file, so long episodes never meet the argument-length limit;
* overlays are small (a 6 px bar, a lower-third panel) and x264 gets ``tune=stillimage``;
* one pass, one process: audio, soft caption tracks and ``+faststart`` in the same command.

Only file paths and numbers reach filter strings; ffmpeg-python escapes them (paths with
spaces, ``:`` and ``'`` included). Text is drawn into images by graphics.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from .settings import TIMEBASE_HZ, SoftSub, VideoSettings, ticks_per_frame
from .timeline import BODY, Segment

TIMEBASE = f"1/{TIMEBASE_HZ}"


@dataclass(frozen=True)
class Stills:
    """Prerendered PNGs (graphics.py) and where they go."""

    background: Path  # full frame: artwork + title
    lower_third: Path | None  # RGBA panel with the host name
    lower_third_xy: tuple[int, int]  # px, top-left
    track: Path | None  # progress bar, unfilled
    fill: Path | None  # progress bar, filled
    bar_xy: tuple[int, int]  # px, top-left


@dataclass(frozen=True)
class Roll:
    path: Path
    fps: Fraction  # rate the roll is shown at
    resample: bool  # True: pass it through the fps filter (its own rate is off the 90 kHz clock)


@dataclass(frozen=True)
class Job:
    """Everything one ffmpeg command needs."""

    size: tuple[int, int]  # (width, height) px
    duration_ms: int  # output duration = the audio's
    segments: Sequence[Segment]
    stills: Stills
    audio: Path
    audio_start_ms: int = 0  # where in the audio the video starts (vertical clips)
    roll: Roll | None = None
    ass: Path | None = None  # burned in when set
    fonts_dir: Path | None = None  # libass fontsdir
    soft_subs: Sequence[SoftSub] = ()
    title: str = ""  # MP4 title tag (argument, not filter text)
    change_ms: Sequence[int] = ()  # where burned captions appear or leave (job time, ms)


def _ms_ticks(ms: int) -> int:
    return ms * TIMEBASE_HZ // 1000


def _copies(path: Path | None, n: int, alpha: bool = False) -> list[Any]:
    """``n`` streams of one still (split after the one-time conversion); [] when there is none."""
    if path is None or n == 0:
        return []
    still = _still(path, alpha)
    if n == 1:
        return [still]
    node = still.split()
    return [node[i] for i in range(n)]


def _still(path: Path, alpha: bool) -> Any:
    """One PNG frame, converted to YUV once (BT.709, like the encoder's tags)."""
    fmt = "yuva420p" if alpha else "yuv420p"
    return (
        ffmpeg.input(str(path))
        .filter("scale", out_color_matrix="bt709", out_range="tv")
        .filter("format", pix_fmts=fmt)
        .filter("setsar", sar="1")  # interleave insists every part has the same SAR
    )


def _repeat(still: Any, start_ms: int, end_ms: int, ticks: int, grid_end_ms: int | None) -> Any:
    """The still frame repeated every ``ticks`` from start_ms until end_ms.

    With ``grid_end_ms`` (the episode's last segment) the grid is laid back from that time
    after a first frame at start_ms, so the last frame ends exactly with the audio instead of
    up to one frame period after it.
    """
    start = _ms_ticks(start_ms)
    offset = (_ms_ticks(grid_end_ms) - start) % ticks if grid_end_ms is not None else 0
    pts = f"if(eq(N,0),{start},{start + offset}+(N-1)*{ticks})" if offset else f"N*{ticks}+{start}"
    return (
        still.filter("loop", loop=-1, size=1)
        .filter("settb", expr=TIMEBASE)
        .filter("setpts", expr=pts)
        .filter("trim", end_pts=_ms_ticks(end_ms))
    )


def _grid_end(seg: Segment, job: Job) -> int | None:
    return seg.end_ms if seg.end_ms == job.duration_ms else None


def motion_ms(settings: VideoSettings) -> int:
    """ms between frames while something moves (the fades), rounded down to whole ms."""
    return int(1000 / settings.motion_fps)


def body_times_ms(seg: Segment, job: Job, settings: VideoSettings) -> list[int]:
    """Where a body segment needs a frame: its start, each bar step, each keyframe, each caption
    change, the lower-third's fades, and one motion period before its end."""
    start, end = seg.start_ms, seg.end_ms
    step = settings.bar_step_ms if settings.progress_bar else round(settings.gop_s * 1000)
    times = {start, *range(start, end, step), *range(start, end, round(settings.gop_s * 1000))}
    times.update(c for c in job.change_ms if start < c < end)
    if job.stills.lower_third is not None:
        motion = motion_ms(settings)
        fade_in = settings.lower_third_in_ms
        fade_out = settings.lower_third_in_ms + settings.lower_third_ms - settings.fade_ms
        for first in (fade_in, fade_out):
            times.update(range(first, first + settings.fade_ms + motion, motion))
    times.add(end - motion_ms(settings))
    return sorted(t for t in times if start <= t < end)


def pts_table(ticks: Sequence[int], lo: int = 0, hi: int | None = None) -> str:
    """An ffmpeg expression giving ``ticks[N]`` for frame number N (a binary search of nested
    ``if``: ffmpeg evaluates only the branch taken, so a frame costs log2(len) comparisons)."""
    hi = len(ticks) if hi is None else hi
    if hi - lo == 1:
        return str(ticks[lo])
    mid = (lo + hi) // 2
    return f"if(lt(N,{mid}),{pts_table(ticks, lo, mid)},{pts_table(ticks, mid, hi)})"


def _at_times(still: Any, times_ms: Sequence[int]) -> Any:
    """The still frame once at each of ``times_ms``."""
    ticks = [_ms_ticks(t) for t in times_ms]
    return (
        still.filter("loop", loop=len(ticks) - 1, size=1)
        .filter("settb", expr=TIMEBASE)
        .filter("setpts", expr=pts_table(ticks))
    )


def _bar(track: Any, fill: Any, seg: Segment, job: Job, ticks: int) -> Any:
    """The track with the fill sliding in from the left: fill width = elapsed share."""
    seconds = job.duration_ms / 1000
    moving = _repeat(track, seg.start_ms, seg.end_ms, ticks, _grid_end(seg, job))
    return ffmpeg.overlay(
        moving, fill, x=f"-w+w*min(t/{seconds!r},1)", y=0, eval="frame", eof_action="repeat"
    )


def _lower_third(panel: Any, seg: Segment, job: Job, settings: VideoSettings, ticks: int) -> Any:
    start = settings.lower_third_in_ms
    end = min(seg.end_ms, start + settings.lower_third_ms)
    fade = settings.fade_ms / 1000
    return (
        _repeat(panel, seg.start_ms, end, ticks, _grid_end(seg, job))
        .filter("fade", type="in", start_time=start / 1000, duration=fade, alpha=1)
        .filter(
            "fade",
            type="out",
            start_time=(start + settings.lower_third_ms) / 1000 - fade,
            duration=fade,
            alpha=1,
        )
    )


def _overlaps_lower_third(seg: Segment, settings: VideoSettings) -> bool:
    start = settings.lower_third_in_ms
    return seg.start_ms < start + settings.lower_third_ms and seg.end_ms > start


def _bodies(job: Job, settings: VideoSettings) -> list[Any]:
    """The still-picture segments, each with its progress bar and (if due) the lower-third.

    With ``settings.fps`` 0 the background has a frame at each of :func:`body_times_ms`; the
    bar and the panel are overlays whose own frames (at each bar step; at ``motion_fps``) are
    held by the overlay until their next one."""
    steady = bool(settings.fps)
    ticks = ticks_per_frame(settings.fps or settings.motion_fps)
    bar_ticks = ticks if steady else _ms_ticks(settings.bar_step_ms)
    st = job.stills
    bodies = [s for s in job.segments if s.kind == BODY]
    with_panel = [s for s in bodies if st.lower_third and _overlaps_lower_third(s, settings)]
    backgrounds = _copies(st.background, len(bodies))
    tracks = _copies(st.track, len(bodies)) if settings.progress_bar else []
    fills = _copies(st.fill, len(bodies)) if settings.progress_bar else []
    panels = _copies(st.lower_third, len(with_panel), alpha=True)
    out = []
    for seg in bodies:
        if steady:
            picture = _repeat(backgrounds.pop(), seg.start_ms, seg.end_ms, ticks, _grid_end(seg, job))
        else:
            picture = _at_times(backgrounds.pop(), body_times_ms(seg, job, settings))
        if tracks and fills:
            bar = _bar(tracks.pop(), fills.pop(), seg, job, bar_ticks)
            picture = ffmpeg.overlay(picture, bar, x=st.bar_xy[0], y=st.bar_xy[1])
        if seg in with_panel:
            panel = _lower_third(panels.pop(), seg, job, settings, ticks)
            x, y = st.lower_third_xy
            picture = ffmpeg.overlay(picture, panel, x=x, y=y, eof_action="pass")
        out.append(picture)
    return out


def _roll(job: Job, seg: Segment) -> Any:
    assert job.roll is not None
    w, h = job.size
    v = ffmpeg.input(str(job.roll.path))["v:0"].filter("setpts", expr="PTS-STARTPTS")
    if job.roll.resample:
        v = v.filter("fps", fps=str(job.roll.fps))
    return (
        v.filter("scale", w=w, h=h, force_original_aspect_ratio="decrease")
        .filter("pad", w=w, h=h, x="(ow-iw)/2", y="(oh-ih)/2")
        .filter("setsar", sar="1")
        .filter("format", pix_fmts="yuv420p")
        .filter("settb", expr=TIMEBASE)
        .filter("setpts", expr=f"PTS+{_ms_ticks(seg.start_ms)}")
        .filter("trim", end_pts=_ms_ticks(seg.end_ms))
    )


def picture(job: Job, settings: VideoSettings) -> Any:
    """The video stream: body segments and roll stitched by timestamp, captions burned on top."""
    bodies = iter(_bodies(job, settings))
    parts = [next(bodies) if seg.kind == BODY else _roll(job, seg) for seg in job.segments]
    video = (
        parts[0] if len(parts) == 1 else ffmpeg.filter(parts, "interleave", nb_inputs=len(parts))
    )
    if job.ass is not None:
        kwargs = {"filename": str(job.ass)}
        if job.fonts_dir is not None:
            kwargs["fontsdir"] = str(job.fonts_dir)
        video = video.filter("ass", **kwargs)
    return video


def max_fps(job: Job, settings: VideoSettings) -> Fraction:
    body = Fraction(settings.fps or settings.motion_fps).limit_denominator(1001)
    return max(body, job.roll.fps) if job.roll is not None else body


def encode_args(job: Job, settings: VideoSettings) -> list[str]:
    """Output options: H.264 High yuv420p VFR on the 90 kHz clock, AAC-LC, mov_text, faststart."""
    s = settings
    pairs = [
        ("-c:v", "libx264"),
        ("-preset", s.preset),
        ("-tune", s.tune),
        ("-crf", str(s.crf)),
        ("-profile:v", s.profile),
        ("-pix_fmt", s.pix_fmt),
        # a keyframe at least every gop_s: forced by time (frames are sparse), x264's own interval
        # (in frames) no shorter than that at the highest rate
        ("-g", str(max(1, round(s.gop_s * max_fps(job, s))))),
        ("-force_key_frames", f"expr:gte(t,n_forced*{s.gop_s:g})"),
        ("-threads:v", str(s.threads)),
        # -r is only the rate x264 plans for (level, VBV); with vfr every frame keeps its timestamp
        ("-r", str(max_fps(job, s))),
        ("-fps_mode", "vfr"),
        ("-enc_time_base", f"1:{TIMEBASE_HZ}"),
        ("-colorspace", "bt709"),
        ("-color_primaries", "bt709"),
        ("-color_trc", "bt709"),
        ("-color_range", "tv"),
        ("-c:a", "aac"),
        ("-profile:a", "aac_low"),
        ("-b:a", s.audio_bitrate),
        ("-ar", str(s.audio_rate_hz)),
        ("-ac", str(s.audio_channels)),
        ("-map_metadata", "-1"),
        ("-map_chapters", "-1"),
    ]
    if job.title:
        pairs.append(("-metadata", f"title={job.title}"))
    if job.soft_subs:
        pairs.append(("-c:s", "mov_text"))
    for i, sub in enumerate(job.soft_subs):
        for tag in (f"language={sub.language}", f"title={sub.title}", f"handler_name={sub.title}"):
            pairs.append((f"-metadata:s:s:{i}", tag))
    pairs.append(("-movflags", "+faststart"))
    return [item for pair in pairs for item in pair]


def command(job: Job, settings: VideoSettings, out: Path, script: Path | None = None) -> list[str]:
    """ffmpeg arguments (without the program and global options) writing ``out``; with
    ``script`` the filter graph is written there and passed as ``-filter_complex_script``."""
    audio_opts: dict[str, Any] = {}
    if job.audio_start_ms:
        audio_opts["ss"] = f"{job.audio_start_ms / 1000:.3f}"
    audio_opts["t"] = f"{job.duration_ms / 1000:.3f}"
    audio = ffmpeg.input(str(job.audio), **audio_opts)["a:0"]
    subs = [ffmpeg.input(str(s.path))["s:0"] for s in job.soft_subs]
    args: list[str] = ffmpeg.get_args(ffmpeg.output(picture(job, settings), audio, *subs, str(out)))
    assert args[-1] == str(out)
    if script is not None and "-filter_complex" in args:
        at = args.index("-filter_complex")
        script.write_text(args[at + 1], encoding="utf-8")
        args[at : at + 2] = ["-filter_complex_script", str(script)]
    return [*args[:-1], *encode_args(job, settings), args[-1]]
