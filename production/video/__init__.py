"""The video episode: MP4 with burned-in bilingual captions, soft caption tracks, credit roll.

Public API::

    render_video(out_mp4, audio, title, host, settings, ass, soft_subs, roll, roll_start_ms,
                 background, fonts_dir, progress) -> VideoReport
    render_clip(out_mp4, audio, start_ms, end_ms, title, host, settings, ass, background,
                fonts_dir, progress) -> VideoReport
    probe_video(path) -> dict          check_video(path, has_translation) -> list[str]
"""

from __future__ import annotations

from .probe import check_video, probe_video, top_level_atoms
from .render import render_clip, render_video
from .settings import SoftSub, VideoError, VideoReport, VideoSettings

__all__ = [
    "SoftSub",
    "VideoError",
    "VideoReport",
    "VideoSettings",
    "check_video",
    "probe_video",
    "render_clip",
    "render_video",
    "top_level_atoms",
]
