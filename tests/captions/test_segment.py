"""English cue segmentation from word timings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from production.captions import CaptionSettings
from production.captions.segment import (
    GLUE,
    Block,
    Limits,
    glue_pieces,
    plan_blocks,
    segment_block,
    spread_words,
    timed_sentences,
    unglue,
)
from production.models import Sentence, Word

from .synth import timed

S = CaptionSettings()
EN = Limits(42, 2)


def sentence(sid: str, words: list[tuple[str, int, int]]) -> Sentence:
    ws = tuple(Word(t, a, b) for t, a, b in words)
    text = " ".join(t for t, _, _ in words)
    return Sentence(sid, text, text, 0, ws[0].start_ms, ws[-1].end_ms, ws)


def test_short_sentence_is_one_cue_in_at_onset_out_after_trail() -> None:
    s = sentence("s1", [("Hello", 1000, 1300), ("there.", 1330, 1700)])
    (chunk,) = segment_block(Block((s,)), None, EN, S)
    assert chunk.lines == ("Hello there.",)
    assert chunk.start_ms == 1000 and chunk.end_ms == 1700 + S.trail_ms


def test_out_time_stops_two_frames_before_the_next_speech() -> None:
    s = sentence("s1", [("Hello", 1000, 1300), ("there.", 1330, 1700)])
    (chunk,) = segment_block(Block((s,)), 1900, EN, S)
    assert chunk.end_ms == 1900 - S.min_gap_ms


def test_long_sentence_splits_at_punctuation_and_pauses() -> None:
    (s,) = timed(
        [
            [
                "Roughly a week before this year's Spring Festival, Chinese AI startup DeepSeek "
                "released its latest open-source model R1, "
                "which boasts a technological breakthrough."
            ]
        ]
    )
    chunks = segment_block(Block((s,)), None, EN, S)
    assert len(chunks) > 1
    assert chunks[0].lines[-1].endswith("Festival,")
    for chunk in chunks:
        assert len(chunk.lines) <= 2 and all(len(ln) <= 42 for ln in chunk.lines)
        assert chunk.end_ms - chunk.start_ms <= S.max_duration_ms
    assert " ".join(c.text for c in chunks) == s.text


def test_seven_second_limit_splits_slow_speech() -> None:
    words = [
        (w, 1000 + i * 900, 1000 + i * 900 + 700)
        for i, w in enumerate(
            "we are going very slowly today and we will not hurry at all.".split()
        )
    ]
    chunks = segment_block(Block((sentence("s1", words),)), None, EN, S)
    assert len(chunks) >= 2 and all(c.end_ms - c.start_ms <= 7000 for c in chunks)


def test_tiny_sentence_squeezed_between_others_joins_a_neighbour() -> None:
    a = sentence("s1", [("First", 0, 400), ("sentence", 420, 900), ("here.", 920, 1300)])
    b = sentence("s2", [("Yes.", 1350, 1500)])
    c = sentence(
        "s3",
        [
            ("Then", 1560, 1900),
            ("more", 1920, 2200),
            ("words", 2220, 2500),
            ("follow.", 2520, 3000),
        ],
    )
    blocks = plan_blocks([((a,), None), ((b,), None), ((c,), None)], S)
    assert [tuple(x.id for x in blk.sentences) for blk in blocks] in (
        [("s1", "s2"), ("s3",)],
        [("s1",), ("s2", "s3")],
    )


def test_tiny_sentence_with_room_stays_alone_and_reaches_minimum_duration() -> None:
    a = sentence("s1", [("Yes.", 1000, 1150)])
    b = sentence("s2", [("Then", 4000, 4300), ("more.", 4320, 4700)])
    blocks = plan_blocks([((a,), None), ((b,), None)], S)
    assert len(blocks) == 2
    (chunk,) = segment_block(blocks[0], 4000, EN, S)
    assert chunk.end_ms - chunk.start_ms >= S.min_duration_ms


def test_sentence_with_only_a_span_and_grid() -> None:
    s = Sentence("s1", "Three little words", "", 0, 1003, 2004)
    (timed_s,) = timed_sentences([s])
    assert [w.text for w in timed_s.words] == ["Three", "little", "words"]
    assert all(w.start_ms % 10 == 0 and w.end_ms % 10 == 0 for w in timed_s.words)
    assert spread_words(s)[0].start_ms == 1003 and spread_words(s)[-1].end_ms == 2004


def test_a_word_longer_than_a_line_becomes_glued_pieces_sharing_its_time() -> None:
    url = "https://example.org/reports/2026/battery-passport-rules.html"  # 61 characters
    s = sentence("s1", [("See", 1000, 1300), (url, 1300, 7400), ("today.", 7400, 7900)])
    (timed_s,) = timed_sentences([s], 42)
    texts = [w.text for w in timed_s.words]
    pieces = ["https://", "example.org/", "reports/", "2026/", "battery-", "passport-", "rules.html"]
    assert texts == ["See", pieces[0], *(GLUE + p for p in pieces[1:]), "today."]
    pieces = timed_s.words[1:-1]
    assert pieces[0].start_ms == 1300 and pieces[-1].end_ms == 7400
    assert all(a.end_ms == b.start_ms for a, b in zip(pieces, pieces[1:], strict=False))
    assert unglue(" ".join(texts)) == f"See {url} today."
    assert timed_sentences([s], 80)[0].words == s.words  # fits a wider line: untouched


def test_glued_pieces_lay_out_and_show_without_the_space() -> None:
    url = "https://example.org/reports/2026/battery-passport-rules.html"
    s = sentence("s1", [("See", 1000, 1300), (url, 1300, 5400), ("today.", 5400, 5900)])
    (timed_s,) = timed_sentences([s], 42)
    (chunk,) = segment_block(Block((timed_s,)), None, EN, S)
    assert "".join(chunk.lines).replace(" ", "") == f"See{url}today."
    assert GLUE not in "".join(chunk.lines) and all(len(ln) <= 42 for ln in chunk.lines)
    assert chunk.text == f"See {url} today."


@given(st.text(st.sampled_from("ab/.-?=x"), min_size=1, max_size=300), st.integers(8, 40))
def test_property_glue_pieces_rejoin_and_fit(text: str, width: int) -> None:
    pieces = glue_pieces(text, width)
    assert "".join(pieces) == text
    assert all(0 < len(p) <= width for p in pieces)
