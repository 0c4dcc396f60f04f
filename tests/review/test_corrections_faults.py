"""Bad corrections (corrections.toml, [[chapters]]/[[clips]] in episode.toml): one line, exit 1,
before any stage runs, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.conftest import Outcome, assert_one_line_error
from tests.pipeline.conftest import SCRIPT, TOML


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    folder = tmp_path / "ep"
    folder.mkdir()
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (folder / "script.zh.txt").write_text("你好。\n", encoding="utf-8")
    (folder / "episode.toml").write_text(TOML, encoding="utf-8")
    (folder / "host.wav").write_bytes(b"RIFF")  # never read: the refusal comes first
    return folder


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[[timing]\n", ("corrections.toml is not valid TOML", "fix that line")),
        ('[[timing]]\nsentence = "s0001"\nstart_ms = "soon"\n', ("[[timing]] #1", "'start_ms'")),
        ('[[clips]]\nname = "../x"\nstart_ms = 0\nend_ms = 1000\n', ("[[clips]] #1", "name")),
        ("version = 7\n", ("version 7",)),
    ],
)
def test_bad_corrections_file_refused_before_any_stage(
    run_main: Callable[..., Outcome], episode: Path, text: str, needles: tuple[str, ...]
) -> None:
    (episode / "corrections.toml").write_text(text, encoding="utf-8")
    assert_one_line_error(run_main("produce", episode), *needles)
    assert not (episode / "build" / "alignment.json").exists()


@pytest.mark.parametrize(
    ("table", "needles"),
    [
        ('[[chapters]]\nsentence = "s0001"\n', ("episode.toml [[chapters]] #1", "'title'")),
        ('[[clips]]\nname = "a"\nstart_ms = 5000\nend_ms = 1000\n', ("episode.toml [[clips]] #1", "end_ms")),
        ("chapters = 3\n", ("chapters", "[[chapters]]")),
    ],
)
def test_bad_hand_written_chapters_or_clips_in_episode_toml(
    run_main: Callable[..., Outcome], episode: Path, table: str, needles: tuple[str, ...]
) -> None:
    toml = episode / "episode.toml"
    lines = toml.read_text(encoding="utf-8")
    toml.write_text(table + lines if table.startswith("chapters =") else lines + table, encoding="utf-8")
    assert_one_line_error(run_main("produce", episode), *needles)


def test_review_before_produce_says_what_to_do(run_main: Callable[..., Outcome], episode: Path) -> None:
    assert_one_line_error(run_main("review", episode, "--no-open"), "review.html does not exist", "produce")
