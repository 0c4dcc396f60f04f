"""production/textnorm.py: spoken forms for speech engines and tokens for matching."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from production.textnorm import SPOKEN_ALPHABET, norm_tokens, spoken_form

CASES = [
    ("R&D", "R and D"),
    ("R1", "R one"),
    ("Model-R1", "Model-R one"),
    ("in 2025", "in twenty twenty-five"),
    ("the 1990s", "the nineteen nineties"),
    ("10 years", "ten years"),
    ("1,000,000 people", "one million people"),
    ("$1.2 billion", "one point two billion dollars"),
    ("$1", "one dollar"),
    ("$5.50", "five dollars and fifty cents"),
    ("US$3bn", "three billion US dollars"),
    ("¥100 million", "one hundred million yuan"),
    ("99.68%", "ninety-nine point six eight percent"),
    ("up 2.5 per cent", "up two point five percent"),
    ("3-5 years", "three to five years"),
    ("3\u20135", "three to five"),
    ("three to five", "three to five"),
    ("the U.S. economy", "the U S economy"),
    ("made in the U.S.", "made in the U S."),
    ("Dept. of Overseas News", "Department of Overseas News"),
    ("Dr. Li", "Doctor Li"),
    ("e.g. Tencent", "for example Tencent"),
    ("21st Century", "twenty-first Century"),
    ("COVID-19", "COVID nineteen"),
    ("5G", "five G"),
    ("No. 5", "number five"),
    ("#1 seller", "number one seller"),
    ("-5 degrees", "minus five degrees"),
    ("2025-02-23", "February twenty-third, twenty twenty-five"),
    ("at 10:30", "at ten thirty"),
    ("at 9:05", "at nine oh five"),
    ("I\u2019m here", "I'm here"),
    ("it\u2018s", "it's"),
    ('\u201csmall dragons" emerge', "small dragons emerge"),
    ("six firms \u2014 all young \u2014 grew", "six firms, all young, grew"),
    ("enterprises - Yun Shen Chu - are", "enterprises, Yun Shen Chu, are"),
    ("wait\u2026 what", "wait... what"),
    ("caf\u00e9", "cafe"),
    ("\uff12\uff10\uff12\uff15", "twenty twenty-five"),  # full-width digits from Chinese input
    ("AI\u4eba\u5de5\u667a\u80fd", "AI"),
    (
        "12345678901234567890",
        " ".join(
            ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero"] * 2
        ),
    ),
]


@pytest.mark.parametrize(("text", "spoken"), CASES)
def test_spoken_form(text: str, spoken: str) -> None:
    assert spoken_form(text) == spoken


def test_norm_tokens_agree_between_written_and_spoken() -> None:
    written = norm_tokens("R&D spending rose 10% in 2025")
    assert written == norm_tokens("r and d spending rose ten percent in twenty twenty five")
    assert written == [
        "r",
        "and",
        "d",
        "spending",
        "rose",
        "ten",
        "percent",
        "in",
        "twenty",
        "twenty",
        "five",
    ]


def test_norm_tokens_drop_punctuation_and_split_hyphens() -> None:
    assert norm_tokens("Gansu-based, it\u2019s \u201cnew\u201d!") == [
        "gansu",
        "based",
        "its",
        "new",
    ]


def test_norm_tokens_of_a_year_match_a_transcript_that_spells_it() -> None:
    assert norm_tokens("In 2024, U.S. firms") == norm_tokens("in twenty twenty-four U S firms")


@given(st.text(max_size=200))
def test_property_spoken_form_is_plain_ascii(text: str) -> None:
    out = spoken_form(text)
    assert set(out) <= SPOKEN_ALPHABET
    assert out == out.strip()
    assert "  " not in out


@given(st.text(max_size=200))
def test_property_tokens_are_lowercase_ascii_words(text: str) -> None:
    tokens = norm_tokens(text)
    assert all(t.isascii() and t.isalpha() and t.islower() for t in tokens)


@example("0\x00\x000")  # a NUL once collided with an internal placeholder
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=120))
def test_property_tokens_are_stable_under_spoken_form(text: str) -> None:
    # a transcript written in spoken words yields the same tokens as the written script
    assert norm_tokens(spoken_form(text)) == norm_tokens(text)
