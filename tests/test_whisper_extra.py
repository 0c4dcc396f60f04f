"""Without the [whisper] extra: tts-dtw produces, `--engine whisper` fails in one line naming the extra.

The missing extra is simulated through the real CLI in a subprocess: a sitecustomize puts an
import blocker in front of sys.meta_path that makes `whisper` and `torch` (and their submodules)
unfindable, and logs every attempt, so the default path is also shown never to reach for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.conftest import make_episode

BIN = Path(sys.executable).parent
BLOCKER = '''
import os, sys

class _NoWhisperExtra:
    """Acts as if openai-whisper and torch were not installed; logs who asked."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in ("whisper", "torch"):
            with open(os.environ["BLOCKED_IMPORTS_LOG"], "a") as log:
                log.write(name + "\\n")
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoWhisperExtra)
'''


@pytest.fixture
def without_extra(tmp_path: Path) -> tuple[dict[str, str], Path]:
    site = tmp_path / "blocker"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    log = tmp_path / "blocked-imports.log"
    env = dict(os.environ, PYTHONPATH=str(site), BLOCKED_IMPORTS_LOG=str(log))
    return env, log


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "perspective"), *args], env=env, cwd=cwd, capture_output=True, text=True)


def test_the_blocker_really_hides_the_extra(without_extra: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, log = without_extra
    proc = subprocess.run(
        [sys.executable, "-c", "from production.align.whisper import whisper_installed as w; "
         "from production.align.crosscheck import choose_engine as c; print(w(), c('auto'))"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert proc.stdout.split() == ["False", "tts-dtw"]  # and auto falls back to the default engine
    assert "whisper" in log.read_text().split()


def test_engine_whisper_without_the_extra_fails_in_one_line(
    without_extra: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _log = without_extra
    folder = make_episode(tmp_path)
    for args in (
        ["produce", str(folder), "--engine", "whisper"],
        ["align", str(folder / "host.wav"), str(folder / "script.txt"), "-o", str(tmp_path / "a.json"),
         "--engine", "whisper"],
    ):
        proc = _run(args, env, tmp_path)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()  # produce also prints one progress line per stage to a pipe
        assert [line for line in lines if "[whisper] extra" in line] == lines[-1:], proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "a.json").exists()


def test_default_imports_never_load_whisper_or_torch(tmp_path: Path) -> None:
    code = (
        "import sys, cli.main, production.pipeline, production.stages, production.align.tts_dtw, "
        "production.align.run, production.align.crosscheck; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('whisper', 'torch')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


@pytest.mark.slow
def test_produce_with_tts_dtw_works_without_the_extra(
    without_extra: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, log = without_extra
    folder = make_episode(tmp_path)
    proc = _run(["produce", str(folder), "--no-burn-in"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (folder / "build" / "manifest.json").is_file()
    assert not log.exists(), f"the default path tried to import: {log.read_text()}"
