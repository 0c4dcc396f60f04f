"""Chinese shared over English cues in proportion, never split inside a unit."""

from __future__ import annotations

from production.captions import CaptionSettings
from production.captions.chinese import normalise
from production.captions.measure import zh_width
from production.captions.pairing import PairOptions, distribute
from production.captions.segment import Chunk
from production.models import Word

S = CaptionSettings()
STACKED = PairOptions(max_lines=1, allow_groups=False, allow_empty=True)
ZH_ONLY = PairOptions(max_lines=2, allow_groups=True, allow_empty=False)


def chunks(*texts_and_times: tuple[str, int, int]) -> list[Chunk]:
    return [
        Chunk(tuple(Word(w, a, b) for w in t.split()), (t,), a, b) for t, a, b in texts_and_times
    ]


def bare(text: str) -> str:
    return text.replace("。", "").replace("，", "").replace("\u3000", "")


def test_shares_follow_the_english_and_break_at_punctuation() -> None:
    en = chunks(
        ("Roughly a week before this year's Spring Festival,", 0, 2900),
        ("Chinese AI startup DeepSeek released its latest model R1.", 2980, 6000),
    )
    zh = "今年春节前约一周，DeepSeek发布了最新模型R1。"
    parts = distribute(zh, en, STACKED, S)
    assert [p.lines for p in parts] == [("今年春节前约一周",), ("DeepSeek发布了最新模型R1",)]
    assert bare("".join(p.lines[0] for p in parts)) == bare(normalise(zh))
    assert all(zh_width(ln) <= 16 for p in parts for ln in p.lines)


def test_chinese_only_track_may_span_several_english_cues() -> None:
    en = chunks(("Hello!", 0, 900), ("Welcome to the new show.", 980, 2500))
    parts = distribute("大家好，欢迎收看。", en, ZH_ONLY, S)
    assert len(parts) in (1, 2)
    assert parts[0].first == 0 and parts[-1].last == 1


def test_too_long_for_the_cues_is_none() -> None:
    en = chunks(("Yes.", 0, 900))
    assert (
        distribute(
            "是的，我们完全同意这个观点，而且我们认为这将带来巨大的变化和机会。", en, STACKED, S
        )
        is None
    )


def test_latin_only_part_may_be_a_stacked_chinese_line() -> None:
    en = chunks(("DeepSeek-R1", 0, 900), ("is a milestone.", 980, 2000))
    parts = distribute("DeepSeek-R1是一个里程碑。", en, STACKED, S)
    assert [p.lines for p in parts] == [("DeepSeek-R1",), ("是一个里程碑",)]
