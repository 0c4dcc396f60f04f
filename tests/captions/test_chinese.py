"""Chinese text: clean-up, unbreakable units, line rendering and layout, Traditional."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.captions.chinese import (
    Layouter,
    normalise,
    render_line,
    split_wide,
    to_traditional,
    units,
)
from production.captions.measure import zh_width


def test_normalise_removes_spaces_between_chinese_and_widens_punctuation() -> None:
    assert normalise("杭州 的 六 小龙, 在 DeepSeek R1 之后?") == "杭州的六小龙，在DeepSeek R1之后？"


@pytest.mark.parametrize(
    "whole",
    [
        "DeepSeek-R1",
        "Unitree Robotics",
        "斯蒂芬妮·李",
        "10年",
        "45亿美元。",
        "35%",
        "R&D",
        "《CBN观察》",
        "“小龙”",
        "企业的",
    ],
)
def test_units_keep_names_words_and_numbers_whole(whole) -> None:
    text = f"据报道，{whole}在杭州发展"
    assert any(whole in u.text for u in units(text))
    assert "".join(u.text for u in units(text)) == normalise(text)


def test_punctuation_never_starts_a_unit() -> None:
    for unit in units("杭州“六小龙”之一的DeepSeek发布了R1模型，斯蒂芬妮·李报道。真的吗？"):
        assert unit.text[0] not in "，。？！、”）》"


def test_render_line_drops_end_punctuation_and_spaces_inner() -> None:
    assert render_line("杭州很美，深圳也很美。", "\u3000") == "杭州很美\u3000深圳也很美"
    assert render_line("真的吗？", "\u3000") == "真的吗？"
    assert render_line("好！", "\u3000") == "好！"


def test_layout_fits_sixteen_and_prefers_punctuation() -> None:
    us = units("今年春节前约一周，中国初创公司DeepSeek发布了R1模型。")
    lay = Layouter(us, 16, "\u3000").layout(0, len(us), 2)
    assert lay is not None and lay.lines == ("今年春节前约一周", "中国初创公司DeepSeek发布了R1模型")
    assert all(zh_width(ln) <= 16 for ln in lay.lines)
    assert Layouter(us, 16, "\u3000").layout(0, len(us), 1) is None


def test_overwide_units_are_split_at_words_then_characters() -> None:
    wide = split_wide(units("斯蒂芬妮·李斯蒂芬妮·李斯蒂芬妮·李"), 16)
    assert all(zh_width(u.text) <= 16 for u in wide)
    assert split_wide(units("x" * 40), 16)[0].text == "x"


def test_traditional() -> None:
    assert to_traditional("杭州发布了开源模型") == "杭州發佈了開源模型"


zh_text = st.lists(
    st.sampled_from(
        "杭州 深圳 科技 创新 的 了 DeepSeek R1 斯蒂芬妮·李 10年 35% ， 。 、 "
        "“小龙” 《CBN观察》".split()
    ),
    min_size=1,
    max_size=30,
).map("".join)


@given(zh_text)
def test_property_units_rejoin_to_the_text(text) -> None:
    us = units(text)
    assert "".join(u.text for u in us) == normalise(text)
    assert all(" " not in u.text or u.text.strip(" ").replace(" ", "").isascii() for u in us)
