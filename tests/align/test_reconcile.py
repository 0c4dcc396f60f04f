"""Transcript ↔ script reconciliation on transcripts built from known word timings."""

from __future__ import annotations

import random
import time
import tracemalloc

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from production.align.base import FragmentInput
from production.align.reconcile import (
    ReconcileSettings,
    align_tokens,
    anchor_blocks,
    edit_path,
    reconcile,
    tokens_with_owners,
)
from production.models import Deviation, Fragment, Word

WORD_MS = 300  # each transcript word lasts WORD_MS - GAP_MS
GAP_MS = 20
PAUSE_MS = 600  # between phrases

KINDS = {"skipped", "skipped-sentence", "inserted", "substituted"}

SCRIPT = [
    FragmentInput("s1", "The economy grew by 10% in 2025.", ""),
    FragmentInput("s2", "Spending on R&D hit $1.2 billion.", ""),
    FragmentInput("s3", "Analysts were surprised.", ""),
]
READ = [
    "The economy grew by ten percent in twenty twenty five.",
    "Spending on R and D hit one point two billion dollars.",
    "Analysts were surprised.",
]
DURATION_MS = 30_000


def speak(*phrases: str, start: int = 1000) -> list[Word]:
    """Transcript words of ``phrases`` read one after the other, a pause after each phrase."""
    words, t = [], start
    for phrase in phrases:
        for text in phrase.split():
            words.append(Word(text, t, t + WORD_MS - GAP_MS))
            t += WORD_MS
        t += PAUSE_MS
    return words


def find(words: list[Word], text: str) -> Word:
    return next(w for w in words if w.text == text)


def script_word(fragments: tuple[Fragment, ...], fid: str, text: str) -> Word:
    frag = next(f for f in fragments if f.id == fid)
    return next(w for w in frag.words if w.text == text)


def assert_well_formed(
    fragments: tuple[Fragment, ...], script: list[FragmentInput], limit: int
) -> None:
    assert [f.id for f in fragments] == [f.id for f in script]
    previous_end = 0
    for frag, src in zip(fragments, script, strict=True):
        assert frag.text == src.text
        assert [w.text for w in frag.words] == src.text.split()
        if frag.words:
            assert frag.start_ms == frag.words[0].start_ms and frag.end_ms == frag.words[-1].end_ms
        assert frag.end_ms > frag.start_ms >= previous_end
        for w in frag.words:
            assert w.end_ms > w.start_ms >= previous_end
            previous_end = w.end_ms
        previous_end = frag.end_ms
    assert previous_end <= limit


def test_exact_read_takes_the_transcript_times_and_reports_nothing() -> None:
    said = speak(
        "The economy grew by 10% in 2025.",
        "Spending on R&D hit $1.2 billion.",
        "Analysts were surprised.",
    )
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    assert deviations == ()
    timed = [w for f in fragments for w in f.words]
    assert [(w.start_ms, w.end_ms) for w in timed] == [(w.start_ms, w.end_ms) for w in said]
    assert all(f.confidence == 1.0 for f in fragments)
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_numbers_and_symbols_spoken_out_match_the_script() -> None:
    said = speak(*READ)
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    assert deviations == ()
    assert all(f.confidence == 1.0 for f in fragments)
    pct = script_word(fragments, "s1", "10%")
    assert (pct.start_ms, pct.end_ms) == (find(said, "ten").start_ms, find(said, "percent").end_ms)
    year = script_word(fragments, "s1", "2025.")
    assert year.start_ms == said[7].start_ms and year.end_ms == find(said, "five.").end_ms
    rnd = script_word(fragments, "s2", "R&D")
    assert (rnd.start_ms, rnd.end_ms) == (find(said, "R").start_ms, find(said, "D").end_ms)
    amount = script_word(fragments, "s2", "$1.2")
    assert (amount.start_ms, amount.end_ms) == (
        find(said, "one").start_ms,
        find(said, "two").end_ms,
    )
    billion = script_word(fragments, "s2", "billion.")
    assert (billion.start_ms, billion.end_ms) == (
        find(said, "billion").start_ms,
        find(said, "dollars.").end_ms,
    )
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_digits_in_the_transcript_match_words_in_the_script() -> None:
    script = [FragmentInput("f1", "Prices rose ten percent in twenty twenty-five.", "")]
    said = speak("Prices rose 10% in 2025.")
    fragments, deviations = reconcile(script, said, DURATION_MS)
    assert deviations == ()
    ten, percent = fragments[0].words[2], fragments[0].words[3]
    ten_pct = find(said, "10%")
    assert ten.start_ms == ten_pct.start_ms and percent.end_ms == ten_pct.end_ms
    assert ten.end_ms == percent.start_ms  # the one transcript word is shared, not overlapped
    assert_well_formed(fragments, script, DURATION_MS)


def test_dropped_word_is_reported_where_it_should_have_been() -> None:
    said = speak(READ[0].replace(" by", ""), READ[1], READ[2])
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    grew, ten = find(said, "grew"), find(said, "ten")
    assert len(deviations) == 1
    dev = deviations[0]
    assert (dev.kind, dev.script, dev.spoken, dev.fragment_id) == ("skipped", "by", "", "s1")
    assert grew.end_ms <= dev.time_ms < ten.start_ms
    by = script_word(fragments, "s1", "by")
    assert grew.end_ms <= by.start_ms < by.end_ms <= ten.start_ms
    assert (
        script_word(fragments, "s1", "10%").start_ms == ten.start_ms
    )  # neighbours keep their times
    assert fragments[0].confidence < 1.0
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_skipped_sentence_gets_a_short_span_in_the_pause_and_is_marked() -> None:
    said = speak(READ[0], READ[2])
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    before, after = said[8], find(said, "Analysts")  # last word of s1, first of s3
    assert [(d.kind, d.fragment_id) for d in deviations] == [("skipped-sentence", "s2")]
    assert deviations[0].script == SCRIPT[1].text
    assert before.end_ms <= deviations[0].time_ms < after.start_ms
    s2 = fragments[1]
    assert before.end_ms <= s2.start_ms < s2.end_ms <= after.start_ms
    assert s2.end_ms - s2.start_ms <= ReconcileSettings().missing_word_ms * len(s2.words)
    assert s2.confidence == 0.0
    assert fragments[2].start_ms == after.start_ms
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_ad_lib_is_reported_at_its_time_and_left_out_of_the_captions() -> None:
    said = speak("The economy, you know, grew by 10% in 2025.", READ[1], READ[2])
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    assert deviations == (Deviation("inserted", find(said, "you").start_ms, "", "you know,", "s1"),)
    assert script_word(fragments, "s1", "economy").end_ms <= find(said, "you").start_ms
    assert script_word(fragments, "s1", "grew").start_ms == find(said, "grew").start_ms
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_substituted_word_keeps_the_script_wording_on_the_spoken_timing() -> None:
    said = speak(READ[0].replace("grew", "rose"), READ[1], READ[2])
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    rose = find(said, "rose")
    assert deviations == (Deviation("substituted", rose.start_ms, "grew", "rose", "s1"),)
    grew = script_word(fragments, "s1", "grew")
    assert (grew.start_ms, grew.end_ms) == (rose.start_ms, rose.end_ms)
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_long_filler_passage_is_one_insertion_at_its_start() -> None:
    filler = " ".join(f"filler{k}" for k in range(30))
    said = speak(READ[0], filler, READ[1], READ[2])
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    first_filler = find(said, "filler0")
    assert len(deviations) == 1
    dev = deviations[0]
    assert (dev.kind, dev.time_ms, dev.spoken, dev.fragment_id) == (
        "inserted",
        first_filler.start_ms,
        filler,
        "s1",
    )
    assert fragments[0].end_ms <= first_filler.start_ms
    assert fragments[1].start_ms == find(said, "Spending").start_ms  # after the filler
    assert fragments[1].start_ms > find(said, "filler29").end_ms
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_several_departures_come_back_in_reading_order() -> None:
    said = speak(
        "So. The economy grew by ten percent in twenty twenty five.", READ[2], "Thank you."
    )
    fragments, deviations = reconcile(SCRIPT, said, DURATION_MS)
    assert [(d.kind, d.fragment_id) for d in deviations] == [
        ("inserted", "s1"),
        ("skipped-sentence", "s2"),
        ("inserted", "s3"),
    ]
    assert [d.time_ms for d in deviations] == sorted(d.time_ms for d in deviations)
    assert deviations[-1].spoken == "Thank you."
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_nothing_heard_spreads_the_script_and_reports_every_sentence() -> None:
    fragments, deviations = reconcile(SCRIPT, [], DURATION_MS)
    assert [(d.kind, d.fragment_id) for d in deviations] == [
        ("skipped-sentence", f.id) for f in SCRIPT
    ]
    assert fragments[0].start_ms == 0 and fragments[-1].end_ms == DURATION_MS
    assert_well_formed(fragments, SCRIPT, DURATION_MS)


def test_zero_length_and_backward_transcript_words_still_give_ordered_words() -> None:
    said = [Word("Analysts", 500, 500), Word("were", 500, 500), Word("surprised.", 450, 460)]
    script = [SCRIPT[2]]
    fragments, deviations = reconcile(script, said, 2000)
    assert deviations == ()
    assert all(w.end_ms - w.start_ms >= ReconcileSettings().min_word_ms for w in fragments[0].words)
    assert fragments[0].start_ms == 500
    assert_well_formed(fragments, script, 2000)


def test_fragment_without_speakable_words_is_timed_but_not_reported() -> None:
    script = [
        SCRIPT[2],
        FragmentInput("s9", "—", ""),
        FragmentInput("s10", "Analysts were surprised.", ""),
    ]
    said = speak(READ[2], READ[2])
    fragments, deviations = reconcile(script, said, DURATION_MS)
    assert deviations == ()
    assert fragments[1].end_ms > fragments[1].start_ms
    assert_well_formed(fragments, script, DURATION_MS)


def test_words_read_together_keep_track_of_their_owner() -> None:
    assert tokens_with_owners(["$1.2", "billion."]) == (
        ["one", "point", "two", "billion", "dollars"],
        [0, 0, 0, 1, 1],
    )
    assert tokens_with_owners(["R&D", "rose"]) == (["r", "and", "d", "rose"], [0, 0, 0, 1])


# ---------------------------------------------------------------------------- the aligner


def _cost(a: list[int], b: list[int], pairs: list[tuple[int, int]]) -> int:
    assert [i for i, _ in pairs if i >= 0] == list(range(len(a)))
    assert [j for _, j in pairs if j >= 0] == list(range(len(b)))
    return sum(1 for i, j in pairs if i < 0 or j < 0 or a[i] != b[j])


def _edited(rng: random.Random, a: list[int], vocab: int) -> list[int]:
    out = []
    for tok in a:
        r = rng.random()
        if r < 0.03:
            continue
        if r < 0.06:
            out += [rng.randrange(vocab) for _ in range(rng.randint(1, 4))]
        out.append(rng.randrange(vocab) if 0.06 <= r < 0.08 else tok)
    return out


def test_edit_path_finds_the_levenshtein_distance() -> None:
    a = [ord(c) for c in "kitten"]
    b = [ord(c) for c in "sitting"]
    assert _cost(a, b, edit_path(np.array(a), np.array(b))) == 3


def test_anchored_and_banded_alignment_match_the_full_dynamic_programme() -> None:
    rng = random.Random(7)
    a = [rng.randrange(800) for _ in range(1500)]
    del_start = 600
    b = _edited(rng, a[:del_start] + a[del_start + 40 :], 800)  # a 40-token passage skipped too
    full = _cost(a, b, edit_path(np.array(a), np.array(b)))
    anchored = align_tokens(a, b, ReconcileSettings())
    banded = align_tokens(
        a, b, ReconcileSettings(anchor_ngram=0, max_full_cells=10_000, band_tokens=100)
    )
    assert anchor_blocks(a, b, 4)  # the anchors are really in play
    assert _cost(a, b, anchored) == full
    assert _cost(a, b, banded) == full


def test_hour_long_read_is_quick_and_small() -> None:
    rng = random.Random(3)
    lexicon = [
        "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        for _ in range(3000)
    ]
    script = [
        FragmentInput(f"s{k:04d}", " ".join(rng.choice(lexicon) for _ in range(16)) + ".", "")
        for k in range(600)
    ]  # 9,600 words: about an hour at 160 words a minute
    skipped = "s0300"
    phrases = [f.text for f in script if f.id != skipped]
    phrases.insert(450, "well you know honestly")
    said = speak(*phrases)
    tracemalloc.start()
    t0 = time.perf_counter()
    fragments, deviations = reconcile(script, said, said[-1].end_ms + 1000)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(d.kind, d.fragment_id) for d in deviations] == [
        ("skipped-sentence", skipped),
        ("inserted", "s0450"),
    ]
    assert deviations[1].spoken == "well you know honestly"
    assert elapsed < 20, elapsed
    assert peak < 200e6, peak
    assert_well_formed(fragments, script, said[-1].end_ms + 1000)


# ---------------------------------------------------------------------------- properties

LEXICON = [
    "the",
    "economy",
    "grew",
    "10%",
    "2025",
    "R&D",
    "$1.2",
    "billion",
    "rose",
    "by",
    "in",
    "markets",
    "—",
    "U.S.",
    "prices",
    "fell",
    "ten",
    "percent",
]


@st.composite
def script_and_read(draw: st.DrawFn) -> tuple[list[FragmentInput], list[Word], int]:
    sentences = draw(
        st.lists(st.lists(st.sampled_from(LEXICON), min_size=1, max_size=7), min_size=1, max_size=5)
    )
    script = [FragmentInput(f"s{k}", " ".join(ws), "") for k, ws in enumerate(sentences)]
    said: list[Word] = []
    t = draw(st.integers(0, 2000))
    for ws in sentences:
        for w in ws:
            edit = draw(st.sampled_from(["keep", "keep", "keep", "drop", "swap", "insert"]))
            texts = {
                "keep": [w],
                "drop": [],
                "swap": [draw(st.sampled_from(LEXICON))],
                "insert": [draw(st.sampled_from(LEXICON)), w],
            }[edit]
            for text in texts:
                start = t + draw(st.integers(-50, 300))  # whisper's times can step back a little
                dur = draw(st.integers(0, 400))  # and be zero-length
                said.append(Word(text, max(start, 0), max(start, 0) + dur))
                t = max(t, start + dur)
    duration = t + draw(st.integers(-100, 3000))
    return script, said, max(duration, 1)


@given(script_and_read())
def test_property_any_read_gives_ordered_non_overlapping_positive_words(
    case: tuple[list[FragmentInput], list[Word], int],
) -> None:
    script, said, duration = case
    fragments, deviations = reconcile(script, said, duration)
    n_words = sum(max(1, len(f.text.split())) for f in script)
    assert_well_formed(fragments, script, max(duration, n_words * ReconcileSettings().min_word_ms))
    ids = {f.id for f in script}
    for d in deviations:
        assert d.kind in KINDS and d.fragment_id in ids and d.time_ms >= 0
        assert d.script or d.spoken


@given(st.lists(st.lists(st.sampled_from(LEXICON), min_size=1, max_size=6), min_size=1, max_size=4))
def test_property_a_faithful_read_has_no_deviations(sentences: list[list[str]]) -> None:
    script = [FragmentInput(f"s{k}", " ".join(ws), "") for k, ws in enumerate(sentences)]
    said = speak(*(f.text for f in script))
    fragments, deviations = reconcile(script, said, said[-1].end_ms + 500)
    assert deviations == ()
    assert_well_formed(fragments, script, said[-1].end_ms + 500)
