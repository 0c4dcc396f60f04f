"""corrections.toml: parsing, keyed matching that survives script edits, and applying fixes."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.corrections import (
    ChapterMark,
    CorrectionsError,
    Key,
    apply_corrections,
    chapter_spans,
    match,
    parse_document,
    to_toml,
)
from production.models import Alignment, Fragment, Sentence, Word, ZhPair

S = (
    Sentence("s0001", "Hello there.", "hello there", 0),
    Sentence("s0002", "Battery makers spent more.", "battery makers spent more", 1),
    Sentence("s0003", "That is a big change.", "that is a big change", 1),
)


def _alignment() -> Alignment:
    frags = []
    for i, s in enumerate(S):
        start = 1000 + i * 3000
        words = tuple(Word(w, start + k * 400, start + k * 400 + 300) for k, w in enumerate(s.text.split()))
        frags.append(Fragment(s.id, s.text, start, words[-1].end_ms, words))
    return Alignment("tts-dtw", "host.wav", 12000, tuple(frags))


PAIRS = (ZhPair(("s0001",), "你好。"), ZhPair(("s0002",), "电池商花得更多。"), ZhPair(("s0003",), "变化很大。"))


def test_match_by_id_text_and_small_edit() -> None:
    assert match(Key("s0002", "Battery makers spent more."), S) is S[1]
    # a sentence inserted before it renumbered the ids: the text still finds it
    assert match(Key("s0001", "Battery makers spent more."), S) is S[1]
    # a word changed in the script: same id, nearly the same text
    assert match(Key("s0003", "That is a huge change."), S) is S[2]
    # gone: neither the id's text nor any sentence fits -> None, never another sentence
    assert match(Key("s0003", "Completely different words here now."), S) is None
    assert match(Key("s0009", "Nothing like it."), S) is None


def test_timing_text_zh_and_pairing_applied() -> None:
    doc = {
        "timing": [{"sentence": "s0002", "text": S[1].text, "start_ms": 4300}],
        "text": [{"sentence": "s0003", "text": S[2].text, "to": "That is a huge change."}],
        "zh": [{"sentence": "s0001", "text": S[0].text, "to": "您好。"}],
        "pairing": [{"sentence": "s0003", "text": S[2].text, "join": "previous"}],
    }
    fixed = apply_corrections(parse_document(doc), S, _alignment(), PAIRS)
    assert fixed.problems == ()
    f2 = fixed.alignment.fragments[1]
    assert (f2.start_ms, f2.words[0].start_ms) == (4300, 4300)
    assert fixed.sentences[2].text == "That is a huge change."
    assert [w.text for w in fixed.alignment.fragments[2].words][3] == "huge"
    assert fixed.zh_pairs == (ZhPair(("s0001",), "您好。"), ZhPair(("s0002", "s0003"), "电池商花得更多。变化很大。"))


def test_a_fix_that_no_longer_fits_is_reported_not_applied() -> None:
    doc = {
        "timing": [
            {"sentence": "s0002", "text": S[1].text, "start_ms": 1500},  # overlaps s0001 (1000-1700)
            {"sentence": "s0003", "text": "A sentence the script lost.", "end_ms": 9000},
        ],
    }
    fixed = apply_corrections(parse_document(doc), S, _alignment(), PAIRS)
    assert fixed.alignment == _alignment()
    assert [(p.section, p.sentence) for p in fixed.problems] == [("timing", "s0002"), ("timing", "s0003")]
    assert "overlaps" in fixed.problems[0].message and "no longer in the script" in fixed.problems[1].message


def test_chapters_replace_the_automatic_ones_and_start_at_zero() -> None:
    marks = (ChapterMark(Key("s0001"), "Intro", "开场"), ChapterMark(Key("s0003"), "Change", "变化"))
    timed = [s.__class__(**{**s.__dict__, "start_ms": 1000 * (i + 1)}) for i, s in enumerate(S)]
    assert chapter_spans(marks, timed, 9000) == [("Intro · 开场", 0, 3000), ("Change · 变化", 3000, 9000)]


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"timing": [{"sentence": "s1"}]}, "give start_ms, end_ms"),
        ({"timing": [{"sentence": "s1", "start_ms": -5}]}, "start_ms"),
        ({"text": [{"sentence": "s1", "to": 3}]}, "'to'"),
        ({"pairing": [{"sentence": "s1", "join": "up"}]}, "join"),
        ({"clips": [{"name": "../x", "start_ms": 0, "end_ms": 1000}]}, "name"),
        ({"clips": [{"name": "a", "start_ms": 5000, "end_ms": 1000}]}, "end_ms"),
        ({"chapters": [{"sentence": "s1", "title": ""}]}, "title"),
        ({"bogus": []}, "unknown section"),
        ({"timing": [{"sentence": "s1", "start_ms": 1, "colour": 2}]}, "unknown key"),
    ],
)
def test_bad_entries_name_the_entry_and_key(doc: dict, words: str) -> None:
    with pytest.raises(CorrectionsError, match=words):
        parse_document(doc)


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda t: t.strip())


@given(
    st.lists(st.tuples(_text, _text, st.integers(0, 10**7)), max_size=5),
    st.lists(st.tuples(_text, _text, _text), max_size=5),
)
def test_any_document_round_trips_through_toml(timing: list, chapters: list) -> None:
    doc = {
        "timing": [{"sentence": s.strip(), "text": t, "start_ms": ms} for s, t, ms in timing],
        "chapters": [{"sentence": s.strip(), "title": a.strip(), "title_zh": b} for s, a, b in chapters],
    }
    parsed = parse_document(doc)
    assert parse_document(tomllib.loads(to_toml(doc))) == parsed


def test_episode_toml_chapters_and_clips_apply_unless_corrections_override() -> None:
    from production.corrections import ClipMark, Corrections, parse_chapters, parse_clips

    hand = parse_chapters([{"sentence": "s0001", "title": "Start"}, {"sentence": "s0003", "title": "Change"}], "e")
    clips = parse_clips([{"name": "a", "start_ms": 1000, "end_ms": 9000}], "e")
    fixed = apply_corrections(Corrections(), S, _alignment(), PAIRS, hand, clips)
    assert [m.title for m in fixed.chapters or ()] == ["Start", "Change"] and fixed.clips == clips
    mine = parse_document(
        {
            "chapters": [{"sentence": "s0002", "title": "Mine"}],
            "clips": [{"name": "a", "start_ms": 2000, "end_ms": 4000}],
        }
    )
    fixed = apply_corrections(mine, S, _alignment(), PAIRS, hand, clips)
    assert [m.title for m in fixed.chapters or ()] == ["Mine"]
    assert fixed.clips == (ClipMark("a", 2000, 4000),)
    # a clip past the end of the recording is reported, not rendered
    late = parse_document({"clips": [{"name": "b", "start_ms": 10000, "end_ms": 13000}]})
    fixed = apply_corrections(late, S, _alignment(), PAIRS)
    assert fixed.clips == () and fixed.problems[0].section == "clips"
