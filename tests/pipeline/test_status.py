"""`perspective status` on a catalogue of up-to-date, stale, failed, unbuilt and unreadable episodes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from production.pipeline import STAGE_NAMES, produce_episode
from production.status import episode_status

pytestmark = pytest.mark.slow


def states(folder: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {s.stage: (s.state, s.reasons) for s in episode_status(folder).stages}


def test_status_of_a_catalogue(tiny_episode: Path, tmp_path: Path) -> None:
    assert produce_episode(tiny_episode).error == ""
    copies = {}
    for name in ("fresh", "script-edited", "toml-edited", "mp3-deleted", "bad-audio"):
        copies[name] = Path(shutil.copytree(tiny_episode.parent, tmp_path / name)) / tiny_episode.name

    up = episode_status(copies["fresh"])
    assert up.state == "up to date" and [s.state for s in up.stages] == ["up to date"] * len(STAGE_NAMES)

    script = copies["script-edited"] / "script.txt"
    script.write_text(script.read_text(encoding="utf-8").replace("big change", "large change"), encoding="utf-8")
    got = states(copies["script-edited"])
    assert got["ingest"] == ("stale", ("script.txt changed",))
    assert got["align"][0] == "stale" and "ingest changed" in got["align"][1]  # and its fragments (the text)
    assert all(got[s][0] == "stale" for s in STAGE_NAMES)

    toml = copies["toml-edited"] / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'loudness = "broadcast"\n', encoding="utf-8")
    got = states(copies["toml-edited"])
    assert got["ingest"][0] == got["align"][0] == got["captions"][0] == got["credits"][0] == "up to date"
    assert got["master"][0] == "stale" and any("profile" in r for r in got["master"][1]), got["master"]

    (copies["mp3-deleted"] / "build" / f"{tiny_episode.name}.mp3").unlink()
    got = states(copies["mp3-deleted"])
    assert got["master"] == ("stale", (f"{tiny_episode.name}.mp3 is missing",))  # cache.stale_outputs wording
    assert got["align"][0] == "up to date"

    bad = copies["bad-audio"]
    (bad / "host.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    failed = produce_episode(bad)
    assert failed.error
    got = states(bad)
    failing = [s for s in STAGE_NAMES if got[s][0] == "failed"]
    assert len(failing) == 1 and got[failing[0]][1] and got[failing[0]][1][0] in failed.error
    assert episode_status(bad).state == "failed"

    unbuilt = tmp_path / "unbuilt" / tiny_episode.name
    shutil.copytree(tiny_episode, unbuilt, ignore=shutil.ignore_patterns("build"))
    assert episode_status(unbuilt).state == "not built"

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "episode.toml").write_text("title = \n", encoding="utf-8")

    folders = [copies["fresh"], copies["script-edited"], bad, unbuilt, broken]
    cli = [sys.executable, "-m", "cli.main", "status"]
    shown = subprocess.run([*cli, *map(str, folders)], capture_output=True, text=True, check=False, timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == len(folders)
    assert "up to date" in lines[0] and "STALE" not in lines[0]
    assert "stale" in lines[1] and "script.txt changed" in lines[1]
    assert "failed" in lines[2] and "FAILED" in lines[2]
    assert "not built" in lines[3]
    assert "error:" in lines[4] and "episode.toml" in lines[4]

    as_json = subprocess.run([*cli, "--json", *map(str, folders)], capture_output=True, text=True, check=False)
    data = json.loads(as_json.stdout)
    assert [d["state"] for d in data] == ["up to date", "stale", "failed", "not built", "error"]
    assert data[1]["stages"][0] == {"stage": "ingest", "state": "stale", "reasons": ["script.txt changed"]}
