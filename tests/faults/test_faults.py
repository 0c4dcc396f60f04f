"""Faults around the toolkit: missing programs, a killed process, a full disk, two runs at once,
and the error contract itself (one line, exit 1, --debug shows the traceback).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import mutagen.mp3
import pytest

from production.check import check_episode
from production.pipeline import WORK_DIR, BuildLock, remove_stale_parts

from .conftest import REPO, TOML, assert_one_line_error, cli, error_lines, part_files, sha256, snapshot

KILL_WAIT_S = 240  # a stage reaching the point where it writes its output (tiny episode: ~15 s)


def bin_with(tmp_path: Path, *programs: str) -> Path:
    """A PATH folder holding only ``programs`` (links to the real ones)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in programs:
        real = shutil.which(name)
        assert real, name
        os.symlink(real, folder / name)
    return folder


# ================================================================== missing programs
def test_ffmpeg_missing_from_path(episode: Path, tmp_path: Path) -> None:
    env = {"PATH": str(bin_with(tmp_path))}
    out = tmp_path / "out.json"
    proc = cli("align", episode / "host.wav", episode / "script.txt", "-o", out, env=env)
    assert_one_line_error(proc, "is not installed or not on PATH", "sudo apt-get install ffmpeg")
    proc = cli("produce", "-q", episode, env=env)
    assert_one_line_error(proc, "is not installed or not on PATH", "sudo apt-get install ffmpeg")
    assert not out.exists() and not [p for p in (episode / "build").iterdir() if p.is_file()]


def test_espeak_ng_missing_from_path(episode: Path, tmp_path: Path) -> None:
    """The demo's stand-in read needs the espeak-ng program (a cold synthesis cache)."""
    (episode / "host.wav").unlink()
    env = {"PATH": str(bin_with(tmp_path, "ffmpeg", "ffprobe")), "PERSPECTIVE_CACHE": str(tmp_path / "cache")}
    proc = cli("demo", "--episode", episode, env=env)
    assert_one_line_error(proc, "espeak-ng is not installed", "sudo apt-get install espeak-ng")
    assert not (episode / "host.wav").exists() and part_files(episode) == []


# ================================================================== two runs at once
def test_second_produce_refuses_while_the_lock_is_held(episode: Path) -> None:
    build = episode / "build"
    build.mkdir()
    with BuildLock(build):  # a real flock, as a running produce holds it
        before = snapshot(build)
        proc = cli("produce", "-q", episode)
        assert_one_line_error(proc, f"another `perspective produce` (pid {os.getpid()})", "wait for it to finish")
        assert snapshot(build) == before


def test_two_produce_runs_on_one_episode(episode: Path) -> None:
    """The second refuses with the lock message while the first runs; the first finishes clean."""
    first = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "produce", "-q", str(episode)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = episode / "build" / WORK_DIR / "lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.05)
        second = cli("produce", "-q", episode)
        assert first.poll() is None, "the first run ended before the second was tried"
        assert_one_line_error(second, f"another `perspective produce` (pid {first.pid})")
        _, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert [f for f in check_episode(episode) if f.severity == "error"] == []
    assert part_files(episode) == []


# ================================================================== a full disk
def test_disk_full_keeps_the_previous_output(
    run_main, episode: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails with ENOSPC (fsync of a file in the output folder): clear error,
    exit 1, the previous complete alignment.json untouched, no temporary left."""
    out_dir = tmp_path / "out"
    out = out_dir / "alignment.json"
    args = ("align", episode / "host.wav", episode / "script.txt", "-o", out)
    assert run_main(*args).returncode == 0
    before = sha256(out)
    real_fsync = os.fsync

    def full_disk_fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(out_dir)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk_fsync)
    proc = run_main(*args)
    assert_one_line_error(proc, "disk full while writing alignment.json", "free space", "left intact")
    assert sha256(out) == before
    assert part_files(out_dir) == []


@pytest.fixture
def tmpfs() -> Iterator[Callable[[Path, int], None]]:
    """``mount(point, kib)``: a tmpfs of ``kib`` KiB at ``point`` (again: resize it); unmounted
    at the end. Needs root with CAP_SYS_ADMIN; skips elsewhere."""
    mounted: list[Path] = []

    def mount(point: Path, kib: int) -> None:
        options = f"remount,size={kib}k" if point in mounted else f"size={kib}k"
        run = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True, text=True, check=False
        )
        if run.returncode != 0:
            pytest.skip(
                f"cannot mount a tmpfs here ({run.stderr.strip() or 'not root'}); "
                "test_disk_full_keeps_the_previous_output injects ENOSPC instead"
            )
        if point not in mounted:
            mounted.append(point)

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny episode produced once; tests take copies (same folder name, so same slug)."""
    from .conftest import make_episode

    folder = make_episode(tmp_path_factory.mktemp("produced"))
    proc = cli("produce", "-q", folder)
    assert proc.returncode == 0, proc.stderr
    return folder


def copy_of(produced: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(produced, tmp_path / produced.name, symlinks=True))


def test_disk_full_on_a_small_tmpfs(produced: Path, tmp_path: Path, tmpfs) -> None:
    """build/ on a tmpfs with 2 MiB free: the master (a 13 MB WAV) fails with a clear line, every
    earlier output stays byte-identical, and with space freed the same command completes."""
    episode = copy_of(produced, tmp_path)
    build, full = episode / "build", tmp_path / "build-before"
    shutil.move(build, full)
    build.mkdir()
    used_kib = sum(p.stat().st_size for p in full.rglob("*") if p.is_file()) // 1024
    tmpfs(build, used_kib + 2048)
    shutil.copytree(full, build, dirs_exist_ok=True)
    (episode / "episode.toml").write_text(TOML + "[mastering]\nmp3_bitrate_kbps = 128\n", encoding="utf-8")
    before = snapshot(build)

    proc = cli("produce", "-q", episode)
    assert_one_line_error(proc, "disk full while writing", "free space on", "left intact")
    assert snapshot(build) == before
    assert part_files(build) == []

    tmpfs(build, 64 * 1024)
    proc = cli("produce", "-q", episode)
    assert proc.returncode == 0, proc.stderr
    assert mutagen.mp3.MP3(build / f"{episode.name}.mp3").info.bitrate == 128_000
    assert [f for f in check_episode(episode) if f.severity == "error"] == []


# ================================================================== killed mid-stage
def _start(episode: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    tmp = tmp_path / "tmp"  # the stages' scratch folders: a killed run leaves them here
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "produce", "-q", str(episode)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when_writing(proc: subprocess.Popen[bytes], build: Path, suffixes: tuple[str, ...]) -> Path:
    """SIGKILL the run (and its ffmpeg) once a temporary output with one of ``suffixes`` has data."""
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before the stage wrote: {proc.stderr.read()!r}"
        writing = [p for p in build.glob(".*.part*") if p.suffix in suffixes and p.stat().st_size > 0]
        if writing:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return writing[0]
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"no {suffixes} temporary appeared in {KILL_WAIT_S} s")


def _complete_media(path: Path) -> bool:
    """Decodes to the end without an error (a cut MP3/MP4 fails this)."""
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.returncode == 0 and not run.stderr.strip()


KILL_CASES = [
    ("master", "[mastering]\nmp3_bitrate_kbps = 128\n", (".mp3", ".wav")),
    ("video", "[video]\ncrf = 30\n", (".mp4",)),
]


@pytest.mark.parametrize("stage,change,suffixes", KILL_CASES, ids=[c[0] for c in KILL_CASES])
def test_killed_mid_stage_leaves_previous_outputs(
    produced: Path, tmp_path: Path, stage: str, change: str, suffixes: tuple[str, ...]
) -> None:
    """SIGKILL while the stage writes: every output is the previous complete version (same
    sha256) or, for the stage's own files only, a new version that decodes to the end; the
    temporaries are hidden ``.part`` names; the next run cleans them up and completes."""
    episode = copy_of(produced, tmp_path)
    build = episode / "build"
    before = snapshot(build)
    (episode / "episode.toml").write_text(TOML + change, encoding="utf-8")

    proc = _start(episode, tmp_path)
    partial = _kill_when_writing(proc, build, suffixes)
    assert partial.name.startswith(".") and ".part" in partial.name  # cannot pass for an output

    after = snapshot(build)
    visible = {name for name in after if not Path(name).name.startswith(".")}
    assert visible <= set(before), visible - set(before)  # no new file that looks like an output
    for name in sorted(before):
        if name == f"{WORK_DIR}/stages.json":
            continue
        assert name in after, f"{name} vanished"
        if after[name] != before[name]:  # only a stage's own output, and only if complete
            assert Path(name).suffix in suffixes and _complete_media(build / name), name

    rerun = cli("produce", "-q", episode)
    assert rerun.returncode == 0, rerun.stderr
    assert part_files(episode) == []
    assert [f for f in check_episode(episode) if f.severity == "error"] == []
    if stage == "master":
        assert mutagen.mp3.MP3(build / f"{episode.name}.mp3").info.bitrate == 128_000
    else:
        assert sha256(build / f"{episode.name}.mp4") != before[f"{episode.name}.mp4"]


def test_stale_temporaries_are_removed_under_the_lock(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / WORK_DIR).mkdir(parents=True)
    stale = [build / ".x.mp4.k2j3.part.mp4", build / WORK_DIR / ".credit-roll.abc.part.mp4"]
    keep = [build / "x.mp4", build / "notes.partial.txt", build / WORK_DIR / "stages.json"]
    for p in stale + keep:
        p.write_bytes(b"x")
    assert sorted(remove_stale_parts(build)) == sorted(stale)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in stale)


# ================================================================== the error contract
def test_debug_shows_the_traceback(episode: Path, tmp_path: Path) -> None:
    (episode / "host.wav").write_text("not audio")
    out = tmp_path / "out.json"
    plain = cli("align", episode / "host.wav", episode / "script.txt", "-o", out)
    assert_one_line_error(plain, "host.wav is not a readable audio file")
    debug = cli("--debug", "align", episode / "host.wav", episode / "script.txt", "-o", out)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "AudioError" in debug.stderr

    plain = cli("produce", "-q", episode)
    assert_one_line_error(plain, "host.wav is not a readable audio file")
    debug = cli("--debug", "produce", "-q", episode)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "AudioError" in debug.stderr
    assert not out.exists() and part_files(episode) == []


@pytest.mark.parametrize(
    "args,needle",
    [
        (["produce", "--bogus"], "No such option"),
        (["align", "only-one-argument.wav"], "Missing"),
        (["check"], "Missing argument"),
    ],
)
def test_usage_errors_have_no_traceback(args: list[str], needle: str) -> None:
    proc = cli(*args)
    assert proc.returncode in (1, 2), proc.stderr
    assert "Traceback" not in proc.stderr and needle in proc.stderr


def test_long_errors_stay_on_one_line_on_a_narrow_terminal(episode: Path) -> None:
    (episode / "host.wav").write_text("not audio")
    proc = cli("produce", "-q", episode, env={"COLUMNS": "40"})
    line = assert_one_line_error(proc, "host.wav is not a readable audio file", "export it again")
    assert len(line) > 120


def test_every_error_line_is_the_only_error_output(episode: Path) -> None:
    """Progress lines may come first (not quiet); the failure is still exactly one line."""
    (episode / "script.txt").write_text("Executive Editor: Sonia YU\n", encoding="utf-8")
    proc = cli("produce", episode)
    assert_one_line_error(proc, "failed", "the script has no body text")
    assert error_lines(proc)[0].startswith("failed ")
    assert "ingest" not in proc.stderr  # the failed stage is not reported as done
    assert not [p for p in (episode / "build").iterdir() if p.is_file()]
