"""Video render benchmark: production.video against one plain ffmpeg command for the same output.

    .venv/bin/python bench/video_bench.py               # 7-minute episode (the issue's benchmark)
    .venv/bin/python bench/video_bench.py --minutes 1   # quick look

Episode: synthetic 48 kHz stereo audio, a bilingual ASS file with ~120 cues (Chinese line over
English line, Noto Sans CJK SC), English and Chinese SRT tracks, a 20 s credit roll (25 fps,
3 px/frame) at the end, the show's artwork.

"Plain" is the straightforward single ffmpeg command a person would write for the same output:
the same title background and lower-third PNGs (drawn by production.video.graphics, so the
picture is identical), looped with ``-loop 1 -framerate 25``; the same progress bar, lower-third
fade, credit roll (time-shifted overlay), burned captions (``ass`` filter, fontsdir = the system
Noto CJK folder), soft tracks and faststart; the same x264 preset, crf and profile; but 25 fps
constant frame rate, no ``tune=stillimage``, the PNGs decoded and converted every frame.

Both sides run once, one after the other, in the same run. Times are wall clock and CPU
(user + sys of the child processes), since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from production.credits.fonts import find_font  # noqa: E402
from production.video import SoftSub, VideoSettings, graphics, probe_video, render_video  # noqa: E402

OUT = ROOT / "bench" / "out" / "video"
ROLL_S = 20  # s, the credits stage's default slot
ROLL_FPS = 25  # the credits stage's rate
CUE_EVERY_MS = 3_300  # 120 cues in ~400 s of speech
CUE_MS = 3_000
TITLE = "DeepSeek aftermath: Should Shenzhen…"
HOST = "Jane O'Neil"
LINES = [
    ("深圳的人工智能公司正在加速", "Shenzhen's AI companies are speeding up"),
    ("成本下降了一半以上", "costs fell by more than half"),
    ("投资者开始重新评估风险", "investors are weighing the risks again"),
    ("这对制造业意味着什么", "what this means for manufacturing"),
]
ROLL_TEXT = [
    "主持人  Host",
    HOST,
    "撰稿  Writer",
    "Li Wei 李伟",
    "音频编辑  Sound Editor",
    "Chen Jing 陈静",
    "美术设计  Graphic Designer",
    "Wang Fang 王芳",
    "出品  Presented by",
    "CBN",
]
STYLE_FORMAT = (
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
    "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
    "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding"
)
STYLE = (
    "Style: {},Noto Sans CJK SC,{},&H00FFFFFF,&H000000FF,&H00000000,&H80000000,"
    "0,0,0,0,100,100,0,0,1,2,0,2,60,60,{},1"
)


def ffmpeg(*args: object) -> bytes:
    cmd = ["ffmpeg", "-hide_banner", "-v", "error", "-y", *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def make_audio(path: Path, seconds: float) -> Path:
    """Speech-band noise with a slow swell over a low tone: encodes like a voice track."""
    noise = f"anoisesrc=d={seconds}:c=pink:r=48000:a=0.2,bandpass=f=800:w=1200"
    tone = f"sine=f=110:d={seconds}:r=48000"
    mix = "[0][1]amix=2,aformat=channel_layouts=stereo"
    ffmpeg("-f", "lavfi", "-i", noise, "-f", "lavfi", "-i", tone, "-filter_complex", mix, path)
    return path


def clock(ms: int, sep: str, digits: int) -> str:
    frac = f"{ms % 1000:03d}"[:digits]
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{frac}"


def make_captions(folder: Path, speech_ms: int) -> tuple[Path, Path, Path, int]:
    starts = range(500, speech_ms - CUE_MS, CUE_EVERY_MS)
    cues = [(s, s + CUE_MS, *LINES[i % len(LINES)]) for i, s in enumerate(starts)]
    head = [
        "[Script Info]",
        "ScriptType: v4.00+",
        "PlayResX: 1920",
        "PlayResY: 1080",
        "WrapStyle: 0",
    ]
    head += ["ScaledBorderAndShadow: yes", "", "[V4+ Styles]", STYLE_FORMAT]
    head += [STYLE.format("ZH", 56, 120), STYLE.format("EN", 42, 48), "", "[Events]"]
    head += ["Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"]
    events = [
        f"Dialogue: 0,{clock(s, '.', 2)[1:]},{clock(e, '.', 2)[1:]},{style},,0,0,0,,{text}"
        for s, e, zh, en in cues
        for style, text in (("ZH", zh), ("EN", en))
    ]
    ass = folder / "bench.bilingual.ass"
    ass.write_text("\n".join(head + events) + "\n", encoding="utf-8")
    srts = []
    for name, k in (("bench.en.srt", 3), ("bench.zh-Hans.srt", 2)):
        blocks = [
            f"{i}\n{clock(c[0], ',', 3)} --> {clock(c[1], ',', 3)}\n{c[k]}\n"
            for i, c in enumerate(cues, 1)
        ]
        (folder / name).write_text("\n".join(blocks), encoding="utf-8")
        srts.append(folder / name)
    return ass, srts[0], srts[1], len(cues)


def make_roll(path: Path) -> Path:
    """A 20 s roll scrolling 3 px per frame at 25 fps, like the credits stage's."""
    face = find_font("Noto Sans CJK SC", "Bold")
    font = ImageFont.truetype(str(face.path), 60, index=face.index)
    frames = ROLL_S * ROLL_FPS
    strip = Image.new("RGB", (1920, 1080 + frames * 3), (14, 27, 46))
    draw = ImageDraw.Draw(strip)
    for i, line in enumerate(ROLL_TEXT * 3):
        draw.text((960, 900 + i * 120), line, font=font, fill=(255, 255, 255), anchor="ma")
    png = path.with_suffix(".png")
    strip.save(png)
    scroll = f"loop=loop=-1:size=1,setpts=N/{ROLL_FPS}/TB,crop=1920:1080:0:n*3"
    codec = "-c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p".split()
    ffmpeg("-i", png, "-vf", scroll, "-frames:v", frames, "-r", ROLL_FPS, *codec, path)
    return path


def plain_graph(m: dict[str, Any], s: VideoSettings, seconds: float, roll_start_s: float) -> str:
    lt_in, fade = s.lower_third_in_ms / 1000, s.fade_ms / 1000
    lt_end = (s.lower_third_in_ms + s.lower_third_ms) / 1000
    bar = f"s=1728x{s.bar_height_px}:r=25"
    bar_y, lt_y = round(1080 * s.bar_y_frac), round(1080 * s.lower_third_y_frac)
    track, fill = (f"0x{r:02X}{g:02X}{b:02X}" for r, g, b in (s.track_colour, s.bar_colour))
    return ";".join(
        [
            f"[1]fade=t=in:st={lt_in}:d={fade}:alpha=1,"
            f"fade=t=out:st={lt_end - fade}:d={fade}:alpha=1[lt]",
            f"[0][lt]overlay=x=96:y={lt_y}:eof_action=pass[a]",
            f"color=c={track}:{bar}[trk]",
            f"color=c={fill}:{bar}[fill]",
            f"[trk][fill]overlay=x='-w+w*min(t/{seconds}\\,1)':y=0:shortest=1[bar]",
            f"[a][bar]overlay=x=96:y={bar_y}:shortest=1[b]",
            f"[3:v]setpts=PTS-STARTPTS+{roll_start_s}/TB[roll]",
            "[b][roll]overlay=eof_action=pass[c]",
            f"[c]ass={m['ass']}:fontsdir={m['fontsdir']}[v]",
        ]
    )


def plain_command(
    m: dict[str, Any], s: VideoSettings, out: Path, seconds: float, roll_start_s: float
) -> list[object]:
    """The straightforward one-command render (see the module docstring)."""
    lt_end = (s.lower_third_in_ms + s.lower_third_ms) / 1000
    still = ["-loop", 1, "-framerate", 25]
    inputs = [
        *still,
        "-t",
        seconds,
        "-i",
        m["background"],
        *still,
        "-t",
        lt_end,
        "-i",
        m["lower_third"],
    ]
    inputs += ["-i", m["audio"], "-i", m["roll"], "-i", m["en"], "-i", m["zh"]]
    maps = "-map [v] -map 2:a -map 4:s -map 5:s".split()
    video = ["-c:v", "libx264", "-preset", s.preset, "-crf", s.crf, "-profile:v", s.profile]
    video += ["-pix_fmt", "yuv420p", "-r", 25]
    audio = ["-c:a", "aac", "-b:a", s.audio_bitrate, "-ar", 48000, "-ac", 2]
    subs = "-c:s mov_text -metadata:s:s:0 language=eng -metadata:s:s:1 language=chi".split()
    graph = plain_graph(m, s, seconds, roll_start_s)
    tail = ["-movflags", "+faststart", "-t", seconds, out]
    return [*inputs, "-filter_complex", graph, *maps, *video, *audio, *subs, *tail]


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall s, CPU s of child processes, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    result = fn()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result


def frame_diff(a: Path, b: Path, t: float) -> float:
    """Mean absolute luma difference of the two videos' frames at ``t`` (0-255 scale)."""
    grab = ["-frames:v", 1, "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    x, y = (np.frombuffer(ffmpeg("-ss", t, "-i", p, *grab), np.uint8).astype(int) for p in (a, b))
    return float(np.abs(x - y).mean())


def summary(info: dict[str, Any]) -> dict[str, Any]:
    v, a = info["video"][0], info["audio"][0]
    return {
        "video": f"{v['codec']} {v['profile']} {v['width']}x{v['height']} {v['pix_fmt']}",
        "frames": v["frames"],
        "audio": f"{a['codec']} {a['profile']} {a['sample_rate']} Hz",
        "subtitles": info["subtitle_languages"],
        "moov_before_mdat": info["moov_before_mdat"],
        "duration_ms": info["duration_ms"],
        "size_mb": round(info["size_bytes"] / 1e6, 1),
    }


def plain_stills(settings: VideoSettings) -> dict[str, Path]:
    """The same title background and lower-third PNGs production.video draws."""
    frame = graphics.landscape(settings)
    bold = graphics.face_for(settings.font_family, settings.title_style, None)
    regular = graphics.face_for(settings.font_family, settings.label_style, None)
    base = graphics.background_with_title(
        graphics.artwork_or_generated(None, frame, settings), TITLE, bold, frame, settings
    )
    panel = graphics.lower_third(
        HOST, graphics.host_label(settings.host_role), bold, regular, settings
    )
    return {
        "background": graphics.save_png(base, OUT / "plain_background.png"),
        "lower_third": graphics.save_png(panel, OUT / "plain_lower_third.png"),
        "fontsdir": bold.path.parent,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=7.0)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    seconds = args.minutes * 60
    settings = VideoSettings()
    audio = make_audio(OUT / "bench master.wav", seconds)
    roll_start_ms = int(seconds * 1000) - ROLL_S * 1000
    ass, en, zh, n_cues = make_captions(OUT, roll_start_ms)
    roll = make_roll(OUT / "roll.mp4")
    media = {"ass": ass, "audio": audio, "roll": roll, "en": en, "zh": zh, **plain_stills(settings)}
    subs = [SoftSub(en, "eng", "English"), SoftSub(zh, "chi", "中文（简体）")]
    ours_out, plain_out = OUT / "ours.mp4", OUT / "plain.mp4"

    print(f"rendering {args.minutes:g} min, {n_cues} cues: ours ...", flush=True)
    ours = timed(
        lambda: render_video(ours_out, audio, TITLE, HOST, settings, ass, subs, roll, roll_start_ms)
    )
    print("plain ...", flush=True)
    plain = timed(
        lambda: ffmpeg(*plain_command(media, settings, plain_out, seconds, roll_start_ms / 1000))
    )
    mid_cue_s = (500 + n_cues // 2 * CUE_EVERY_MS + CUE_MS / 2) / 1000
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True
        ).stdout.split(" Copyright")[0],
        "minutes": args.minutes,
        "cues": n_cues,
        "ours": {
            "wall_s": round(ours[0], 1),
            "cpu_s": round(ours[1], 1),
            **summary(probe_video(ours_out)),
        },
        "plain": {
            "wall_s": round(plain[0], 1),
            "cpu_s": round(plain[1], 1),
            **summary(probe_video(plain_out)),
        },
        "ratio_wall": round(ours[0] / plain[0], 3),
        "ratio_cpu": round(ours[1] / plain[1], 3),
        "frame_mean_abs_diff": {
            f"{t:g}s": round(frame_diff(ours_out, plain_out, t), 2)
            for t in (2.0, mid_cue_s, (roll_start_ms + 5000) / 1000)
        },
    }
    (OUT / "video_bench.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
