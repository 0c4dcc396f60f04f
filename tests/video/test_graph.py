"""The command line: what reaches filter strings, and that ffmpeg parses the escaped paths."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import ffmpeg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.video import SoftSub, VideoSettings
from production.video.graph import Job, Roll, Stills, body_times_ms, command, pts_table
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
    assert "setpts=expr=if(lt(N\\," in graph  # body frames at listed times (a pts table)
    assert "setpts=expr=PTS+3420000" in graph  # roll from 38 s
    assert option(args, "-r") == ["25"] and option(args, "-fps_mode") == ["vfr"]
    assert option(args, "-g") == ["100"]  # 4 s at the roll's 25 fps
    assert option(args, "-force_key_frames") == ["expr:gte(t,n_forced*4)"]  # sparse frames too


def test_a_set_rate_keeps_every_frame_on_its_grid(tmp_path):
    args = command(job(tmp_path), VideoSettings(fps=12.5), tmp_path / "out.mp4")
    graph = option(args, "-filter_complex")[0]
    assert "setpts=expr=N*7200+0" in graph  # body on a 12.5 fps grid of 90 kHz ticks
    assert "if(lt(N" not in graph


def test_no_roll_no_captions_is_a_plain_chain(tmp_path):
    args = command(job(tmp_path, roll=False, ass=False), VideoSettings(), tmp_path / "out.mp4")
    graph = option(args, "-filter_complex")[0]
    assert "interleave" not in graph and "ass=" not in graph
    assert option(args, "-r") == ["25"]  # the lower-third's fades
    args = command(job(tmp_path, roll=False, ass=False), VideoSettings(fps=12.5), tmp_path / "o.mp4")
    assert option(args, "-r") == ["25/2"]


def test_a_script_file_carries_the_graph(tmp_path):
    script = tmp_path / "graph.txt"
    args = command(job(tmp_path), VideoSettings(), tmp_path / "out.mp4", script)
    assert "-filter_complex" not in args and option(args, "-filter_complex_script") == [str(script)]
    assert "interleave=nb_inputs=3" in script.read_text(encoding="utf-8")


def _top_level_comma(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            return i
    raise AssertionError(f"no argument separator in {text[:40]}")


def _evaluate(expr: str, n: int) -> int:
    """pts_table's expression for frame ``n``, read the way ffmpeg's evaluator reads it."""
    while expr.startswith("if(lt(N,"):
        mid, rest = expr[len("if(lt(N,") :].split("),", 1)
        at = _top_level_comma(rest)
        expr = rest[:at] if n < int(mid) else rest[at + 1 : -1]
    return int(expr)


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=300, unique=True))
def test_pts_table_gives_each_frame_its_time(ticks):
    ticks = sorted(ticks)
    expr = pts_table(ticks)
    assert [_evaluate(expr, n) for n in range(len(ticks))] == ticks
    assert expr.count("if(") == len(ticks) - 1


def test_body_frames_fall_where_the_picture_changes(tmp_path):
    settings = VideoSettings()
    changes = (1_230, 4_010, 4_990, 37_990, 38_000, 59_990)
    j = replace(job(tmp_path), change_ms=changes)
    first, _, last = j.segments
    times = body_times_ms(first, j, settings)
    assert set(changes[:4]) <= set(times)  # each caption change in the segment, exactly
    assert 38_000 not in times and first.end_ms - 40 in times  # a frame one 25 fps period before the end
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= settings.bar_step_ms
    assert set(range(1_000, 1_401, 40)) <= set(times)  # the lower-third fades in at 25 fps
    assert len(times) < first.end_ms / 1000 * 12.5 / 2  # under half the frames of 12.5 fps
    assert body_times_ms(last, j, settings)[0] == last.start_ms


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
