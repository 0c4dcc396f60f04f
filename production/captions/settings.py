"""Caption settings: every number from docs/output-rules.md "Captions" is a field here.

Sources are named per field. "Netflix" means the Netflix timed-text style guides (general
requirements, English template, Simplified Chinese); 9 cps for Chinese is from a secondary
summary; the WebVTT line length is the Podcasting 2.0 recommendation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ProductionError

TIME_GRID_MS = (
    10  # ASS timestamps are centiseconds: cue times sit on this grid so all formats agree
)


def grid_floor(ms: float) -> int:
    return int(math.floor(ms / TIME_GRID_MS)) * TIME_GRID_MS


def grid_ceil(ms: float) -> int:
    return int(math.ceil(ms / TIME_GRID_MS)) * TIME_GRID_MS


class CaptionError(ProductionError):
    """Captions cannot be built or written from the given input."""


@dataclass(frozen=True)
class CaptionSettings:
    # English
    en_max_chars_per_line: int = 42  # characters; Netflix English timed-text guide
    max_lines: int = 2  # lines per cue (prefer 1 when it fits); Netflix general requirements
    en_target_cps: float = 17.0  # characters/second, adult programmes; Netflix English template
    en_hard_cps: float = 20.0  # characters/second, hard ceiling; Netflix English template
    # both languages
    min_duration_ms: int = 833  # 5/6 s; Netflix general requirements
    max_duration_ms: int = 7000  # 7 s; Netflix general requirements
    fps: float = 25.0  # frames/second of the programme; gaps and sync tolerance are in frames
    min_gap_frames: int = 2  # frames between cues (80 ms at 25 fps); Netflix general requirements
    sync_tolerance_frames: int = 3  # in-time within ±3 frames of speech onset; Netflix
    max_trail_ms: int = 500  # out-time may trail the last word by this much; Netflix
    # Simplified Chinese
    zh_max_chars_per_line: float = 16  # half-width characters count 0.5; Netflix zh-Hans guide
    zh_target_cps: float = 9.0  # characters/second; secondary summary of Netflix zh-Hans
    bilingual_zh_lines: int = 1  # Chinese lines in a stacked cue; docs/output-rules.md "Captions"
    bilingual_en_lines: int = 1  # English lines under it; common practice in Chinese media
    zh_pause_mark: str = "\u3000"  # replaces 。 and ， inside a line; fansub practice (secondary)
    # outputs
    vtt_max_line_chars: int = 65  # characters; Podcasting 2.0 WebVTT recommendation
    traditional: bool = False  # also write zh-Hant files, converted from zh-Hans with OpenCC
    opencc_config: str = "s2t"  # OpenCC conversion for zh-Hant ("s2t", "s2tw", "s2hk", ...)
    convert_traditional: bool = False  # a Traditional translation: refused if false, else OpenCC t2s
    speaker: str | None = None  # name for WebVTT <v> tags (Apple ingests them); None = no tags

    def __post_init__(self) -> None:
        problems = [name for name, ok in _SANITY if not ok(self)]
        if problems:
            raise CaptionError(
                f"caption settings out of range: {', '.join(problems)}; use positive limits "
                "with min_duration_ms < max_duration_ms and en_target_cps <= en_hard_cps"
            )

    # Derived limits in milliseconds, rounded (the safe way) onto the time grid.
    @property
    def min_gap_ms(self) -> int:
        """Smallest gap between cues (2 frames at 25 fps = 80 ms)."""
        return grid_ceil(self.min_gap_frames * 1000 / self.fps)

    @property
    def sync_tolerance_ms(self) -> int:
        """How far an in-time may sit from speech onset (3 frames at 25 fps = 120 ms)."""
        return grid_floor(self.sync_tolerance_frames * 1000 / self.fps)

    @property
    def trail_ms(self) -> int:
        """How long a cue may stay up after its last word (500 ms)."""
        return grid_floor(self.max_trail_ms)

    @property
    def min_cue_ms(self) -> int:
        """Shortest cue on the time grid (833 ms -> 840 ms)."""
        return grid_ceil(self.min_duration_ms)

    @property
    def max_cue_ms(self) -> int:
        """Longest cue on the time grid (7000 ms)."""
        return grid_floor(self.max_duration_ms)


_SANITY = (
    ("en_max_chars_per_line", lambda s: s.en_max_chars_per_line >= 10),
    ("max_lines", lambda s: s.max_lines >= 1),
    ("bilingual lines", lambda s: s.bilingual_zh_lines >= 1 and s.bilingual_en_lines >= 1),
    ("cps", lambda s: 0 < s.en_target_cps <= s.en_hard_cps and s.zh_target_cps > 0),
    ("durations", lambda s: 0 < s.min_duration_ms < s.max_duration_ms),
    ("fps", lambda s: s.fps > 0),
    ("gaps", lambda s: s.min_gap_frames >= 0 and s.sync_tolerance_frames >= 0),
    ("max_trail_ms", lambda s: s.max_trail_ms >= 0),
    ("zh_max_chars_per_line", lambda s: s.zh_max_chars_per_line >= 4),
    ("vtt_max_line_chars", lambda s: s.vtt_max_line_chars >= s.en_max_chars_per_line),
)
