"""Packaging: the wheel carries the assets and the sample episode, and an install without the
checkout runs `perspective demo` (slow); the package list in pyproject.toml stays complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from production.assets import asset, assets_dir, sample_episodes_dir

REPO = Path(__file__).resolve().parents[1]
# Every file the toolkit reads from assets/ while producing (what a wheel must hold).
RUNTIME_ASSETS = [
    "caption_styles.toml",
    "roles.toml",
    "artwork/background.png",
    "artwork/cover.png",
    "audio/intro_sting.flac",
    "audio/outro_bed.flac",
    "review/review.html",
    "review/review.css",
    "review/review.js",
]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_code_package_is_listed_in_pyproject() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("production", "cli")
        for init in (REPO / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    mapped = set(_pyproject()["tool"]["setuptools"]["package-dir"])
    assert listed - on_disk == mapped  # only the mapped data folders live outside production/


def test_the_accessor_finds_every_runtime_asset_and_the_sample() -> None:
    assert assets_dir().resolve() == (REPO / "assets").resolve()
    for name in RUNTIME_ASSETS:
        assert asset(name).is_file(), name
    assert (sample_episodes_dir() / "2026-11-27-battery-passport" / "episode.toml").is_file()


def test_no_module_finds_assets_by_its_own_path() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "production").rglob("*.py")
        if '"assets"' in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "read assets through production.assets"


def _tracked_copy(dest: Path) -> None:
    """The files git tracks (plus new ones not yet committed), so the wheel cannot lean on build litter."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know which files are part of the project")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


@pytest.mark.slow
def test_wheel_installed_without_the_checkout_runs_the_demo(tmp_path: Path) -> None:
    # Build from a copy of the tracked files, offline, with this environment's setuptools.
    src = tmp_path / "src"
    _tracked_copy(src)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(tmp_path / "dist"), str(src)],
        check=True, capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("cbn_perspective-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in RUNTIME_ASSETS:
        assert f"production/_assets/{name}" in names
    assert "production/_sample_episodes/2026-11-27-battery-passport/script.txt" in names

    # A fresh venv. Its dependencies come from this environment's site-packages through a plain
    # .pth line (no download, no torch reinstall); a directory named that way has its own .pth
    # files skipped, so the editable install of the checkout stays invisible.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "_perspective_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
         str(wheel)],
        check=True, capture_output=True,
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [python, "-c", "import production, production.assets as a; print(production.__file__, a.assets_dir(), "
         "a.sample_episodes_dir())"],
        cwd=work, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(env_dir) for p in where), where  # the wheel's copy, not the checkout

    proc = subprocess.run(
        [env_dir / "bin" / "perspective", "demo"], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    build = work / "perspective-demo" / "2026-11-27-battery-passport" / "build"
    assert "demo done" in proc.stderr
    for name in ("2026-11-27-battery-passport.mp3", "2026-11-27-battery-passport.mp4", "review.html"):
        assert (build / name).stat().st_size > 0, name
    installed_sample = Path(where[2]) / "2026-11-27-battery-passport"
    assert sorted(p.name for p in installed_sample.iterdir()) == [
        "README.md", "episode.toml", "script.txt", "script.zh.txt",
    ]  # the demo built in its copy and wrote nothing into the install


def test_demo_builds_in_the_checkout_sample_and_in_a_copy_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from production import demo

    assert demo.demo_folder() == REPO / "episodes" / "2026-11-27-battery-passport"  # a checkout

    # An installed layout: site-packages/production/_sample_episodes/<sample>/ (no pyproject.toml above)
    installed = tmp_path / "site-packages" / "production" / "_sample_episodes"
    shutil.copytree(REPO / "episodes" / "2026-11-27-battery-passport", installed / "2026-11-27-battery-passport",
                    ignore=shutil.ignore_patterns("build", "host.wav", "SYNTHETIC-HOST-READ.txt"))
    monkeypatch.setattr(demo, "sample_episodes_dir", lambda: installed)
    work = tmp_path / "cwd"
    copy = demo.demo_folder(work)
    assert copy == work / "perspective-demo" / "2026-11-27-battery-passport"
    assert (copy / "script.txt").read_bytes() == (installed / "2026-11-27-battery-passport" / "script.txt").read_bytes()
    (copy / "script.txt").write_text("edited\n", encoding="utf-8")
    assert demo.demo_folder(work) == copy
    assert (copy / "script.txt").read_text(encoding="utf-8") == "edited\n"  # a second demo keeps the copy's edits
