"""End to end: produce a tiny real episode, check it, produce again (nothing to do)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from production.check import check_episode, expected_outputs
from production.episode import load_episode
from production.pipeline import STAGE_NAMES, ProduceOptions, produce_episode

pytestmark = pytest.mark.slow


def test_produce_check_and_rerun(tiny_episode: Path) -> None:
    seen: list[tuple[str, float]] = []
    started = time.monotonic()
    first = produce_episode(tiny_episode, progress=lambda stage, f, msg="": seen.append((stage, f)))
    first_s = time.monotonic() - started
    assert first.error == ""
    assert first.ran == list(STAGE_NAMES)
    episode = load_episode(tiny_episode)
    for name in expected_outputs(episode):
        assert (episode.build_dir / name).stat().st_size > 0, name
    assert {s for s, f in seen if f >= 1.0} >= set(STAGE_NAMES)

    errors = [f for f in check_episode(tiny_episode) if f.severity == "error"]
    assert errors == []

    started = time.monotonic()
    second = produce_episode(tiny_episode)
    second_s = time.monotonic() - started
    assert second.error == "" and second.ran == [] and second.skipped == list(STAGE_NAMES)
    assert second_s < 0.05 * first_s, (first_s, second_s)

    manifest = json.loads((episode.build_dir / "manifest.json").read_text())
    assert manifest["synthetic_host_read"] is True


def test_only_and_from_redo_the_named_stages(tiny_episode: Path) -> None:
    assert produce_episode(tiny_episode).error == ""
    only = produce_episode(tiny_episode, ProduceOptions(only="captions"))
    assert only.ran == ["captions"]
    tail = produce_episode(tiny_episode, ProduceOptions(from_stage="video"))
    assert tail.ran == ["video", "clips", "publish"]  # clips: corrections hook (issue 15)
    assert [f for f in check_episode(tiny_episode) if f.severity == "error"] == []


def test_an_english_only_episode_passes_check(tmp_path: Path) -> None:
    from .conftest import make_episode

    folder = make_episode(tmp_path, "2026-11-27-english")
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('translation = "script.zh.txt"\n', ""), encoding="utf-8")
    (folder / "script.zh.txt").unlink()
    result = produce_episode(folder)
    assert result.error == "", result.error
    build = folder / "build"
    assert not list(build.glob("*.bilingual.*")) and not list(build.glob("*.zh-Hans.*"))
    assert sorted(expected_outputs(load_episode(folder))) == sorted(
        p.name for p in build.iterdir() if p.is_file() and not p.name.endswith(".wav")
    )
    findings = check_episode(folder)
    assert [f for f in findings if f.severity == "error"] == []
    assert not [f for f in findings if "bilingual" in f.message]
