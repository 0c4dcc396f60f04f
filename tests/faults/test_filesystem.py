"""Filesystem failures are one line naming the path and what to do (issue 20, Build 2 and 3).

build/ a regular file or a broken link, a read-only build/ or episode folder, a folder name that
is not UTF-8, a full disk under the lock, a folder that disappears midway, and ``--only`` with
the upstream outputs missing. (A 246-character folder name produces: ``test_fonts.py``.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from production.pipeline import STAGE_NAMES

from .conftest import assert_one_line_error, cli, snapshot


def test_build_is_a_regular_file(run_main, episode: Path) -> None:
    (episode / "build").write_text("not a folder\n", encoding="utf-8")
    proc = run_main("produce", "-q", episode)
    assert_one_line_error(proc, f"{episode}/build", "is a file, not a folder", "move the file aside")
    assert (episode / "build").read_text(encoding="utf-8") == "not a folder\n"


def test_build_is_a_broken_symlink(run_main, episode: Path, tmp_path: Path) -> None:
    (episode / "build").symlink_to(tmp_path / "gone")
    proc = run_main("produce", "-q", episode)
    assert_one_line_error(proc, f"{episode}/build", "broken link", "remove it")
    assert (episode / "build").is_symlink() and not (tmp_path / "gone").exists()


def test_read_only_build_folder(episode: Path, unprivileged) -> None:
    build = episode / "build"
    build.mkdir()
    build.chmod(0o555)
    try:
        proc = cli("produce", "-q", episode, preexec=unprivileged)
    finally:
        build.chmod(0o755)
    assert_one_line_error(proc, str(build), "read-only", "chmod u+w")
    assert list(build.iterdir()) == []


def test_read_only_episode_folder(episode: Path, unprivileged) -> None:
    before = snapshot(episode)
    episode.chmod(0o555)
    try:
        proc = cli("produce", "-q", episode, preexec=unprivileged)
    finally:
        episode.chmod(0o755)
    assert_one_line_error(proc, f"{episode}/build", "permission denied", "writable")
    assert snapshot(episode) == before and not (episode / "build").exists()


def test_folder_name_that_is_not_utf8(run_main, template_episode: Path, tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"episode-\xc9t\xe9-gbk\xd6\xd0")  # Latin-1/GBK bytes from an old archive
    shutil.copytree(template_episode, folder)
    proc = run_main("produce", "-q", folder)
    line = assert_one_line_error(proc, "not valid UTF-8", "rename it")
    assert "episode-\\xc9t\\xe9-gbk\\xd6\\xd0" in line  # the path shown, its odd bytes escaped
    assert not (folder / "build").exists()


def test_full_disk_under_the_lock(episode: Path, tmp_path: Path) -> None:
    """build/ on a full tmpfs: writing the lock's pid fails with ENOSPC."""
    build = episode / "build"
    build.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(build)], capture_output=True, text=True, check=False
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip() or 'not root'})")
    try:
        with open(build / "filler", "wb", buffering=0) as fh, pytest.raises(OSError):
            while True:
                fh.write(b"\0" * 4096)
        proc = cli("produce", "-q", episode)
    finally:
        subprocess.run(["umount", str(build)], check=False)
    assert_one_line_error(proc, "disk full while writing lock", f"free space on {build}/.work")


def test_episode_folder_disappearing_midway(run_main, episode: Path, tmp_path: Path) -> None:
    """The folder is moved away once alignment.json exists: one line saying so, exit 1."""
    moved = tmp_path / "moved-away"

    def move_when_aligned() -> None:
        deadline = time.monotonic() + 120
        while not (episode / "build" / "alignment.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.move(episode, moved)

    mover = threading.Thread(target=move_when_aligned)
    mover.start()
    try:
        proc = run_main("produce", "-q", episode)
    finally:
        mover.join()
    assert_one_line_error(proc, f"the episode folder {episode} disappeared while producing", "put it back")
    assert (moved / "host.wav").is_file()


@pytest.mark.parametrize("stage", ["captions", "master", "publish"])
def test_only_with_missing_upstream_names_the_stage_to_run(run_main, episode: Path, stage: str) -> None:
    proc = run_main("produce", "-q", "--only", stage, episode)
    assert_one_line_error(
        proc, f"--only {stage} needs the align stage's output build/alignment.json", "--from align"
    )
    assert not (episode / "build" / "alignment.json").exists()


def test_only_runs_a_stage_whose_upstream_is_not_needed(run_main, episode: Path) -> None:
    """--only credits needs only ingest: it runs on a never-produced episode."""
    proc = run_main("produce", "-q", "--only", "credits", episode)
    assert proc.returncode == 0, proc.stderr
    assert (episode / "build" / "credits.json").is_file()
    assert not (episode / "build" / "alignment.json").exists()


def test_from_runs_the_missing_upstream_stages(run_main, episode: Path) -> None:
    """--from captions on a never-produced episode runs align first (README, "Stages")."""
    proc = run_main("produce", "--from", "captions", episode)
    assert proc.returncode == 0, proc.stderr
    assert f"ran {', '.join(STAGE_NAMES)};" in proc.stderr  # every stage, ingest and align included
    assert (episode / "build" / "alignment.json").is_file()
