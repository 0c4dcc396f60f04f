"""Mastering: intro sting + host read + outro bed → loudness-normalised WAV master and tagged MP3.

Steps, in order (each reported through ``progress``):

1. **voice** (``assembly``) — the read is decoded once, measured (pyloudnorm), brought to a
   working level, high-passed and gently compressed (``highpass``, ``acompressor``) by ffmpeg from
   the samples in memory. The host file is only read, never written.
2. **assembly** (pydub) — the intro sting, then the read from ``intro_ms``; the outro bed comes
   in under the credits, ducked under the voice by ``sidechaincompress`` keyed by the voice,
   runs on after the read and fades out.
3. **loudness** (``loudness``) — the premaster is measured once (loudness and true peak); one
   ffmpeg process applies the gain (and a 4×-oversampled true-peak limiter, only when the gain
   would push a peak past the ceiling) and writes the WAV master and the MP3 (the MP3 branch
   carrying the encoder's own loudness loss, read on short excerpts first).
4. **verify** (``meter``) — the meter (ITU-R BS.1770-4 loudness as pyloudnorm reads it, a
   4×-oversampled true peak, the Tech 3342 loudness range) reads the WAV master and the decoded
   MP3 once each, in two threads; a gain (+ limiter) correction runs only on an output read off
   aim.
5. **tags** — ID3v2.4 with chapters, cover, lyrics and credits (``production.tags``).

Time bases: chapters, speech spans and the credits' start given to :func:`master` are in
**host-read** time (0 = the first sample of the host's file, as in alignment.json). In the master
the read starts at ``MasterReport.intro_ms``: add it to every host-read time (captions, chapters)
that is to match the published audio. :func:`shift_chapters` does it for chapters.
"""

import warnings

with warnings.catch_warnings():  # pydub warns (several lines) at import when ffmpeg is not on
    # PATH; tools.require reports that in one line, naming the package, when ffmpeg is needed
    warnings.filterwarnings("ignore", "Couldn't find ffmpeg or avconv", RuntimeWarning)
    import pydub  # noqa: F401

from .assembly import duck_under_voice, intro_offset_ms, voice_to_bed_db  # noqa: E402
from .loudness import in_spec
from .make import MasterReport, master, shift_chapters
from .meter import (
    Loudness,
    integrated_lufs,
    loudness_range,
    measure,
    measure_loudness,
    true_peak_dbtp,
)
from .settings import PROFILES, LoudnessTarget, MasteringSettings

__all__ = [
    "PROFILES",
    "Loudness",
    "LoudnessTarget",
    "MasterReport",
    "MasteringSettings",
    "duck_under_voice",
    "in_spec",
    "intro_offset_ms",
    "integrated_lufs",
    "loudness_range",
    "master",
    "measure",
    "measure_loudness",
    "shift_chapters",
    "true_peak_dbtp",
    "voice_to_bed_db",
]
