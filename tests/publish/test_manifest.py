"""manifest.json and write_bundle: every output listed, hashes verified, tampering detected."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from production.errors import ProductionError
from production.publish import (
    BUNDLE_FILES,
    MANIFEST_FILE,
    PublishInputs,
    manifest,
    sha256_file,
    verify_manifest,
    write_bundle,
)

from .conftest import SLUG


def ffprobe_ms(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return round(float(out) * 1000)


@pytest.fixture
def bundle(build_dir: Path, inputs: PublishInputs) -> list[Path]:
    return write_bundle(build_dir, inputs)


def test_bundle_writes_the_design_files_manifest_last(build_dir: Path, bundle: list[Path]) -> None:
    assert [p.name for p in bundle] == list(BUNDLE_FILES)
    assert bundle[-1].name == MANIFEST_FILE
    assert all(p.parent == build_dir and p.stat().st_size > 0 for p in bundle)
    assert not list(build_dir.glob(".*")), "no temporary files are left behind"


def test_manifest_lists_every_output_with_hash_and_size(
    build_dir: Path, bundle: list[Path]
) -> None:
    doc = json.loads((build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    on_disk = sorted(p.name for p in build_dir.iterdir() if p.name != MANIFEST_FILE)
    assert [f["name"] for f in doc["files"]] == on_disk
    for entry in doc["files"]:
        path = build_dir / entry["name"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == sha256_file(path)


def test_manifest_durations(build_dir: Path, bundle: list[Path]) -> None:
    files = {f["name"]: f for f in json.loads((build_dir / MANIFEST_FILE).read_text())["files"]}
    mp3 = build_dir / f"{SLUG}.mp3"
    assert files[mp3.name]["duration_ms"] == ffprobe_ms(mp3)
    assert 3990 <= files[mp3.name]["duration_ms"] <= 4100  # the 4 s sine plus encoder padding
    for name in (f"{SLUG}.en.vtt", f"{SLUG}.en.srt", f"{SLUG}.zh-Hans.vtt"):
        assert files[name]["duration_ms"] == 3800  # the last cue's end
    assert "duration_ms" not in files["transcript.json"]
    assert files["feed-item.xml"]["type"] == "application/xml"
    assert files[mp3.name]["type"] == "audio/mpeg"


def test_manifest_facts(build_dir: Path, inputs: PublishInputs) -> None:
    now = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    doc = manifest(build_dir, inputs, {"stage_seconds": {"publish": 0.2}}, now=now)
    assert doc["generated_at"] == "2026-11-27T01:30:00Z"
    assert doc["tool"] == {"name": "cbn-perspective", "version": "0.1.0"}
    assert doc["engine"] == "tts-dtw"
    assert doc["synthetic_host_read"] is False
    assert doc["loudness"]["integrated_lufs"] == -16.2
    assert doc["captions_qc"] == {
        "summary": {"cues": 3, "errors": 0, "warnings": 1},
        "issues": 1,
        "by_severity": {"warning": 1},
    }
    assert doc["episode"]["guid"] == f"cbn-perspective-{SLUG}"
    assert doc["stage_seconds"] == {"publish": 0.2}


def test_synthetic_read_is_flagged(build_dir: Path, inputs: PublishInputs) -> None:
    import dataclasses

    write_bundle(build_dir, dataclasses.replace(inputs, synthetic_host_read=True))
    assert json.loads((build_dir / MANIFEST_FILE).read_text())["synthetic_host_read"] is True


def test_extra_cannot_overwrite_the_file_list(build_dir: Path, inputs: PublishInputs) -> None:
    with pytest.raises(ProductionError, match="files"):
        manifest(build_dir, inputs, {"files": []})


def test_fresh_bundle_verifies(build_dir: Path, bundle: list[Path]) -> None:
    assert verify_manifest(build_dir) == []


def test_appended_byte_is_a_size_problem(build_dir: Path, bundle: list[Path]) -> None:
    with open(build_dir / f"{SLUG}.en.vtt", "a", encoding="utf-8") as fh:
        fh.write("\n")
    (problem,) = verify_manifest(build_dir)
    assert problem.startswith(f"{SLUG}.en.vtt is ") and "bytes" in problem


def test_same_size_edit_is_a_hash_problem(build_dir: Path, bundle: list[Path]) -> None:
    path = build_dir / f"{SLUG}.mp3"
    data = bytearray(path.read_bytes())
    data[5000] ^= 0xFF
    path.write_bytes(bytes(data))
    assert verify_manifest(build_dir) == [
        f"{SLUG}.mp3 does not match its SHA-256 in manifest.json: it changed after produce; "
        "run perspective produce again"
    ]


def test_missing_and_unlisted_files(build_dir: Path, bundle: list[Path]) -> None:
    (build_dir / "shownotes.md").unlink()
    (build_dir / "stray.txt").write_text("x")
    (build_dir / ".work").mkdir()  # stage state and other hidden work files are not outputs
    (build_dir / ".work" / "stages.json").write_text("{}")
    problems = verify_manifest(build_dir)
    assert len(problems) == 2
    assert problems[0].startswith("shownotes.md is listed in manifest.json but missing")
    assert problems[1].startswith("stray.txt is in build/ but not in manifest.json")


def test_bad_manifests(build_dir: Path, bundle: list[Path]) -> None:
    path = build_dir / MANIFEST_FILE
    doc = json.loads(path.read_text())
    doc["files"].append({"name": "../../etc/passwd", "bytes": 1, "sha256": "0"})
    path.write_text(json.dumps(doc))
    assert verify_manifest(build_dir) == [
        "manifest.json lists '../../etc/passwd', which is not a build/ file name: "
        "run perspective produce again"
    ]
    path.write_text("{not json")
    assert verify_manifest(build_dir)[0].startswith("manifest.json is unreadable")
    path.unlink()
    assert verify_manifest(build_dir)[0].startswith("manifest.json is missing")


def test_broken_caption_file_is_a_clear_error(build_dir: Path, inputs: PublishInputs) -> None:
    (build_dir / f"{SLUG}.bilingual.ass").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProductionError, match="bilingual.ass does not parse"):
        manifest(build_dir, inputs)


def test_inputs_are_not_modified(build_dir: Path, inputs: PublishInputs) -> None:
    before = {p.name: sha256_file(p) for p in build_dir.iterdir()}
    write_bundle(build_dir, inputs)
    assert {name: sha256_file(build_dir / name) for name in before} == before
