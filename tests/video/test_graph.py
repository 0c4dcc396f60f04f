"""The command line: what reaches filter strings, and that ffmpeg parses the escaped paths."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import ffmpeg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.video import SoftSub, VideoSettings
from production.video.graph import Job, Roll, Stills, command
from production.video.timeline import plan_segments

TITLE = "100% 'real' \\ [costs]; %{pts}, a:b"


def job(tmp: Path, roll: bool = True, ass: bool = True) -> Job:
    segments, _ = plan_segments(60_000, 20_000 if roll else None, 38_000 if roll else None)
    stills = Stills(
        tmp / "bg.png", tmp / "lt.png", (96, 367), tmp / "track.png", tmp / "fill.png", (96, 562)
    )
    return Job(
        size=(1920, 1080),
        duration_ms=60_000,
        segments=segments,
        stills=stills,
        audio=tmp / "a.wav",
        roll=Roll(tmp / "roll.mp4", Fraction(25), resample=False) if roll else None,
        ass=tmp / "c.ass" if ass else None,
        fonts_dir=tmp / "fonts",
        soft_subs=[
            SoftSub(tmp / "en.srt", "eng", "English"),
            SoftSub(tmp / "zh.srt", "chi", "中文"),
        ],
        title=TITLE,
    )


def option(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == name]


def test_text_never_reaches_the_filter_graph(tmp_path):
    args = command(job(tmp_path), VideoSettings(), tmp_path / "out.mp4")
    graph = option(args, "-filter_complex")[0]
    assert "real" not in graph and "English" not in graph
    assert f"title={TITLE}" in option(args, "-metadata")


def test_roll_is_interleaved_at_its_own_rate(tmp_path):
    args = command(job(tmp_path), VideoSettings(), tmp_path / "out.mp4")
    graph = option(args, "-filter_complex")[0]
    assert "interleave=nb_inputs=3" in graph  # body, roll, body again
    assert "setpts=expr=N*7200+0" in graph  # body on a 12.5 fps grid of 90 kHz ticks
    assert "setpts=expr=PTS+3420000" in graph  # roll from 38 s
    assert option(args, "-r") == ["25"] and option(args, "-fps_mode") == ["vfr"]
    assert option(args, "-g") == ["50"]  # 4 s at 12.5 fps


def test_no_roll_no_captions_is_a_plain_chain(tmp_path):
    args = command(job(tmp_path, roll=False, ass=False), VideoSettings(), tmp_path / "out.mp4")
    graph = option(args, "-filter_complex")[0]
    assert "interleave" not in graph and "ass=" not in graph
    assert option(args, "-r") == ["25/2"]


def test_soft_tracks_carry_language_and_title(tmp_path):
    args = command(job(tmp_path), VideoSettings(), tmp_path / "out.mp4")
    assert option(args, "-metadata:s:s:0") == [
        "language=eng",
        "title=English",
        "handler_name=English",
    ]
    assert option(args, "-metadata:s:s:1") == ["language=chi", "title=中文", "handler_name=中文"]
    assert option(args, "-c:s") == ["mov_text"] and args[-1] == str(tmp_path / "out.mp4")
    assert args.index("-movflags") < len(args) - 1 and option(args, "-movflags") == ["+faststart"]


NASTY = st.text(st.sampled_from("ab :'\\,;[]%{}=@#"), min_size=1, max_size=12).filter(
    lambda s: s.strip(". ") == s and "/" not in s
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(NASTY)
def test_escaped_paths_reach_libass_intact(tmp_path, name):
    """ffmpeg must open an ASS file and fonts folder whose names hold filter syntax."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    ass = folder / f"{name}.ass"
    ass.write_text("[Script Info]\nScriptType: v4.00+\n\n[Events]\n", encoding="utf-8")
    stream = ffmpeg.input("color=s=64x64:d=0.2", f="lavfi").filter(
        "ass", filename=str(ass), fontsdir=str(folder)
    )
    args = ffmpeg.get_args(
        ffmpeg.output(stream, str(tmp_path / "o.mp4"), vcodec="rawvideo", f="null")
    )
    result = subprocess.run(["ffmpeg", "-v", "error", "-y", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
