"""The English break rule table and line layout."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.captions.linebreak import NEVER, break_cost, break_reasons, layout


@pytest.mark.parametrize(
    ("left", "right", "rule"),
    [
        ("the", "city", "article + noun"),
        ("Stephanie", "Li.", "first + last name"),
        ("Spring", "Festival,", "first + last name"),
        ("$4.5", "billion", "number + unit"),
        ("35", "percent", "number + unit"),
        ("10", "years,", "number + unit"),
        ("R&", "D", "ampersand"),
        ("they", "are", "pronoun + verb"),
        ("could", "provide", "verb + auxiliary"),
        ("is", "not", "before negation"),
        ("technological", "breakthrough", "adjective + noun"),
        ("two-year-old", "startup", "adjective + noun"),
        ('"small', 'dragons"', "inside a quotation"),
        ("-", "Yun", "after a dash"),
    ],
)
def test_bad_breaks(left: str, right: str, rule: str) -> None:
    assert rule in break_reasons(left, right)
    assert break_cost(left, right) > 0


@pytest.mark.parametrize(
    ("left", "right", "rule"),
    [
        ("Festival,", "Chinese", "after clause punctuation"),
        ("Li.", "Roughly", "after sentence end"),
        ("products", "and", "before conjunction"),
        ("ideas", "with", "before preposition"),
    ],
)
def test_good_breaks(left: str, right: str, rule: str) -> None:
    assert rule in break_reasons(left, right)
    assert break_cost(left, right) < 0


def test_one_line_when_it_fits() -> None:
    assert layout("Welcome to the new CBN Perspective.".split(), 42, 2).lines == (
        "Welcome to the new CBN Perspective.",
    )


def test_two_lines_break_at_the_best_place() -> None:
    words = "Chinese AI startup DeepSeek released its latest open-source model R1,".split()
    assert layout(words, 42, 2).lines == (
        "Chinese AI startup DeepSeek released",
        "its latest open-source model R1,",
    )


def test_never_splits_names_numbers_or_articles_when_avoidable() -> None:
    words = "the valuation reached $4.5 billion in Hangzhou Future Sci-Tech City".split()
    top, bottom = layout(words, 42, 2).lines
    assert break_cost(top.split()[-1], bottom.split()[0]) < NEVER


def test_balanced_lines() -> None:
    words = "These loans have a longer repayment period, typically extending up to ten".split()
    top, bottom = layout(words, 42, 2).lines
    assert abs(len(top) - len(bottom)) <= 20


def test_too_long_is_none_and_one_long_word_is_cut() -> None:
    assert layout(["word"] * 30, 42, 2) is None
    assert layout(["x" * 60], 42, 2).lines == ("x" * 42, "x" * 18)


words_strategy = st.lists(
    st.sampled_from(
        "the a of R&D $4.5 billion Hangzhou DeepSeek innovation, said. technological and "
        "Stephanie Li percent 35 companies startup".split()
    ),
    min_size=1,
    max_size=16,
)


@given(words_strategy, st.integers(20, 42), st.integers(1, 3))
def test_property_layout_keeps_words_and_limits(words, width, lines) -> None:
    result = layout(words, width, lines)
    if result is None:
        assert len(" ".join(words)) > width
        return
    assert " ".join(result.lines).split() == words
    assert len(result.lines) <= lines and all(len(ln) <= width for ln in result.lines)
    assert len(result.lines) == 1 or len(" ".join(words)) > width  # one line whenever it fits
