"""The build/ folder: every output's file name, and when it exists. One place, used by the stages,
the caption writer and QC, publish and ``perspective check``.

Deliverables sit in build/ and start with the episode's slug (``<slug>.mp3``) or have a fixed name
(``manifest.json``); intermediates and the pipeline's own records sit in build/.work/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WORK_DIR = ".work"  # intermediates inside build/ (hidden; not a deliverable)

# fixed-name deliverables
ALIGNMENT_FILE = "alignment.json"
CREDITS_FILE = "credits.json"
TRANSCRIPT_FILE = "transcript.json"
CHAPTERS_FILE = "chapters.json"
FEED_ITEM_FILE = "feed-item.xml"
SHOWNOTES_FILE = "shownotes.md"
REVIEW_FILE = "review.html"
MANIFEST_FILE = "manifest.json"
JSON_FILES = (ALIGNMENT_FILE, CREDITS_FILE, TRANSCRIPT_FILE, CHAPTERS_FILE, MANIFEST_FILE)

# build/.work/ files
STATE_FILE = "stages.json"  # each stage's fingerprint and the outputs it wrote
LOCK_FILE = "lock"
MASTER_REPORT_FILE = "master.json"
ROLL_VIDEO_FILE = "credit-roll.mp4"
ROLL_INFO_FILE = "credit-roll.json"
DEVIATIONS_FILE = "deviations.txt"
CREDITS_PREVIEW_FILE = "credits-preview.png"  # `perspective credits --preview`

# when a caption file exists
ALWAYS, WITH_TRANSLATION, WITH_TRADITIONAL = "always", "translation", "traditional"


@dataclass(frozen=True)
class CaptionFile:
    suffix: str  # after "<slug>.": "en.srt"
    lang: str  # the language tag its cues carry: en, zh-Hans, zh-Hant, bilingual
    track: str  # the CaptionSet field it is written from: en, zh, zh_hant, bilingual
    when: str  # ALWAYS | WITH_TRANSLATION | WITH_TRADITIONAL (a translation and [captions] traditional)


CAPTION_FILES: tuple[CaptionFile, ...] = (
    CaptionFile("en.srt", "en", "en", ALWAYS),
    CaptionFile("en.vtt", "en", "en", ALWAYS),
    CaptionFile("zh-Hans.srt", "zh-Hans", "zh", WITH_TRANSLATION),
    CaptionFile("zh-Hans.vtt", "zh-Hans", "zh", WITH_TRANSLATION),
    CaptionFile("bilingual.srt", "bilingual", "bilingual", WITH_TRANSLATION),
    CaptionFile("bilingual.ass", "bilingual", "bilingual", WITH_TRANSLATION),
    CaptionFile("zh-Hant.srt", "zh-Hant", "zh_hant", WITH_TRADITIONAL),
    CaptionFile("zh-Hant.vtt", "zh-Hant", "zh_hant", WITH_TRADITIONAL),
)
# caption files that must hold the same cues
AGREEING = (
    ("en.srt", "en.vtt"),
    ("zh-Hans.srt", "zh-Hans.vtt"),
    ("zh-Hant.srt", "zh-Hant.vtt"),
    ("bilingual.srt", "bilingual.ass"),
)


def caption_files(translation: bool, traditional: bool = False) -> tuple[CaptionFile, ...]:
    """The caption files a build has, in writing order."""
    wanted = {ALWAYS} | ({WITH_TRANSLATION} if translation else set())
    if translation and traditional:
        wanted.add(WITH_TRADITIONAL)
    return tuple(f for f in CAPTION_FILES if f.when in wanted)


@dataclass(frozen=True)
class BuildLayout:
    """Paths of one episode's build/. ``translation``: the episode has a Chinese translation;
    ``traditional``: [captions] traditional is on (zh-Hant files too)."""

    build: Path
    slug: str
    translation: bool = False
    traditional: bool = False

    @property
    def work(self) -> Path:
        return self.build / WORK_DIR

    def out(self, suffix: str) -> Path:
        """``build/<slug><suffix>``, e.g. ``out(".mp3")``."""
        return self.build / f"{self.slug}{suffix}"

    # deliverables
    @property
    def mp3(self) -> Path:
        return self.out(".mp3")

    @property
    def wav(self) -> Path:  # the master before encoding; the video's audio
        return self.out(".wav")

    @property
    def mp4(self) -> Path:
        return self.out(".mp4")

    @property
    def alignment(self) -> Path:
        return self.build / ALIGNMENT_FILE

    @property
    def credits(self) -> Path:
        return self.build / CREDITS_FILE

    def caption(self, suffix: str) -> Path:
        return self.out(f".{suffix}")

    def caption_files(self) -> tuple[CaptionFile, ...]:
        return caption_files(self.translation, self.traditional)

    def captions(self) -> list[Path]:
        return [self.caption(f.suffix) for f in self.caption_files()]

    @property
    def burn_in_ass(self) -> Path | None:
        """The styled captions the video burns in (None without a translation)."""
        return self.caption("bilingual.ass") if self.translation else None

    def publish_files(self) -> list[Path]:
        names = (TRANSCRIPT_FILE, CHAPTERS_FILE, FEED_ITEM_FILE, SHOWNOTES_FILE, REVIEW_FILE, MANIFEST_FILE)
        return [self.build / n for n in names]

    def deliverables(self) -> list[Path]:
        """Every file a complete build has in build/ (what ``check`` requires)."""
        return [self.mp3, self.mp4, *self.captions(), self.alignment, self.credits, *self.publish_files()]

    # build/.work/
    @property
    def state(self) -> Path:
        return self.work / STATE_FILE

    @property
    def lock(self) -> Path:
        return self.work / LOCK_FILE

    @property
    def master_report(self) -> Path:
        return self.work / MASTER_REPORT_FILE

    @property
    def roll_video(self) -> Path:
        return self.work / ROLL_VIDEO_FILE

    @property
    def roll_info(self) -> Path:
        return self.work / ROLL_INFO_FILE

    @property
    def deviations(self) -> Path:
        return self.work / DEVIATIONS_FILE

    @property
    def credits_preview(self) -> Path:
        return self.work / CREDITS_PREVIEW_FILE
