"""The QC rule table: every rule fires on a cue that breaks it, and only then."""

from __future__ import annotations

import pytest

from production.captions import CaptionSettings, qc
from production.captions.measure import split_stacked
from production.models import Cue

S = CaptionSettings()
OK_EN = Cue(1000, 3000, ("A perfectly ordinary line.",), "en")


def rules(cues, lang="en", speech=None) -> dict[str, str]:
    return {i.rule: i.severity for i in qc.check(cues, lang, S, speech)}


def test_a_good_track_has_no_issue() -> None:
    cues = [OK_EN, Cue(3080, 5000, ("And a second one", "on two lines."), "en")]
    assert qc.check(cues, "en", S, [(1000, 2600), (3080, 4600)]) == []


@pytest.mark.parametrize(
    ("cues", "lang", "rule", "severity"),
    [
        ([Cue(0, 2000, ("x" * 43,), "en")], "en", "en-chars-per-line", "error"),
        ([Cue(0, 3000, ("one", "two", "three"), "en")], "en", "en-lines", "error"),
        ([Cue(0, 800, ("Hi.",), "en")], "en", "min-duration", "error"),
        ([Cue(0, 7100, ("Slow.",), "en")], "en", "max-duration", "error"),
        ([OK_EN, Cue(3050, 5000, ("Next.",), "en")], "en", "gap", "error"),
        ([OK_EN, Cue(2900, 5000, ("Overlap.",), "en")], "en", "gap", "error"),
        (
            [Cue(0, 1000, ("This line has far too many characters",), "en")],
            "en",
            "en-reading-speed-hard",
            "error",
        ),
        (
            [Cue(0, 1500, ("This line has quite a few chars",), "en")],
            "en",
            "en-reading-speed",
            "warning",
        ),
        (
            [Cue(0, 2000, ("Wait for it...",), "en"), Cue(2100, 3000, ("Now.",), "en")],
            "en",
            "continuation",
            "warning",
        ),
        (
            [Cue(0, 2000, ("杭州的六小龙是今年春节最受关注的科技企业群体",), "zh-Hans")],
            "zh-Hans",
            "zh-chars-per-line",
            "error",
        ),
        ([Cue(0, 3000, ("杭州", "深圳", "上海"), "zh-Hans")], "zh-Hans", "zh-lines", "error"),
        (
            [Cue(0, 1000, ("杭州的六小龙是最受关注的企业",), "zh-Hans")],
            "zh-Hans",
            "zh-reading-speed",
            "warning",
        ),
        (
            [Cue(0, 2000, ("杭州的六小龙，",), "zh-Hans")],
            "zh-Hans",
            "zh-line-end-punctuation",
            "error",
        ),
        ([Cue(0, 2000, ("杭 州 的 六 小 龙",), "zh-Hans")], "zh-Hans", "zh-spaces", "error"),
        (
            [Cue(0, 2000, ("杭州", "深圳", "Two English"), "bilingual")],
            "bilingual",
            "zh-lines",
            "error",
        ),
        (
            [Cue(0, 2000, ("杭州", "Two English", "lines here"), "bilingual")],
            "bilingual",
            "en-lines",
            "error",
        ),
        ([Cue(0, 2000, ("   ",), "en")], "en", "empty", "error"),
    ],
)
def test_each_rule_fires(cues, lang, rule, severity) -> None:
    assert rules(cues, lang).get(rule) == severity


def test_sync_rules_need_speech() -> None:
    early = [Cue(1000, 3000, ("A perfectly ordinary line.",), "en")]
    assert rules(early, speech=[(1300, 2400)])["in-time"] == "error"
    assert rules(early, speech=[(1000, 1400)])["out-time-trail"] == "error"
    assert rules(early, speech=[(1000, 3400)])["out-time-early"] == "warning"
    assert "in-time" not in rules(early)


def test_trail_may_exceed_half_a_second_for_the_minimum_duration() -> None:
    assert "out-time-trail" not in rules([Cue(1000, 1840, ("Yes.",), "en")], speech=[(1000, 1200)])


def test_speech_too_fast_is_a_warning_not_an_error() -> None:
    fast = [
        Cue(0, 1000, ("This line has far too many characters",), "en"),
        Cue(1080, 2500, ("Next.",), "en"),
    ]
    found = rules(fast, speech=[(0, 1000), (1080, 1400)])
    assert found.get("en-speech-too-fast") == "warning" and "en-reading-speed-hard" not in found


def test_ideographic_pause_mark_is_not_a_bad_space() -> None:
    assert "zh-spaces" not in rules(
        [Cue(0, 2000, ("杭州很美\u3000深圳也很美",), "zh-Hans")], "zh-Hans"
    )
    assert "zh-spaces" not in rules(
        [Cue(0, 2000, ("宇树科技Unitree Robotics",), "zh-Hans")], "zh-Hans"
    )


def test_stacked_cues_split_by_position_then_script() -> None:
    assert split_stacked(["DeepSeek-R1", "is a milestone."], 1, 1) == (
        ["DeepSeek-R1"],
        ["is a milestone."],
    )
    assert split_stacked(["Alone."], 1, 1) == ([], ["Alone."])
    assert split_stacked(["杭州", "Two English", "lines"], 1, 2) == (
        ["杭州"],
        ["Two English", "lines"],
    )
    assert split_stacked(["One English", "line two"], 1, 2) == ([], ["One English", "line two"])
    assert "zh-chars-per-line" in rules(
        [Cue(0, 2000, ("x" * 40, "English"), "bilingual")], "bilingual"
    )


def test_summary_counts_and_percentages() -> None:
    cues = [
        Cue(0, 1700, ("This line has quite a few chars",), "en"),
        Cue(1800, 4000, ("Fine.",), "en"),
    ]
    issues = qc.check(cues, "en", S)
    summary = qc.summary(issues, {"en": cues})
    assert summary["errors"] == 0 and summary["warnings"] == 1
    assert summary["by_rule"] == {"en-reading-speed": 1}
    assert summary["within_target_cps_pct"] == {"en:en": 50.0}


def test_rule_table_names_sources() -> None:
    table = qc.rule_table()
    assert len(table) == len({name for name, _, _ in table}) >= 15
    assert all(source and severity in ("error", "warning") for _, source, severity in table)
