"""The demo: the bundled sample episode, with a synthetic stand-in host read when no recording exists."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from .assets import sample_episodes_dir
from .episode import load_episode
from .errors import EpisodeError

log = logging.getLogger(__name__)

# Where the demo builds when the toolkit is installed from a wheel (the bundled sample is then
# inside site-packages, which is no place for a build): a copy under the current folder.
INSTALLED_DEMO_DIR = "perspective-demo"
SYNTH_RATE = 22050  # Hz; eSpeak NG's native rate
SENTENCE_PAUSE_MS = 350  # a natural breath between sentences of the stand-in read
# Not the aligner's own voice and tempo, so the demo exercises a real alignment problem.
STAND_IN_VOICE = "en-us+f3"
STAND_IN_WPM = 150
SYNTHETIC_LABEL = "SYNTHETIC-HOST-READ.txt"
LABEL_TEXT = (
    "The host recording in this folder ({name}) is a SYNTHETIC stand-in read made by eSpeak NG\n"
    "for the demo (`perspective demo`). It is not a real recording of the host.\n"
    "Replace it with the real recording and run `perspective produce` again.\n"
)


def default_sample() -> Path:
    """The bundled sample episode's folder (in a checkout: under episodes/)."""
    root = sample_episodes_dir()
    folders = sorted(p.parent for p in root.glob("*/episode.toml"))
    if not folders:
        raise EpisodeError(f"no sample episode found under {root}; reinstall the toolkit (or restore episodes/)")
    return folders[0]


def in_checkout(sample: Path) -> bool:
    """True when the sample lives in a source checkout (episodes/ beside pyproject.toml)."""
    return (sample.parent.parent / "pyproject.toml").is_file()


def demo_folder(base: Path | None = None) -> Path:
    """Where the demo builds: the sample itself in a checkout, else a copy in ``base``/perspective-demo/.

    The copy takes only the sample's missing files, so a second demo reuses the first one's
    host read and build (and keeps any edits made to the copy).
    """
    sample = default_sample()
    if in_checkout(sample):
        return sample
    target = (base if base is not None else Path.cwd()) / INSTALLED_DEMO_DIR / sample.name
    target.mkdir(parents=True, exist_ok=True)
    for source in sample.iterdir():
        if source.is_file() and not (target / source.name).exists():
            shutil.copy2(source, target / source.name)
    return target


def synthesise_host_read(folder: Path) -> Path:
    """Write a deterministic eSpeak NG read of the script to the episode's host_audio path."""
    from .audio import save_wav
    from .ingest import ingest
    from .synth import synth_read

    episode = load_episode(folder, require_audio=False)
    script = ingest(episode).script
    samples, _spans = synth_read(
        [s.spoken for s in script.sentences],
        SENTENCE_PAUSE_MS,
        rate=SYNTH_RATE,
        voice=STAND_IN_VOICE,
        wpm=STAND_IN_WPM,
    )
    if episode.host_audio.suffix.lower() != ".wav":
        raise EpisodeError(f'the demo can only synthesise a .wav host read; set host_audio = "host.wav" in {folder}')
    save_wav(episode.host_audio, samples, SYNTH_RATE)
    (folder / SYNTHETIC_LABEL).write_text(LABEL_TEXT.format(name=episode.host_audio.name), encoding="utf-8")
    return episode.host_audio


def prepare_demo(folder: Path | None = None, progress: Callable[[str, float, str], None] | None = None) -> Path:
    folder = Path(folder) if folder else demo_folder()
    episode = load_episode(folder, require_audio=False)
    if not episode.host_audio.exists():
        if progress:
            progress("synthesise", 0.0, "no recording: synthesising a stand-in host read")
        synthesise_host_read(folder)
        log.warning("synthesised a stand-in host read: %s (labelled %s)", episode.host_audio, SYNTHETIC_LABEL)
        if progress:
            progress("synthesise", 1.0, f"stand-in read written to {episode.host_audio.name} (synthetic)")
    return folder
