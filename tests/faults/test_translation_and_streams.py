"""Inputs that look usable but are not (issue 20 Build 4-5, issue 21 point 7): a "translation"
with no Chinese, a Traditional Chinese translation, a recording of 0.3 s, a recording whose
voice is on its second audio stream."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import opencc
import pytest

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
        "-map 0:a:1", "point host_audio at it", "host_audio_stream = 1",
    )  # fmt: skip
    assert not (tmp_path / "out.json").exists()


def _recorder_episode(episode: Path) -> bytes:
    """The episode's host read moved to the second audio stream of an MKV (the first silent)."""
    ffmpeg("-f", "lavfi", "-t", "12", "-i", "anullsrc=r=48000:cl=stereo", "-i", episode / "host.wav",
           "-map", "0:a", "-map", "1:a", "-c:a", "aac", episode / "recorder.mkv")  # fmt: skip
    toml = episode / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"host.wav"', '"recorder.mkv"'), encoding="utf-8")
    return (episode / "recorder.mkv").read_bytes()


def test_host_audio_stream_chooses_the_voice(run_main, episode: Path) -> None:
    """``host_audio_stream = 1`` in episode.toml: every stage reads the voice stream; the file is untouched."""
    before = _recorder_episode(episode)
    toml = episode / "episode.toml"
    toml.write_text("host_audio_stream = 1\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_main("produce", "-q", "--only", "align", episode)
    assert proc.returncode == 0, proc.stderr
    fragments = json.loads((episode / "build" / "alignment.json").read_text(encoding="utf-8"))["fragments"]
    assert fragments and all(f["end_ms"] > f["start_ms"] for f in fragments)
    assert (episode / "recorder.mkv").read_bytes() == before


@pytest.mark.parametrize("value", ["2", "-1", "true", '"1"'])
def test_host_audio_stream_that_names_no_stream_is_refused(run_main, episode: Path, value: str) -> None:
    _recorder_episode(episode)
    toml = episode / "episode.toml"
    toml.write_text(f"host_audio_stream = {value}\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_main("produce", "-q", episode)
    if value == "2":
        assert_one_line_error(proc, "host_audio_stream = 2", "holds 2 audio stream(s)", "choose one of 0, 1")
    else:
        assert_one_line_error(proc, "host_audio_stream", "must be a whole number from 0")
