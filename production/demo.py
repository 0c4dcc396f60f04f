"""The demo: the bundled sample episode, with a synthetic stand-in host read when no recording exists."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .episode import load_episode
from .errors import EpisodeError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EPISODES = REPO_ROOT / "episodes"
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
    folders = sorted(p.parent for p in SAMPLE_EPISODES.glob("*/episode.toml"))
    if not folders:
        raise EpisodeError(f"no sample episode found under {SAMPLE_EPISODES}; is this a complete checkout?")
    return folders[0]


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
    folder = Path(folder) if folder else default_sample()
    episode = load_episode(folder, require_audio=False)
    if not episode.host_audio.exists():
        if progress:
            progress("synthesise", 0.0, "no recording: synthesising a stand-in host read")
        synthesise_host_read(folder)
        log.warning("synthesised a stand-in host read: %s (labelled %s)", episode.host_audio, SYNTHETIC_LABEL)
        if progress:
            progress("synthesise", 1.0, f"stand-in read written to {episode.host_audio.name} (synthetic)")
    return folder
