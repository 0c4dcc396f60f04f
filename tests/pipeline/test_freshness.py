"""What makes a stage re-run: its code version, the content of its inputs, its settings, the
results it reads, and whether its outputs on disk are still the ones it wrote. Nothing else: not
the package version, not where the episode or the checkout lies.

One real episode is produced once per module; every case works on a copy of it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import production
import production.publish.inputs
from production.cache import portable
from production.check import check_episode
from production.pipeline import STAGE_NAMES, ProduceOptions, produce_episode

from .conftest import make_episode

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
NAME = "2026-11-27-tiny"


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_episode(tmp_path_factory.mktemp("produced"), NAME)
    result = produce_episode(folder)
    assert result.error == "", result.error
    return folder


def copy_to(folder: Path, parent: Path, name: str | None = None) -> Path:
    target = parent / (name or folder.name)
    parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target, symlinks=True)
    return target


def errors(folder: Path) -> list[str]:
    return [f.message for f in check_episode(folder) if f.severity == "error"]


def test_a_package_version_bump_reruns_nothing(
    produced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every module's own binding of the version (``from . import __version__``) too
    for module in [m for name, m in sys.modules.items() if name.split(".")[0] == "production"]:
        if hasattr(module, "__version__"):
            monkeypatch.setattr(module, "__version__", "99.0.0")
    assert production.publish.inputs.__version__ == "99.0.0"
    episode = copy_to(produced, tmp_path / "elsewhere")
    result = produce_episode(episode)
    assert result.error == "" and result.ran == [], result.summary


def test_fingerprints_hold_no_absolute_path(produced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import production.pipeline as pipeline

    seen: list[object] = []
    real = pipeline.fingerprint

    def spy(stage: str, version: int, files: object, settings: object, upstream: object) -> str:
        seen.append(portable({"files": files, "settings": settings}))
        return real(stage, version, files, settings, upstream)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "fingerprint", spy)
    episode = copy_to(produced, tmp_path)
    assert produce_episode(episode).ran == []
    text = json.dumps(seen)
    assert len(seen) == len(STAGE_NAMES) and "sha256" in text  # the files and assets count by content
    for root in (str(REPO), str(episode), str(tmp_path), str(Path.home())):
        assert root not in text, root


def test_a_copied_checkout_and_episode_rerun_nothing(produced: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for part in ("production", "assets"):
        shutil.copytree(REPO / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
    episode = copy_to(produced, tmp_path / "moved")
    code = (
        f"import sys; sys.path.insert(0, {str(checkout)!r}); import production, json; "
        "from production.pipeline import produce_episode; "
        f"r = produce_episode({str(episode)!r}); "
        "print(json.dumps([production.__file__, r.error, r.ran]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    module_file, error, ran = json.loads(out.stdout.strip().splitlines()[-1])
    assert module_file.startswith(str(checkout)), module_file  # the copy ran, not this checkout
    assert error == "" and ran == []


def test_one_caption_setting_reruns_captions_and_its_readers_only(produced: Path, tmp_path: Path) -> None:
    episode = copy_to(produced, tmp_path)
    toml = episode / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[captions]\nspeaker = "Ada LIN"\n', encoding="utf-8")
    result = produce_episode(episode)
    assert result.error == ""
    assert result.ran == ["captions", "video", "clips", "publish"], result.summary
    assert "<v Ada LIN>" in (episode / "build" / f"{NAME}.en.vtt").read_text(encoding="utf-8")
    assert errors(episode) == []


def test_a_copied_episode_follows_its_new_folder(produced: Path, tmp_path: Path) -> None:
    copy = copy_to(produced, tmp_path, "next-week")
    assert errors(copy)  # the outputs are named after the old folder: check fails before produce
    result = produce_episode(copy)
    assert result.error == ""
    assert set(result.ran) == {"captions", "master", "video", "clips", "publish"}, result.summary
    build = copy / "build"
    assert not [p.name for p in build.iterdir() if p.name.startswith(NAME)]
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    old = json.loads((produced / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert "next-week.mp3" in {f["name"] for f in manifest["files"]}
    feed = (build / "feed-item.xml").read_text(encoding="utf-8")
    assert "next-week.mp3" in feed and f"{NAME}.mp3" not in feed
    guid = re.search(r"<guid[^>]*>([^<]+)</guid>", feed)
    old_feed = (produced / "build" / "feed-item.xml").read_text(encoding="utf-8")
    old_guid = re.search(r"<guid[^>]*>([^<]+)</guid>", old_feed)
    assert guid and old_guid and guid.group(1) != old_guid.group(1) and "next-week" in guid.group(1)
    assert manifest != old
    assert errors(copy) == []
    assert produce_episode(copy).ran == []


@pytest.mark.parametrize(
    "case",
    ["edited-srt", "truncated-mp3", "unreadable-mp3", "edited-feed", "deleted-alignment"],
)
def test_a_changed_output_fails_check_and_the_named_remedy_fixes_it(produced: Path, tmp_path: Path, case: str) -> None:
    episode = copy_to(produced, tmp_path)
    build = episode / "build"
    if case == "edited-srt":
        srt = build / f"{NAME}.en.srt"
        srt.write_text(srt.read_text(encoding="utf-8").replace("Welcome", "Welcom"), encoding="utf-8")
    elif case == "truncated-mp3":
        mp3 = build / f"{NAME}.mp3"
        mp3.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    elif case == "unreadable-mp3":  # too short for ffprobe: the loudness check cannot read it
        mp3 = build / f"{NAME}.mp3"
        mp3.write_bytes(mp3.read_bytes()[:100])
    elif case == "edited-feed":
        feed = build / "feed-item.xml"
        feed.write_text(feed.read_text(encoding="utf-8").replace("Tiny", "Tinny"), encoding="utf-8")
    else:
        (build / "alignment.json").unlink()
    found = errors(episode)
    assert found, case
    assert all("produce" in message for message in found), found
    assert not [m for m in found if "export it again" in m], found  # a remedy for the host's files
    remedy = produce_episode(episode, ProduceOptions())  # what every finding names
    assert remedy.error == "" and remedy.ran, remedy.summary
    assert errors(episode) == [], case
