"""Inputs that look usable but are not (issue 20 Build 4-5, issue 21 point 7): a "translation"
with no Chinese, a Traditional Chinese translation, a recording of 0.3 s, a recording whose
voice is on its second audio stream."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import opencc

from .conftest import ZH, assert_one_line_error


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def test_english_text_as_the_translation_is_refused(run_main, episode: Path) -> None:
    english = "Hello! Welcome to the new CBN Perspective. I'm Ada Lin.\nBattery makers spent more.\n"
    (episode / "script.zh.txt").write_text(english, encoding="utf-8")
    proc = run_main("produce", "-q", episode)
    assert_one_line_error(proc, "script.zh.txt has no Chinese characters", "not a Chinese translation")
    assert not (episode / "build" / "alignment.json").exists()


def test_traditional_translation_is_refused_naming_the_setting(run_main, episode: Path) -> None:
    (episode / "script.zh.txt").write_text(opencc.OpenCC("s2t").convert(ZH), encoding="utf-8")
    proc = run_main("ingest", episode)
    assert_one_line_error(proc, "script.zh.txt is written in Traditional Chinese", "convert_traditional = true")


def test_traditional_translation_converts_with_the_setting(run_main, episode: Path) -> None:
    (episode / "script.zh.txt").write_text(opencc.OpenCC("s2t").convert(ZH), encoding="utf-8")
    toml = episode / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[captions]\nconvert_traditional = true\n", encoding="utf-8")
    proc = run_main("ingest", "--json", episode)
    assert proc.returncode == 0, proc.stderr
    zh = "".join(s.get("zh") or "" for s in json.loads(proc.stdout)["sentences"])
    assert "欢迎" in zh and "歡迎" not in zh  # the zh-Hans tracks hold Simplified text


def test_simplified_translation_is_not_called_traditional(run_main, episode: Path) -> None:
    proc = run_main("ingest", episode)
    assert proc.returncode == 0, proc.stderr


def test_a_recording_of_a_third_of_a_second_is_too_short(run_main, episode: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.wav"
    ffmpeg("-i", episode / "host.wav", "-t", "0.3", short)
    proc = run_main("align", short, episode / "script.txt", "-o", tmp_path / "out.json")
    line = assert_one_line_error(proc, "short.wav is only 0.3 s long, too short", "export the whole recording")
    assert "silent" not in line
    assert not (tmp_path / "out.json").exists()


def test_voice_on_the_second_audio_stream_is_named(run_main, episode: Path, tmp_path: Path) -> None:
    """An MKV from a video recorder: a silent stereo track first, the voice second."""
    mkv = tmp_path / "recorder.mkv"
    ffmpeg("-f", "lavfi", "-t", "12", "-i", "anullsrc=r=48000:cl=stereo", "-i", episode / "host.wav",
           "-map", "0:a", "-map", "1:a", "-c:a", "aac", mkv)  # fmt: skip
    proc = run_main("align", mkv, episode / "script.txt", "-o", tmp_path / "out.json")
    assert_one_line_error(
        proc, "recorder.mkv holds 2 audio streams", "#0 aac 2 ch, silent", "#1 aac 1 ch, sound at",
        "-map 0:a:1", "point host_audio at it",
    )  # fmt: skip
    assert not (tmp_path / "out.json").exists()
