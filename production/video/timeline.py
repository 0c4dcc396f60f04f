"""Where the episode body and the credit roll sit on the timeline (integer milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import VideoError

BODY = "body"  # the still picture with title, progress bar, lower-third (and captions)
ROLL = "roll"  # the credit roll video, full frame


@dataclass(frozen=True)
class Segment:
    kind: str  # BODY or ROLL
    start_ms: int
    end_ms: int  # exclusive


def plan_segments(
    duration_ms: int, roll_ms: int | None = None, roll_start_ms: int | None = None
) -> tuple[list[Segment], list[str]]:
    """Contiguous segments covering [0, duration_ms), plus warnings.

    The roll starts at ``roll_start_ms`` (default: so that it ends with the audio) and is cut
    at the end of the audio; the still picture fills whatever is left before and after it.
    """
    if duration_ms <= 0:
        raise VideoError("the audio has no duration: master the episode again")
    if roll_ms is None:
        return [Segment(BODY, 0, duration_ms)], []
    if roll_ms <= 0:
        raise VideoError("the credit roll has no duration: run the credits stage again")
    warnings: list[str] = []
    start = duration_ms - roll_ms if roll_start_ms is None else roll_start_ms
    if roll_start_ms is None and start < 0:
        warnings.append(
            f"the credit roll ({roll_ms} ms) is longer than the audio ({duration_ms} ms): "
            "it starts at 0 and is cut"
        )
        start = 0
    if not 0 <= start < duration_ms:
        raise VideoError(
            f"credit roll start {start} ms is outside the audio (0-{duration_ms} ms): "
            "take roll_start_ms from the mastering stage's outro position"
        )
    end = min(start + roll_ms, duration_ms)
    if start + roll_ms > duration_ms:
        warnings.append(
            f"the credit roll is cut by {start + roll_ms - duration_ms} ms at the end of the audio"
        )
    parts = [Segment(BODY, 0, start), Segment(ROLL, start, end), Segment(BODY, end, duration_ms)]
    return [p for p in parts if p.end_ms > p.start_ms], warnings
