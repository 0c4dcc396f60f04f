"""production/translation.py: Chinese paragraphs paired to English sentence ids (Gale–Church)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.errors import ScriptError
from production.models import Script, ZhPair
from production.script import parse_script, script_summary
from production.translation import (
    PairingSettings,
    align_lengths,
    load_translation,
    pair_translation,
    split_zh_sentences,
)

ENGLISH_LINES = [
    "Solar in Gansu",
    "Hello! Welcome to Tech Weekly. I\u2019m Dana Wu.",
    "Gansu province added more than twelve gigawatts of solar capacity last year, most of it in "
    "vast desert parks that stretch for dozens of kilometres along the old Silk Road. Prices fell.",
    "Costs are falling. Demand is rising. Local officials expect the boom to continue for at least "
    "another decade, even as grid connections lag behind construction.",
    "Host: Dana WU",
    "Writer: Dana WU",
]
ENGLISH = "\n".join(ENGLISH_LINES) + "\n"

CHINESE_LINES = [
    "大家好！欢迎收听《科技周刊》。我是吴丹娜。",
    "",
    "甘肃省去年新增了超过一千二百万千瓦的光伏装机容量。"
    "其中大部分位于沿古丝绸之路绵延数十公里的大型沙漠园区。价格下降了。",
    "成本在下降，需求在上升。地方官员预计，这一热潮至少还将持续十年，尽管电网接入仍落后于建设进度。",
]
CHINESE = "\n".join(CHINESE_LINES) + "\n"


@pytest.fixture(scope="module")
def script() -> Script:
    return parse_script(ENGLISH)


def test_one_to_one(script: Script) -> None:
    pairs = pair_translation(script, CHINESE)
    assert pairs[:3] == (
        ZhPair(("s0001",), "大家好！"),
        ZhPair(("s0002",), "欢迎收听《科技周刊》。"),
        ZhPair(("s0003",), "我是吴丹娜。"),
    )


def test_one_english_to_two_chinese(script: Script) -> None:
    pairs = pair_translation(script, CHINESE)
    assert pairs[3:5] == (
        ZhPair(
            ("s0004",),
            "甘肃省去年新增了超过一千二百万千瓦的光伏装机容量。其中大部分位于沿古丝绸之路绵延数十公里的大型沙漠园区。",
        ),
        ZhPair(("s0005",), "价格下降了。"),
    )


def test_two_english_to_one_chinese(script: Script) -> None:
    pairs = pair_translation(script, CHINESE)
    assert pairs[5:] == (
        ZhPair(("s0006", "s0007"), "成本在下降，需求在上升。"),
        ZhPair(
            ("s0008",), "地方官员预计，这一热潮至少还将持续十年，尽管电网接入仍落后于建设进度。"
        ),
    )


def test_every_english_id_once_in_order(script: Script) -> None:
    ids = [i for p in pair_translation(script, CHINESE) for i in p.en_ids]
    assert ids == [s.id for s in script.sentences]


def test_paragraph_count_mismatch_names_first_differing_paragraph(script: Script) -> None:
    missing_second = "\n".join(
        [CHINESE_LINES[0], CHINESE_LINES[3]]
    )  # the translator skipped paragraph 2
    with pytest.raises(ScriptError) as err:
        pair_translation(script, missing_second)
    message = str(err.value)
    assert "2 paragraphs" in message and "has 3" in message
    assert 'paragraph 2 ("Gansu province added more than twelve' in message


def test_extra_chinese_paragraph_at_the_end(script: Script) -> None:
    with pytest.raises(ScriptError, match=r"they first differ after paragraph 3, the last"):
        pair_translation(script, CHINESE + "感谢收听，我们下期再见。\n")


def test_missing_first_paragraph(script: Script) -> None:
    with pytest.raises(ScriptError, match=r'at paragraph 1 \("Hello! Welcome to Tech Weekly'):
        pair_translation(script, "\n".join(CHINESE_LINES[2:]))


def test_two_paragraphs_merged_into_one_line(script: Script) -> None:
    merged = "\n".join([CHINESE_LINES[0], CHINESE_LINES[2] + CHINESE_LINES[3]])
    with pytest.raises(ScriptError, match=r"they first differ at paragraph [23] "):
        pair_translation(script, merged)


def test_swapped_lines_with_equal_counts_are_logged(
    script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    four = parse_script(ENGLISH.replace("Host:", "Thanks for listening.\nHost:"))
    swapped = "\n".join([CHINESE_LINES[0], "感谢收听。", CHINESE_LINES[3], CHINESE_LINES[2]])
    with caplog.at_level("WARNING", logger="production.translation"):
        pair_translation(four, swapped)
    assert "translation paragraph 2 is" in caplog.text


def test_settings_must_keep_every_cell_reachable() -> None:
    with pytest.raises(ValueError, match="bead_priors"):
        PairingSettings(bead_priors={(1, 1): 0.9})
    with pytest.raises(ValueError, match="bead_priors"):
        PairingSettings(bead_priors={(1, 0): 0.1, (0, 1): 0.1, (0, 0): 0.5})


def test_untranslated_english_sentence_joins_a_neighbour() -> None:
    script = parse_script(
        "T\nThe first sentence is fairly long and detailed. Yes. "
        "The third one is long as well, too.\nEnd.\n"
    )
    pairs = pair_translation(script, "第一句话相当长，也很详细。第三句话也同样很长。\n结束。\n")
    assert [p.en_ids for p in pairs] == [("s0001",), ("s0002", "s0003"), ("s0004",)]
    assert pairs[1].zh == "第三句话也同样很长。"


def test_chinese_without_english_joins_a_neighbour() -> None:
    script = parse_script("T\nThe first sentence is fairly long and detailed.\nEnd.\n")
    pairs = pair_translation(script, "第一句话相当长，也很详细。（译者注）\n结束。\n")
    assert pairs[0] == ZhPair(("s0001",), "第一句话相当长，也很详细。（译者注）")


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("真的吗？是的！就这样；结束", ["真的吗？", "是的！", "就这样；", "结束"]),
        ("增长了99.68%。好……再说。", ["增长了99.68%。", "好……", "再说。"]),
        ("没有句号", ["没有句号"]),
    ],
)
def test_split_zh_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_zh_sentences(paragraph) == sentences


def test_load_translation_reads_gb18030_with_crlf(tmp_path: Path, script: Script) -> None:
    path = tmp_path / "script.zh.txt"
    path.write_bytes(CHINESE.replace("\n", "\r\n").encode("gb18030"))
    assert load_translation(path, script) == pair_translation(script, CHINESE)


def test_load_translation_error_names_the_file(tmp_path: Path, script: Script) -> None:
    path = tmp_path / "script.zh.txt"
    path.write_text("只有一段。\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"^script\.zh\.txt: the translation has 1 paragraphs"):
        load_translation(path, script)


def test_summary_carries_chinese(script: Script) -> None:
    summary = script_summary(script, pair_translation(script, CHINESE))
    zh = [s["zh"] for s in summary["sentences"]]
    assert zh[0] == "大家好！" and zh[5] == "成本在下降，需求在上升。" and zh[6] == ""


LENGTHS = st.lists(st.integers(min_value=1, max_value=300), min_size=0, max_size=12)


@given(en=LENGTHS, zh=LENGTHS)
def test_property_beads_cover_both_sides_in_order(en: list[int], zh: list[int]) -> None:
    beads = align_lengths(en, zh)
    en_cover = [i for b in beads for i in range(*b.en)]
    zh_cover = [j for b in beads for j in range(*b.zh)]
    assert en_cover == list(range(len(en))) and zh_cover == list(range(len(zh)))
    assert all(1 <= (b.en[1] - b.en[0]) + (b.zh[1] - b.zh[0]) <= 4 for b in beads)


ZH_SENTENCE = st.text(alphabet="研发投入增长了百分之十杭州的六小龙", min_size=1, max_size=30).map(
    lambda t: t + "。"
)


@given(st.lists(st.lists(ZH_SENTENCE, min_size=1, max_size=6).map("".join), min_size=3, max_size=3))
def test_property_every_english_id_in_exactly_one_pair(
    script: Script, zh_paragraphs: list[str]
) -> None:
    pairs = pair_translation(script, "\n".join(zh_paragraphs))
    assert [i for p in pairs for i in p.en_ids] == [s.id for s in script.sentences]
    assert "".join(p.zh for p in pairs) == "".join(zh_paragraphs)


@given(
    st.lists(st.integers(min_value=5, max_value=200), min_size=1, max_size=10),
    st.floats(min_value=0.2, max_value=0.6),
)
def test_property_proportional_translation_pairs_one_to_one(en: list[int], ratio: float) -> None:
    zh = [max(1, round(n * ratio)) for n in en]
    assert all(b.en[1] - b.en[0] == 1 and b.zh[1] - b.zh[0] == 1 for b in align_lengths(en, zh))
