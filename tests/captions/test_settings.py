"""Caption settings: the numbers of docs/output-rules.md, derived limits, validation."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from production.captions import CaptionError, CaptionSettings
from production.captions import settings as settings_module


def test_defaults_are_the_guidelines() -> None:
    s = CaptionSettings()
    assert (s.en_max_chars_per_line, s.max_lines, s.en_target_cps, s.en_hard_cps) == (42, 2, 17, 20)
    assert (s.min_duration_ms, s.max_duration_ms, s.fps, s.min_gap_frames, s.max_trail_ms) == (
        833,
        7000,
        25,
        2,
        500,
    )
    assert (s.zh_max_chars_per_line, s.zh_target_cps, s.vtt_max_line_chars) == (16, 9, 65)
    assert s.traditional is False and s.speaker is None
    assert (s.min_gap_ms, s.sync_tolerance_ms, s.trail_ms, s.min_cue_ms, s.max_cue_ms) == (
        80,
        120,
        500,
        840,
        7000,
    )


def test_every_field_has_a_comment() -> None:
    source = inspect.getsource(settings_module.CaptionSettings)
    for field in dataclasses.fields(CaptionSettings):
        line = next(ln for ln in source.splitlines() if ln.strip().startswith(f"{field.name}:"))
        assert "#" in line, field.name


def test_frame_rate_changes_gap_and_tolerance() -> None:
    s = CaptionSettings(fps=30)
    assert s.min_gap_ms == 70 and s.sync_tolerance_ms == 100


@pytest.mark.parametrize(
    "change", [{"min_duration_ms": 8000}, {"en_target_cps": 25}, {"fps": 0}, {"max_lines": 0}]
)
def test_nonsense_is_a_clear_error(change) -> None:
    with pytest.raises(CaptionError, match="out of range"):
        CaptionSettings(**change)
