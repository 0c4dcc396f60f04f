"""Helpers for the fault tests: run the real CLI in a subprocess, read its stderr, find leftovers.

Errors are checked through ``python -m cli.main`` (the same ``main()`` the ``perspective``
script runs), because the one-line / exit-1 / no-traceback behaviour lives in ``main()``.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from production.records import STATUS_FILE
from tests.pipeline.conftest import SCRIPT, TOML, ZH, make_episode

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 300  # one CLI call; the slowest (a whole produce of the tiny episode) takes ~35 s

__all__ = ["SCRIPT", "TOML", "ZH", "make_episode"]


def cli(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = CLI_TIMEOUT_S,
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``perspective ARGS`` as a real process (exit code, stdout and stderr as the user sees them)."""
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    full_env.pop("CI", None)  # progress output must not depend on the runner
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *map(str, args)],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
    )


class Outcome:
    """What the user saw: like subprocess.CompletedProcess, from an in-process ``main()`` run."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """``perspective ARGS`` in process through ``cli.main.main`` (the entry point's own error
    handling: one line, exit code, --debug), much cheaper than a subprocess per case."""
    from cli.main import main

    def run(*args: str | Path) -> Outcome:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["perspective", *map(str, args)])
        code: int | str | None = 0
        try:
            main()
        except SystemExit as done:
            code = done.code
        captured = capsys.readouterr()
        return Outcome(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run


def error_lines(proc: subprocess.CompletedProcess[str] | Outcome) -> list[str]:
    """stderr lines that are not progress reports ("stage: done (0.1 s)")."""
    return [ln for ln in proc.stderr.splitlines() if ln.strip() and not _is_progress(ln)]


def _is_progress(line: str) -> bool:
    head, _, rest = line.partition(": ")
    return head.replace("_", "").replace(":", "").replace("-", "").isalpha() and rest.rstrip().endswith(" s)")


def assert_one_line_error(proc: subprocess.CompletedProcess[str] | Outcome, *needles: str) -> str:
    """Exit 1, no traceback, and exactly one error line on stderr that contains every needle."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def part_files(folder: Path) -> list[Path]:
    """Temporaries an atomic write leaves when it does not finish (fsutil: ``.*.part*``)."""
    return sorted(p for p in folder.rglob("*") if ".part" in p.name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under ``folder`` except the lock file and the status
    record (build/.work/status.json: which stage failed last, written by design when one fails)."""
    if not folder.exists():
        return {}
    skip = ("lock", STATUS_FILE)
    files = (p for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip)
    return {str(p.relative_to(folder)): sha256(p) for p in files}


def write_episode(
    folder: Path, script: str = SCRIPT, zh: str | None = ZH, toml: str = TOML, audio_from: Path | None = None
) -> Path:
    """An episode folder with the given texts; host.wav copied from ``audio_from`` if given."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text(script, encoding="utf-8")
    if zh is not None:
        (folder / "script.zh.txt").write_text(zh, encoding="utf-8")
    else:
        toml = "\n".join(ln for ln in toml.splitlines() if not ln.startswith("translation")) + "\n"
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    if audio_from is not None:
        shutil.copyfile(audio_from, folder / "host.wav")
    return folder


@pytest.fixture(scope="session")
def template_episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny real episode (script, translation, eSpeak NG read), made once per session."""
    return make_episode(tmp_path_factory.mktemp("template"))


@pytest.fixture
def episode(template_episode: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny episode (same folder name, so the same slug)."""
    return Path(shutil.copytree(template_episode, tmp_path / template_episode.name))


@pytest.fixture
def host_wav(template_episode: Path) -> Path:
    return template_episode / "host.wav"


# ------------------------------------------------------------------ permission tests as root
PR_CAPBSET_DROP = 24  # prctl option (linux/prctl.h)
DAC_CAPABILITIES = (1, 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (linux/capability.h)


def _drop_dac_capabilities() -> None:
    """In the child before exec: root without these two obeys permission bits like anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in DAC_CAPABILITIES:
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def unprivileged(tmp_path: Path) -> Callable[[], None] | None:
    """A preexec for CLI runs in which ``chmod 000`` really makes a file unreadable.

    As root, permission bits do not stop reads, so the child drops CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (skipped where the container does not allow that); as any other
    user nothing is needed.
    """
    if os.geteuid() != 0:
        return None
    probe = tmp_path / "probe"
    probe.write_text("x")
    os.chmod(probe, 0)
    try:
        reads = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}).read()"],
            preexec_fn=_drop_dac_capabilities,
            capture_output=True,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"cannot drop root's file capabilities here ({err})")
    if reads.returncode == 0:
        pytest.skip("root still reads a chmod 000 file after dropping CAP_DAC_OVERRIDE")
    return _drop_dac_capabilities
