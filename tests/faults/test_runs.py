"""How runs go as users start them (issue 21): a batch with a bad episode, a folder given twice,
Ctrl-C mid-stage, names in either Unicode normalisation, a date with a time, `check`'s output.

The episodes are the issue's own recipe: a four-line script read by eSpeak NG, no translation.
The episode is produced once per module; the tests work on copies of it, so only the stages
they change run again. Its folder and audio file are named in NFD (point 6), so every test here
also depends on names being found whatever their normalisation.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from production.check import Finding, summarise
from production.episode import load_episode, slug_for
from production.pipeline import STAGE_NAMES, WORK_DIR

from .conftest import REPO, SCRIPT, ZH, cli, part_files, snapshot, write_episode

RECIPE_SCRIPT = (
    "Hello and welcome to CBN Perspective. I am Maya Chen.\n"
    "Cities across China are planting trees on their rooftops. The gardens cool the buildings below.\n"
    "Thanks for listening, and see you next time.\n"
    "Host: Maya CHEN\n"
)
RECIPE_READ = (
    "Hello and welcome to CBN Perspective. I am Maya Chen. Cities across China are planting trees on "
    "their rooftops. The gardens cool the buildings below. Thanks for listening, and see you next time."
)
AUDIO_NFC = unicodedata.normalize("NFC", "hôte.wav")  # what episode.toml says
AUDIO_NFD = unicodedata.normalize("NFD", "hôte.wav")  # what the file is called (made on a Mac)
FOLDER = "Rooftops café"  # not a safe slug: the slug carries a hash of the name
PUBLISHED = "2026-12-01T09:30:00+08:00"
RECIPE_TOML = f'title = "Rooftops"\ndate = {PUBLISHED}\nscript = "script.txt"\nhost_audio = "{AUDIO_NFC}"\n'
INTERRUPTED = "interrupted; outputs already complete were kept"
SIGINT_WAIT_S = 240  # a stage reaching the point where it writes its output (loaded machine: ~60 s)


def mk(folder: Path) -> Path:
    """The issue's `mk`: script, an eSpeak NG read, episode.toml (here with a time and offset,
    and the audio file named in NFD while episode.toml names it in NFC)."""
    folder.mkdir(parents=True)
    (folder / "script.txt").write_text(RECIPE_SCRIPT, encoding="utf-8")
    subprocess.run(["espeak-ng", "-w", str(folder / AUDIO_NFD), RECIPE_READ], check=True, capture_output=True)
    (folder / "episode.toml").write_text(RECIPE_TOML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recipe episode, folder named in NFD, produced once."""
    ep = mk(tmp_path_factory.mktemp("made") / unicodedata.normalize("NFD", FOLDER))
    proc = cli("produce", "-q", ep)
    assert proc.returncode == 0, proc.stderr
    return ep


@pytest.fixture
def produced(made: Path, tmp_path: Path) -> Path:
    """A copy of the produced episode (same folder name, so the same slug)."""
    return Path(shutil.copytree(made, tmp_path / made.name, symlinks=True))


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    """`mk bad; echo x > bad/build`"""
    folder = mk(tmp_path / "bad")
    (folder / "build").write_text("x\n")
    return folder


# ================================================================== point 4: batches
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_bad_episode_never_stops_a_batch(bad: Path, produced: Path, jobs: str) -> None:
    """`perspective produce bad ep` with and without --jobs: bad fails with its own line, ep is
    still produced, the summary names the failure, exit 1."""
    proc = cli("produce", "-q", "--jobs", jobs, bad, produced)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert any(ln.startswith(f"failed {bad}: ") and "is a file, not a folder" in ln for ln in lines), lines
    assert any(ln.startswith(f"done {produced}/build") for ln in lines), lines
    assert lines[-1] == f"1 produced, 1 failed: {bad}", lines
    assert (bad / "build").read_text() == "x\n"  # the file in the way is left alone


def test_an_unexpected_error_fails_only_its_episode(run_main, produced: Path, tmp_path: Path, monkeypatch) -> None:
    """A bug (not a ProductionError) in one episode: that one fails with an internal-error line,
    the next is still produced, the summary names the failure, exit 1."""
    import production.pipeline as pipeline

    real = pipeline.produce_episode
    buggy = write_episode(tmp_path / "buggy", zh=None)

    def produce_episode(folder, options=None, progress=None):  # fault injection: a bug in one episode
        if Path(folder).name == "buggy":
            raise RuntimeError("a bug")
        return real(folder, options, progress)

    monkeypatch.setattr(pipeline, "produce_episode", produce_episode)
    out = run_main("produce", "-q", buggy, produced)
    assert out.returncode == 1, out.stderr
    assert f"failed {buggy}: internal error: RuntimeError: a bug" in out.stderr
    assert f"done {produced}/build" in out.stderr
    assert out.stderr.splitlines()[-1] == f"1 produced, 1 failed: {buggy}"


def test_the_same_folder_given_twice_is_produced_once(produced: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(produced)
    proc = cli("produce", "-q", "--jobs", "2", produced, f"{produced}/", link)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert sum(ln.startswith("done ") for ln in lines) == 1, lines
    assert f"note: {produced} was given more than once; producing it once" in lines
    assert f"note: {link} is the same folder as {produced}; producing it once" in lines
    assert "failed" not in proc.stderr and "another `perspective produce`" not in proc.stderr


# ================================================================== point 5: Ctrl-C
SIGINT_CASES = [
    ("master", "[mastering]\nmp3_bitrate_kbps = 128\n", (".mp3", ".wav")),
    ("video", "[video]\ncrf = 30\n", (".mp4",)),
]


@pytest.mark.parametrize("stage,change,suffixes", SIGINT_CASES, ids=[c[0] for c in SIGINT_CASES])
def test_ctrl_c_says_so_and_keeps_complete_outputs(
    produced: Path, tmp_path: Path, stage: str, change: str, suffixes: tuple[str, ...]
) -> None:
    """SIGINT to the run's process group (what Ctrl-C in a terminal does) while the stage
    writes: one line saying so, exit 130, every earlier output byte-identical, no temporaries."""
    build = produced / "build"
    before = snapshot(build)
    (produced / "episode.toml").write_text(RECIPE_TOML + change, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "produce", "-q", str(produced)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + SIGINT_WAIT_S
    while not [p for p in build.glob(".*.part*") if p.suffix in suffixes and p.stat().st_size > 0]:
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"{stage} never started writing: {proc.communicate()}")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == [INTERRUPTED] and stdout == ""
    assert part_files(produced) == []
    after = snapshot(build)
    assert {k: v for k, v in after.items() if k != f"{WORK_DIR}/stages.json"} == {
        k: v for k, v in before.items() if k != f"{WORK_DIR}/stages.json"
    }


# ================================================================== point 6: Unicode names
def test_a_folder_named_in_nfd_gets_the_nfc_names_guid_and_finds_its_nfd_audio(made: Path) -> None:
    """ep's folder and audio file are named in NFD, episode.toml names the audio in NFC: it was
    produced (``made``), and its feed item carries the guid and file names of the NFC spelling."""
    ep = made
    nfc_slug = slug_for(unicodedata.normalize("NFC", FOLDER))
    assert load_episode(ep).slug == nfc_slug
    item = ET.parse(ep / "build" / "feed-item.xml").getroot()
    assert item.findtext("guid") == f"cbn-perspective-{nfc_slug}"
    assert (ep / "build" / f"{nfc_slug}.mp3").is_file()


# ================================================================== point 7: smaller ones
def test_a_date_with_a_time_and_offset_is_the_pubdate(made: Path) -> None:
    ep = made
    item = ET.parse(ep / "build" / "feed-item.xml").getroot()
    assert item.findtext("pubDate") == "Tue, 01 Dec 2026 09:30:00 +0800"
    assert "2026-12-01" in (ep / "build" / "shownotes.md").read_text(encoding="utf-8")


def test_unknown_only_stage_is_refused_before_anything_is_written(run_main, produced: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for name in ("script.txt", "episode.toml", AUDIO_NFD):
        shutil.copyfile(produced / name, fresh / name)
    for flag in ("--only", "--from"):
        out = run_main("produce", fresh, flag, "mastr")
        assert out.returncode == 1 and "Traceback" not in out.stderr
        stages = ", ".join(STAGE_NAMES)
        assert out.stderr.splitlines() == [f"error: {flag} 'mastr' is not a stage; stages are: {stages}"]
        assert sorted(p.name for p in fresh.iterdir()) == sorted(["script.txt", "episode.toml", AUDIO_NFD])


def test_check_on_an_empty_build_says_it_once(run_main, produced: Path, tmp_path: Path) -> None:
    """An episode with a translation and an empty build/: one error with its remedy, and no
    claim that there is no translation."""
    ep = write_episode(tmp_path / "with-zh", SCRIPT, ZH, audio_from=produced / AUDIO_NFD)
    (ep / "build").mkdir()
    out = run_main("check", ep)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        f"error: missing or empty: every output: run `perspective produce {ep}`",
        "check failed: 1 error(s)",
    ]
    assert "translation" not in out.stdout + out.stderr


def test_check_prints_the_figures_of_its_warnings(run_main, produced: Path) -> None:
    out = run_main("check", produced)
    assert " N " not in out.stdout and "N cps" not in out.stdout, out.stdout
    grouped = summarise(
        [
            Finding("warning", "ep.en.srt cue 3: English reads at 18.2 cps (target 17)"),
            Finding("info", "no translation"),
            Finding("warning", "ep.en.srt cue 9: English reads at 19.5 cps (target 17)"),
            Finding("warning", "ep.en.vtt cue 1: English reads at 18.0 cps (target 17)"),
        ]
    )
    assert grouped == [
        ("warning", "ep.en.srt: English reads at 18.2–19.5 cps (target 17)", 2),
        ("info", "no translation", 1),
        ("warning", "ep.en.vtt: English reads at 18.0 cps (target 17)", 1),
    ]
