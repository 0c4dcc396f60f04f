"""Real test media for the video tests (espeak-ng speech, ffmpeg, Pillow) and frame analysis.

Nothing is mocked: the audio is synthesised speech, the roll an H.264 file that scrolls real
text, the captions an ASS file with two styles (Chinese on top, English below).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from production.credits.fonts import find_font

W, H = 1920, 1080
DURATION_S = 14.0  # audio length
ROLL_START_MS = 10_000  # the roll runs 10-14 s
ROLL_S = 4.0
ROLL_FPS = 25
ROLL_PX_PER_FRAME = 3  # docs/output-rules.md "Credit roll"
ZH_SIZE, EN_SIZE = 56, 40  # ASS font sizes (script px at PlayResY 1080)
ZH_MARGIN_V, EN_MARGIN_V = 120, 40  # ASS MarginV: Chinese line sits above the English one


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    zh: str
    en: str

    @property
    def middle_s(self) -> float:
        return (self.start_ms + self.end_ms) / 2000


CUES = (
    Cue(1_000, 3_000, "深圳的人工智能公司", "Shenzhen's AI companies"),
    Cue(3_500, 6_000, "正在加速发展", "are speeding up: 100% 'real'"),
    Cue(6_500, 9_000, "成本下降了一半", "costs fell by half; [really]"),
)
GAP_S = 3.25  # between cue 1 and cue 2: no caption on screen


def _ass_time(ms: int) -> str:
    return f"{ms // 3_600_000}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000 // 10:02d}"


STYLE_FORMAT = (
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
    "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
    "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding"
)
# white text, black 2 px outline, bottom centre; name, size and MarginV filled in
STYLE = (
    "Style: {},Noto Sans CJK SC,{},&H00FFFFFF,&H000000FF,&H00000000,&H80000000,"
    "0,0,0,0,100,100,0,0,1,2,0,2,60,60,{},1"
)


def write_ass(path: Path) -> Path:
    head = ["[Script Info]", "ScriptType: v4.00+", f"PlayResX: {W}", f"PlayResY: {H}"]
    head += ["WrapStyle: 0", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", ""]
    styles = ["[V4+ Styles]", STYLE_FORMAT, STYLE.format("ZH", ZH_SIZE, ZH_MARGIN_V)]
    styles += [STYLE.format("EN", EN_SIZE, EN_MARGIN_V), ""]
    events = [
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for c in CUES:
        for style, text in (("ZH", c.zh), ("EN", c.en)):
            events.append(
                f"Dialogue: 0,{_ass_time(c.start_ms)},{_ass_time(c.end_ms)},{style},,0,0,0,,{text}"
            )
    path.write_text("\n".join(head + styles + events) + "\n", encoding="utf-8")
    return path


def _srt_time(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_srt(path: Path, lang: str) -> Path:
    blocks = []
    for i, c in enumerate(CUES, 1):
        text = c.zh if lang == "zh" else c.en
        blocks.append(f"{i}\n{_srt_time(c.start_ms)} --> {_srt_time(c.end_ms)}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def ffmpeg(*args: object) -> bytes:
    """Run ffmpeg quietly; its stdout."""
    cmd = ["ffmpeg", "-v", "error", "-y", *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def write_speech(path: Path, seconds: float = DURATION_S) -> Path:
    """espeak-ng speech padded with silence to ``seconds``, 48 kHz mono WAV."""
    raw = path.with_suffix(".raw.wav")
    text = "Shenzhen's AI companies are speeding up. Costs fell by half."
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
    ffmpeg("-i", raw, "-af", f"apad=whole_dur={seconds}", "-t", seconds, "-ar", 48000, path)
    raw.unlink()
    return path


ROLL_LINES = (
    "主持人  Host",
    "Jane Doe",
    "音频编辑  Sound Editor",
    "Li Wei 李伟",
    "出品  Presented by",
    "CBN",
)


def roll_strip() -> Image.Image:
    """The tall image the fixture roll scrolls: credits in white on the show's ink blue."""
    face = find_font("Noto Sans CJK SC", "Bold")
    f = ImageFont.truetype(str(face.path), 64, index=face.index)
    tall = Image.new("RGB", (W, H + 1200), (14, 27, 46))
    d = ImageDraw.Draw(tall)
    for i, line in enumerate(ROLL_LINES):
        d.text((W // 2, 500 + i * 130), line, font=f, fill=(255, 255, 255), anchor="ma")
    return tall


def write_roll(path: Path) -> Path:
    strip = path.with_suffix(".png")
    roll_strip().save(strip)
    # decoded once, repeated by the loop filter; ultrafast: a fixture needs no High profile
    scroll = f"loop=loop=-1:size=1,setpts=N/{ROLL_FPS}/TB,crop={W}:{H}:0:n*{ROLL_PX_PER_FRAME}"
    codec = "-c:v libx264 -preset ultrafast -crf 16 -pix_fmt yuv420p".split()
    frames = int(ROLL_S * ROLL_FPS)
    ffmpeg("-i", strip, "-vf", scroll, "-frames:v", frames, "-r", ROLL_FPS, *codec, path)
    return path


# ---------------------------------------------------------------- frames


@lru_cache(maxsize=64)
def frame_at(video: Path, seconds: float, size: tuple[int, int] = (W, H)) -> np.ndarray:
    """One decoded frame as a read-only (h, w, 3) uint8 RGB array (accurate seek; cached)."""
    raw = "-f rawvideo -pix_fmt rgb24 -".split()
    out = ffmpeg("-ss", f"{seconds:.3f}", "-i", video, "-frames:v", 1, *raw)
    w, h = size
    assert len(out) == w * h * 3, f"expected one {w}x{h} frame at {seconds}s, got {len(out)} bytes"
    return np.frombuffer(out, dtype=np.uint8).reshape(h, w, 3)


def changed(a: np.ndarray, b: np.ndarray, threshold: int = 40) -> np.ndarray:
    """Boolean mask of pixels whose summed RGB difference exceeds ``threshold``."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).sum(axis=2) > threshold


def row_bands(mask: np.ndarray, min_pixels: int = 3) -> list[tuple[int, int]]:
    """Runs of rows with at least ``min_pixels`` changed pixels: (first_row, last_row + 1)."""
    rows = mask.sum(axis=1) >= min_pixels
    bands, start = [], None
    for y, on in enumerate(rows):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(rows)))
    return bands


def text_mask(text: str, size: int) -> np.ndarray:
    """``text`` drawn by Pillow with the caption font, thickened like libass's 2 px outline."""
    face = find_font("Noto Sans CJK SC")
    f = ImageFont.truetype(str(face.path), size, index=face.index)
    box = f.getbbox(text)
    img = Image.new("L", (box[2] - box[0] + 8, box[3] - box[1] + 8), 0)
    ImageDraw.Draw(img).text((4 - box[0], 4 - box[1]), text, font=f, fill=255)
    return np.asarray(img.filter(ImageFilter.MaxFilter(5))) > 127


def crop_to_content(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def shape_similarity(drawn: np.ndarray, reference: np.ndarray) -> float:
    """Correlation of two glyph masks after scaling both to the same box (1: same shape)."""
    a = crop_to_content(drawn)
    b = crop_to_content(reference)
    size = (max(a.shape[1], 8), max(a.shape[0], 8))
    fa = np.asarray(
        Image.fromarray(a.astype(np.uint8) * 255)
        .resize(size, Image.Resampling.BILINEAR)
        .filter(ImageFilter.GaussianBlur(2)),
        dtype=float,
    )
    fb = np.asarray(
        Image.fromarray(b.astype(np.uint8) * 255)
        .resize(size, Image.Resampling.BILINEAR)
        .filter(ImageFilter.GaussianBlur(2)),
        dtype=float,
    )
    return float(np.corrcoef(fa.ravel(), fb.ravel())[0, 1])


def box_mask(shape: tuple[int, ...], count: int) -> np.ndarray:
    """``count`` hollow boxes side by side filling ``shape``: how tofu (missing glyphs) looks."""
    h, w = shape[:2]
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    step = w / count
    for i in range(count):
        d.rectangle(
            [round(i * step) + 3, 0, round((i + 1) * step) - 3, h - 1], outline=255, width=3
        )
    return np.asarray(img) > 127


def frame_times(video: Path) -> list[float]:
    """Every video frame's presentation time (s), in order."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0",
         str(video)],
        check=True, capture_output=True, text=True,
    ).stdout
    return sorted(float(line.split(",")[0]) for line in out.split() if line.strip())


def shown_at(video: Path, seconds: float, times: list[float]) -> np.ndarray:
    """The frame a player shows at ``seconds``: the last one that starts at or before it (with
    sparse frames, ffmpeg's ``-ss`` alone would return the next frame instead)."""
    start = max(t for t in times if t <= seconds + 1e-6)
    return frame_at(video, max(0.0, start - 0.0005))
