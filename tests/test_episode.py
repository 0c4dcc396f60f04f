"""episode.toml validation: every bad file gives one EpisodeError naming the key or path."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from production.episode import load_episode
from production.errors import EpisodeError

GOOD = """
title = "Batteries: the passport question"
date = 2026-11-27
script = "script.txt"
host_audio = "host.wav"
"""


def make_episode(tmp_path: Path, toml: str = GOOD, files: tuple[str, ...] = ("script.txt", "host.wav")) -> Path:
    folder = tmp_path / "2026-11-27-sample"
    folder.mkdir()
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    for name in files:
        (folder / name).write_bytes(b"x")
    return folder


def test_good_episode_loads_with_defaults(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path))
    assert ep.title == "Batteries: the passport question"
    assert ep.date == dt.date(2026, 11, 27)
    assert ep.show == "CBN Perspective"
    assert ep.slug == "2026-11-27-sample"
    assert ep.script.name == "script.txt" and ep.script.is_absolute()
    assert ep.translation is None
    assert ep.build_dir == ep.folder / "build"


def test_date_as_string_is_accepted(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path, GOOD.replace("2026-11-27", '"2026-11-27"')))
    assert ep.date == dt.date(2026, 11, 27)


BAD_CASES = [
    ("missing title", GOOD.replace('title = "Batteries: the passport question"\n', ""), "'title' is missing"),
    ("unknown key", GOOD + 'titel = "x"\n', "'titel' is not a known key"),
    ("wrong type", GOOD.replace('"Batteries: the passport question"', "42"), "'title' must be a string"),
    ("bad date", GOOD.replace("2026-11-27", '"27/11/2026"'), "'date' must be a date"),
    ("impossible date", GOOD.replace("2026-11-27", '"2026-02-30"'), "'date' must be a date"),
    ("empty title", GOOD.replace('"Batteries: the passport question"', '"  "'), "'title' is empty"),
    ("bad engine", GOOD + 'engine = "magic"\n', "'engine' must be one of"),
    ("outside path", GOOD.replace('"script.txt"', '"../../etc/passwd"'), "points outside the episode folder"),
    (
        "missing script",
        GOOD.replace('"script.txt"', '"nothere.txt"'),
        "'script' names nothere.txt, which does not exist",
    ),
    ("missing audio", GOOD.replace('"host.wav"', '"gone.wav"'), "'host_audio' names gone.wav"),
    ("not toml", "title = \n", "is not valid TOML"),
    ("credits wrong type", GOOD + "[credits]\nEditor = 3\n", "role 'Editor' must list names"),
]


@pytest.mark.parametrize("case,toml,expected", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_episode_toml_names_the_problem(tmp_path: Path, case: str, toml: str, expected: str) -> None:
    with pytest.raises(EpisodeError, match=expected.replace("(", r"\(")) as info:
        load_episode(make_episode(tmp_path, toml))
    assert "\n" not in str(info.value)


def test_no_episode_toml(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="no episode.toml"):
        load_episode(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="episode folder not found"):
        load_episode(tmp_path / "nope")


def test_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    folder = make_episode(tmp_path, files=("host.wav",))
    os.symlink(outside, folder / "script.txt")
    with pytest.raises(EpisodeError, match="points outside the episode folder"):
        load_episode(folder)


def test_audio_not_required_for_demo(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path, files=("script.txt",)), require_audio=False)
    assert not ep.host_audio.exists()


def test_non_ascii_and_spaces_in_names(tmp_path: Path) -> None:
    folder = make_episode(tmp_path, GOOD.replace('"host.wav"', '"主持人 录音.wav"'), ("script.txt", "主持人 录音.wav"))
    assert load_episode(folder).host_audio.name == "主持人 录音.wav"
