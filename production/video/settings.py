"""Video settings, inputs and the render report.

Frames (the one choice that needs a reason). The picture is a still most of the time, so by
default (``fps = 0``) a frame is emitted only where the picture changes, on a 90 kHz clock in
one variable-frame-rate H.264 stream:

* captions: a frame at each cue's start and end (the burned ASS events), so a caption appears
  and leaves at its exact time (libass's 10 ms resolution), not on a frame grid;
* the progress bar: a step every ``bar_step_ms`` (500 ms). The bar is 1,728 px wide at 1080p,
  so over a 7-minute episode it grows 2 px a step (4 px over 3.5 minutes): steps of a few pixels
  twice a second read as continuous motion, and the frames that carry them cost x264 almost
  nothing;
* the host lower-third: frames at ``motion_fps`` (25) while it fades in and out;
* keyframes: a frame at least every ``gop_s`` (seek granularity), forced to be a keyframe;
* the credit roll keeps its own rate (25 fps from the credits stage): it scrolls a whole number
  of pixels per frame, and decimating it would judder;
* the last frame of each part sits one ``motion_fps`` period before its end, so the video ends
  with the audio.

A 7-minute episode is then ~1,300 body frames instead of 5,500 at 12.5 fps. Setting ``fps``
(``[video] fps = 25`` in episode.toml) renders every frame at that rate instead: with a 25 fps
roll that is a constant-frame-rate delivery for services that ask for one.

Every timestamp is on a 90 kHz clock (the MPEG system clock), which represents 10, 12.5, 15, 24,
25, 29.97, 30, 50 and 60 fps exactly, so mixing rates never rounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import ProductionError

ProgressFn = Callable[[float, str], None]  # (fraction done 0..1, message), as production.align

TIMEBASE_HZ = (
    90_000  # ticks per second; MPEG-2 system clock (ISO/IEC 13818-1), exact for common rates
)
ISO_639_2 = re.compile(r"^[a-z]{3}$")  # MP4 'mdhd' language: three lower-case ISO 639-2 letters
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
# ultrafast/superfast switch CABAC or 8x8dct off: x264 then writes Baseline/Main, not High
HIGH_PROFILE_PRESETS = X264_PRESETS[2:]

# assets/artwork/background.png colours (assets/make_assets.py), reused for drawn elements
INK = (14, 27, 46)
INK_LIGHT = (27, 48, 77)
ACCENT = (232, 161, 59)
PALE = (236, 240, 245)
MUTED = (140, 160, 186)

RGB = tuple[int, int, int]


class VideoError(ProductionError):
    """The inputs to a video render cannot be used as given."""


@dataclass(frozen=True)
class VideoSettings:
    # --- frame (docs/output-rules.md "Publishing": YouTube/Spotify 1920×1080 16:9)
    width: int = 1920  # px
    height: int = 1080  # px
    fps: float = 0.0  # 0: frames only where the picture changes; a rate: every frame at that
    #                   rate (25 with the 25 fps roll: constant frame rate)
    bar_step_ms: int = 500  # ms between progress-bar steps (module docstring: why 500)
    motion_fps: float = 25.0  # frames a second while the lower-third fades
    roll_fps: float | None = None  # credit-roll frame rate; None keeps the roll file's own rate
    # --- H.264 (docs/output-rules.md "Publishing": H.264 High, yuv420p)
    crf: int = 20  # x264 constant rate factor; 18-23 keeps text edges clean on a still picture
    preset: str = (
        "veryfast"  # the fastest x264 preset that still writes High profile (CABAC, 8x8dct)
    )
    tune: str = "stillimage"  # x264 tune for static pictures (stronger psy/aq, lighter deblocking)
    profile: str = "high"  # H.264 profile ceiling passed to x264
    pix_fmt: str = "yuv420p"  # 4:2:0 8-bit: what every player and upload service decodes
    gop_s: float = 4.0  # s between forced keyframes (seek granularity in web players)
    # --- audio (docs/output-rules.md "Publishing": AAC-LC 48 kHz)
    audio_rate_hz: int = 48_000  # Hz
    audio_bitrate: str = (
        "192k"  # AAC-LC bit rate (YouTube recommends 384k stereo; 192k is transparent for speech)
    )
    audio_channels: int = 2  # stereo; mono masters are duplicated to both channels
    # --- captions
    burn_in: bool = (
        True  # burn the bilingual ASS into the picture (False: clean video, soft tracks only)
    )
    # --- progress bar (chosen over a showwaves band: a bar changes a few pixels per frame, a
    # waveform repaints its whole band every frame: x264 time, and jerky at 12.5 fps)
    progress_bar: bool = True  # draw a bar filling left to right over the episode
    bar_y_frac: float = 0.52  # bar's top edge, share of the height (the artwork's divider line)
    bar_height_px: int = 6  # px
    bar_colour: RGB = ACCENT  # filled part
    track_colour: RGB = INK_LIGHT  # unfilled part
    # --- title and host lower-third (drawn by Pillow: no text reaches an ffmpeg filter string)
    font_family: str = "Noto Sans CJK SC"  # has Latin and CJK glyphs (docs/output-rules.md "Credit roll")
    title_style: str = "Bold"  # fontconfig style of the title and the host name
    label_style: str = "Regular"  # fontconfig style of the role label
    title_size_px: int = 64  # px, largest title size; long titles shrink down to min_title_size_px
    min_title_size_px: int = 40  # px
    title_max_lines: int = 2  # lines; longer titles shrink, then end with "…"
    title_y_frac: float = 0.57  # title's top edge, share of the height (under the divider)
    title_colour: RGB = PALE
    safe_frac: float = 0.90  # title-safe share of width and height (docs/output-rules.md "Credit roll")
    lower_third_in_ms: int = 1_000  # when the host lower-third starts fading in
    lower_third_ms: int = 8_000  # how long it stays, fades included
    fade_ms: int = 400  # lower-third fade in and out
    lower_third_y_frac: float = (
        0.34  # lower-third's top edge: above the divider, clear of title and captions
    )
    host_role: str = "Host"  # role looked up in assets/roles.toml for the label ("Host · 主持人")
    name_size_px: int = 48  # px, host name
    label_size_px: int = 32  # px, role label
    name_colour: RGB = PALE
    label_colour: RGB = MUTED
    panel_rgba: tuple[int, int, int, int] = (*INK, 215)  # lower-third backing panel
    accent_colour: RGB = ACCENT  # lower-third edge
    background_top: RGB = INK_LIGHT  # generated background when no artwork exists
    background_bottom: RGB = INK
    # --- vertical social clip
    clip_width: int = 1080  # px; 9:16 for Shorts/Reels/Channels
    clip_height: int = 1920  # px
    clip_title_y_frac: float = 0.12  # title's top edge on the vertical frame
    clip_bar_y_frac: float = 0.52  # progress bar on the vertical frame (the artwork's divider)
    clip_lower_third_y_frac: float = 0.34  # lower-third on the vertical frame
    # captions are lifted by this share of the height so that app controls don't cover them
    clip_caption_lift_frac: float = 0.20
    clip_caption_scale: float = 1.0  # caption font size relative to the landscape ASS (same px)
    # --- process
    threads: int = 0  # x264 threads; 0 = x264 decides (all cores)
    timeout_s: float | None = None  # kill ffmpeg after this long; None: no limit

    def __post_init__(self) -> None:
        for name, value in (("fps", self.fps or None), ("roll_fps", self.roll_fps), ("motion_fps", self.motion_fps)):
            if value is not None:
                ticks_per_frame(value, name)
        if self.preset not in X264_PRESETS:
            raise VideoError(
                f"unknown x264 preset {self.preset!r}: use one of {', '.join(X264_PRESETS)}"
            )
        if self.profile == "high" and self.preset not in HIGH_PROFILE_PRESETS:
            raise VideoError(
                f"x264 preset {self.preset!r} cannot write High profile: use 'veryfast' or slower"
            )
        if not 0 <= self.crf <= 51:
            raise VideoError(f"crf {self.crf} is outside x264's 0-51: use 18-23")
        if self.width % 2 or self.height % 2 or self.clip_width % 2 or self.clip_height % 2:
            raise VideoError("yuv420p needs even frame sizes: make width and height even")
        if self.gop_s <= 0:
            raise VideoError("gop_s must be > 0 seconds: use 4")
        if not 0 < self.bar_step_ms <= self.gop_s * 1000:
            raise VideoError("bar_step_ms must be between 1 and gop_s × 1000: use 500")
        if self.lower_third_ms < 2 * self.fade_ms:
            raise VideoError(
                "lower_third_ms must be at least twice fade_ms: lengthen it or shorten the fade"
            )


def ticks_per_frame(fps: float | Fraction, name: str = "fps") -> int:
    """90 kHz ticks per frame; VideoError when the rate does not divide the clock."""
    rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0 or (TIMEBASE_HZ / rate).denominator != 1:
        raise VideoError(
            f"{name} {float(fps):g} does not fall on the 90 kHz clock: "
            "use 10, 12.5, 15, 24, 25, 29.97 or 30"
        )
    return int(TIMEBASE_HZ / rate)


@dataclass(frozen=True)
class SoftSub:
    """One selectable caption track in the MP4 (mov_text)."""

    path: Path  # SRT (or WebVTT) file
    language: str  # ISO 639-2 code as MP4 stores it: "eng", "chi"
    title: str  # track name players show ("English", "中文（简体）")

    def __post_init__(self) -> None:
        if not ISO_639_2.match(self.language):
            raise VideoError(
                f"caption language {self.language!r} is not an ISO 639-2 code: "
                "use three letters such as 'eng' or 'chi'"
            )


@dataclass(frozen=True)
class VideoReport:
    path: Path  # the MP4 written
    duration_ms: int  # the MP4's duration (ffprobe)
    audio_ms: int  # the audio's duration, what duration_ms must match
    frames: int  # video frames encoded
    size: tuple[int, int]  # (width, height) px
    burn_in: bool  # captions burned into the picture
    subtitle_languages: tuple[str, ...]  # soft tracks, in order
    roll_start_ms: int | None  # where the credit roll begins (None: no roll)
    roll_end_ms: int | None  # where it ends (it may be cut at the end of the audio)
    elapsed_s: float  # wall time of the render
    size_bytes: int  # file size
    warnings: tuple[str, ...] = field(default_factory=tuple)  # things worth a look, not errors
