"""The ASS file as the video uses it: read, check its fonts, recut for a vertical clip; an
English-only track restyled as ASS to burn in."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pysubs2

from .settings import VideoError, VideoSettings

ASS_REGULAR = (
    "Regular"  # fontconfig style checked for coverage (weights of one family share a charset)
)
ASS_BOLD = "Bold"  # styles with Bold=-1 use this face


def load_ass(path: Path) -> pysubs2.SSAFile:
    if not path.is_file():
        raise VideoError(
            f"caption file not found: {path}; run the captions stage first "
            "(produce --from captions)"
        )
    try:
        return pysubs2.load(str(path), encoding="utf-8", format_="ass")
    except (pysubs2.Pysubs2Error, UnicodeDecodeError, ValueError) as err:
        raise VideoError(
            f"{path.name} is not a readable ASS file ({err}); write the captions again"
        ) from err


def styled_ass(track: Path, out: Path) -> Path:
    """An English caption track (SRT or WebVTT, as the captions stage wrote it) as an ASS file in
    the project's caption style (assets/caption_styles.toml), ready to burn in."""
    from ..captions import CaptionSettings
    from ..captions.formats import get_format
    from ..captions.formats.ass import AssFormat
    from ..errors import ProductionError

    if not track.is_file():
        raise VideoError(f"caption file not found: {track}; run the captions stage first (produce --from captions)")
    try:
        cues = get_format(track).loads(track.read_text(encoding="utf-8-sig"), "en")
        out.write_text(AssFormat().dumps(cues, CaptionSettings()), encoding="utf-8")
    except (ProductionError, UnicodeDecodeError, ValueError) as err:
        raise VideoError(f"{track.name} cannot be burned in ({err}); write the captions again") from err
    return out


def texts_by_font(subs: pysubs2.SSAFile) -> dict[str, str]:
    """All caption text (override tags removed) grouped by the font its style names."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for event in subs.events:
        if event.is_comment:
            continue
        style = subs.styles.get(event.style) or pysubs2.SSAStyle()
        grouped[style.fontname].append(event.plaintext)
    return {fontname: "".join(texts) for fontname, texts in grouped.items()}


def play_res(subs: pysubs2.SSAFile) -> tuple[int, int]:
    """PlayResX/Y; libass's defaults when absent (384x288)."""
    try:
        return int(subs.info.get("PlayResX", 384)), int(subs.info.get("PlayResY", 288))
    except ValueError as err:
        raise VideoError(
            f"ASS PlayResX/PlayResY are not numbers ({err}): write the captions again"
        ) from err


def vertical_cut(
    subs: pysubs2.SSAFile, start_ms: int, end_ms: int, settings: VideoSettings
) -> pysubs2.SSAFile:
    """Cues of [start_ms, end_ms) shifted to 0, restyled for a clip_width × clip_height frame.

    Font sizes stay in pixels (times ``clip_caption_scale``) rather than scaling with the
    narrower frame, so captions are as legible as in the episode; libass wraps lines that no
    longer fit. Every style is lifted by the same amount, so the stacking (Chinese over English)
    is kept.
    """
    _, src_h = play_res(subs)
    cut = pysubs2.SSAFile()
    cut.info.update({k: v for k, v in subs.info.items() if not k.startswith("LayoutRes")})
    cut.info.update(
        {
            "PlayResX": str(settings.clip_width),
            "PlayResY": str(settings.clip_height),
            "WrapStyle": "0",
        }
    )
    # script units -> px is frame height / PlayResY on both sides; keep the episode's px sizes
    keep = settings.height / src_h * settings.clip_caption_scale
    lift = round(settings.clip_height * settings.clip_caption_lift_frac)
    margin = round(settings.clip_width * (1 - settings.safe_frac) / 2)
    for name, style in subs.styles.items():
        s = style.copy()
        s.fontsize = style.fontsize * keep
        s.outline, s.shadow = style.outline * keep, style.shadow * keep
        s.marginl = s.marginr = margin
        s.marginv = round(style.marginv * keep) + lift
        cut.styles[name] = s
    for event in subs.events:
        if event.end <= start_ms or event.start >= end_ms:
            continue
        e = event.copy()
        e.start, e.end = max(0, event.start - start_ms), min(end_ms, event.end) - start_ms
        cut.events.append(e)
    return cut


def save_ass(subs: pysubs2.SSAFile, path: Path) -> Path:
    subs.save(str(path), encoding="utf-8", format_="ass")
    return path
