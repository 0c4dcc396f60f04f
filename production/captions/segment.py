"""English cues from word timings: which words go together on screen.

Sentences are grouped into *blocks* (a translation pair, or one sentence when there is no
translation; a block too short to stay on screen for the minimum duration joins its
neighbour). Within a block, dynamic programming picks the cue boundaries that minimise a cost
made of the rules in docs/output-rules.md "Captions": each cue must lay out in the allowed lines and last at
most 7 s; reading speed over the target, cues under the minimum duration, bad break points
(linebreak.BREAK_RULES) and crossing a sentence end cost extra; pauses and punctuation are
good places to cut. Cues never cross a block.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Sentence, Word
from .linebreak import DASHES, break_cost, layout
from .measure import INVISIBLE as _INVISIBLE
from .measure import en_chars
from .settings import TIME_GRID_MS, CaptionError, CaptionSettings

# Costs of the segmentation (dimensionless; only their ratios matter).
CUE_COST = 12.0  # every cue: prefer fewer, fuller cues over flicker
TWO_LINE_COST = 3.0  # a second line, when one would do
LAYOUT_WEIGHT = 0.3  # share of the line-break cost inside a cue
OVER_TARGET_COST_PER_CPS = 8.0  # reading speed between target and hard ceiling
OVER_HARD_COST = 2000.0  # reading speed over the hard ceiling (a hard rule) ...
OVER_HARD_COST_PER_CPS = 30.0  # ... and per cps above it
SHORT_DURATION_COST = 2000.0  # a cue under the minimum duration (a hard rule) ...
SHORT_DURATION_COST_PER_MS = 0.5  # ... and per ms missing
OVERLONG_WORD_COST = 5000.0  # one word alone that is longer than 7 s or than the lines allow
OVERLONG_COST_PER_MS = 1.0  # ... and per ms of speech past the 7 s a cue may last
SENTENCE_CROSSING_COST = 80.0  # a cue holding the end of one sentence and the start of another
SENTENCE_END_BONUS = -30.0  # a cue ending where a sentence ends
PAUSE_MS = 250  # a silence this long between words is a natural place to cut
PAUSE_BONUS = -10.0
PAUSE_BONUS_PER_MS = -1 / 50  # up to PAUSE_BONUS_CAP_MS
PAUSE_BONUS_CAP_MS = 1000
HANGING_PAUSE_MS = 1500  # text kept on screen across a silence this long ...
HANGING_PAUSE_COST = 40.0  # ... costs this much
CONTINUATION_LOOK_COST = 100.0  # a cue ending on the script's own dash or ellipsis looks continued
GLUED_CUE_BREAK_COST = 20.0  # a cue ending inside a URL cut into pieces (the next cue goes on)
SHORT_CUE_CHARS = 12  # a cue this short that is not a whole sentence reads as flicker
SHORT_CUE_COST = 15.0


@dataclass(frozen=True)
class Block:
    """Consecutive sentences whose cues are planned together (one translation pair)."""

    sentences: tuple[Sentence, ...]
    zh: str | None = None

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.sentences for w in s.words)

    @property
    def speech_ms(self) -> tuple[int, int]:
        words = self.words
        return words[0].start_ms, words[-1].end_ms


@dataclass(frozen=True)
class Limits:
    """Line limits for the English text of one track."""

    max_chars: int
    max_lines: int


@dataclass(frozen=True)
class Chunk:
    """Words shown together in one cue, with the cue's times and the English lines."""

    words: tuple[Word, ...]
    lines: tuple[str, ...]
    start_ms: int
    end_ms: int

    @property
    def text(self) -> str:
        return unglue(" ".join(w.text for w in self.words))

    @property
    def speech_start_ms(self) -> int:
        return self.words[0].start_ms

    @property
    def speech_end_ms(self) -> int:
        return self.words[-1].end_ms


# ---------------------------------------------------------------- sentences -> timed words


def timed_sentences(
    sentences: Sequence[Sentence], max_chars: int = CaptionSettings.en_max_chars_per_line
) -> tuple[Sentence, ...]:
    """The sentences with word timings, spreading a sentence's span over its words if needed;
    a word longer than ``max_chars`` (a URL, a path) becomes glued pieces (``glue_pieces``)."""
    out = tuple(_glued(_with_words(s), max_chars) for s in sentences if s.text.strip())
    previous_end = -1
    for s in out:
        if s.words[0].start_ms < previous_end:
            raise CaptionError(
                f"sentence {s.id} starts at {s.words[0].start_ms} ms, before the previous one "
                f"ends ({previous_end} ms): re-run the alignment so sentences are in order"
            )
        previous_end = s.words[-1].end_ms
    return out


def _with_words(s: Sentence) -> Sentence:
    if s.words:
        words = tuple(_on_grid(w) for w in s.words if w.text.strip())
        _check_words(s, words)
        return Sentence(
            s.id, s.text, s.spoken, s.paragraph, words[0].start_ms, words[-1].end_ms, words
        )
    if s.start_ms is None or s.end_ms is None:
        raise CaptionError(
            f"sentence {s.id} has no timing: align the script before building captions"
        )
    words = tuple(_on_grid(w) for w in spread_words(s))
    return Sentence(s.id, s.text, s.spoken, s.paragraph, words[0].start_ms, words[-1].end_ms, words)


# A word longer than a caption line cannot be shown whole. It is cut up front into pieces
# (after a "/", "." or another separator where there is one) that share its time by length;
# every piece after the first starts with GLUE, so the pieces are ordinary words to the
# segmentation and the line breaker (a URL may run over two lines or two cues) and are shown
# joined without the space (``unglue``).
GLUE = "\u2060"  # WORD JOINER: invisible, takes no room (measure.INVISIBLE)
CUT_AFTER = "/.-_?&=,;:#"  # URL and path separators: a piece ends after each run of them
SHORT_PIECE = 5  # a shorter piece joins its neighbour (no line or cue break after "a/")
MIN_PIECE_LIMIT = 8  # pieces are at most half a line, and never limited below this
_AFTER_SEPARATORS = re.compile(f"[^{re.escape(CUT_AFTER)}]*[{re.escape(CUT_AFTER)}]*")
_GLUED_SPACE = " " + GLUE


def unglue(line: str) -> str:
    """A caption line as shown: glued pieces joined again (no space, no marker)."""
    return line.replace(_GLUED_SPACE, "").replace(GLUE, "")


def glue_pieces(text: str, max_piece: int) -> list[str]:
    """``text`` cut after each run of separators (a piece under SHORT_PIECE characters joins
    the one before, "org/" in "example.org/"), a stretch without a separator longer than
    ``max_piece`` cut at that length."""
    pieces: list[str] = []
    for part in _AFTER_SEPARATORS.findall(text):
        while len(part) > max_piece:
            pieces.append(part[:max_piece])
            part = part[max_piece:]
        short = len(part) < SHORT_PIECE or (pieces and len(pieces[-1]) < SHORT_PIECE)
        if pieces and short and len(pieces[-1]) + len(part) <= max_piece:
            pieces[-1] += part
        elif part:
            pieces.append(part)
    return pieces


def _glued(s: Sentence, max_chars: int) -> Sentence:
    if all(en_chars(w.text) <= max_chars for w in s.words):
        return s
    words = tuple(piece for w in s.words for piece in word_pieces(w, max_chars))
    return Sentence(s.id, s.text, s.spoken, s.paragraph, s.start_ms, s.end_ms, words)


def word_pieces(w: Word, max_chars: int) -> list[Word]:
    """``w`` itself, or, when it is longer than ``max_chars``, its glued pieces (half a line at
    most) sharing its time by length, on the time grid."""
    if en_chars(w.text) <= max_chars:
        return [w]
    pieces = glue_pieces(w.text, max(MIN_PIECE_LIMIT, max_chars // 2))
    total, done, out = sum(len(p) for p in pieces), 0, []
    for k, piece in enumerate(pieces):
        start = w.start_ms + (w.end_ms - w.start_ms) * done // total
        done += len(piece)
        end = w.start_ms + (w.end_ms - w.start_ms) * done // total
        out.append(Word(piece if k == 0 else GLUE + piece, _round(start), _round(end)))
    return out


def _on_grid(w: Word) -> Word:
    """Word times rounded to the time grid, so every cue time derived from them is on it too."""
    text = "".join(ch for ch in w.text.strip() if ch not in _INVISIBLE)
    return Word(text, _round(w.start_ms), _round(w.end_ms))


def _round(ms: int) -> int:
    return round(ms / TIME_GRID_MS) * TIME_GRID_MS


def _check_words(s: Sentence, words: tuple[Word, ...]) -> None:
    if not words:
        raise CaptionError(f"sentence {s.id} has only empty words: check the alignment output")
    for earlier, later in zip(words, words[1:], strict=False):
        if later.start_ms < earlier.start_ms or earlier.end_ms < earlier.start_ms:
            raise CaptionError(
                f"sentence {s.id}: word timings out of order at {later.text!r}: "
                "re-run the alignment"
            )


def spread_words(s: Sentence) -> tuple[Word, ...]:
    """Word timings for a sentence that has only a span: shares by word length."""
    texts = s.text.split() or [s.text]
    assert s.start_ms is not None and s.end_ms is not None
    weights = [len(t) + 1 for t in texts]
    total = sum(weights)
    span = max(s.end_ms - s.start_ms, 0)
    words, acc = [], 0
    for text, weight in zip(texts, weights, strict=True):
        start = s.start_ms + span * acc // total
        acc += weight
        words.append(Word(text, start, s.start_ms + span * acc // total))
    return tuple(words)


# ------------------------------------------------------------------------------ blocks


def plan_blocks(
    groups: Sequence[tuple[tuple[Sentence, ...], str | None]], settings: CaptionSettings
) -> list[Block]:
    """Blocks from sentence groups; a block that its neighbours leave no room for a cue of the
    minimum duration joins the nearer one."""
    blocks = [Block(sentences, zh) for sentences, zh in groups if sentences]
    while len(blocks) > 1:
        cramped = _first_cramped(blocks, settings)
        if cramped is None:
            break
        first, second = sorted((cramped, _nearer_neighbour(blocks, cramped)))
        blocks[first : second + 1] = [join_blocks(blocks[first], blocks[second])]
    return blocks


def _first_cramped(blocks: Sequence[Block], settings: CaptionSettings) -> int | None:
    """The first block whose cue cannot last the minimum duration, giving each block before
    it the earliest in-time and the minimum duration (the way timing.settle will)."""
    previous_end = -math.inf
    for i, block in enumerate(blocks):
        onset, speech_end = block.speech_ms
        # in at the onset at the latest (the previous cue gives way), earlier only by the lead
        start = max(
            onset - settings.sync_tolerance_ms, min(onset, previous_end + settings.min_gap_ms), 0
        )
        latest = (
            blocks[i + 1].speech_ms[0] - settings.min_gap_ms if i + 1 < len(blocks) else math.inf
        )
        if latest - start < settings.min_cue_ms:
            return i
        previous_end = max(start + settings.min_cue_ms, speech_end)
    return None


def _nearer_neighbour(blocks: Sequence[Block], i: int) -> int:
    if i == 0:
        return 1
    if i + 1 == len(blocks):
        return i - 1
    before = blocks[i].speech_ms[0] - blocks[i - 1].speech_ms[1]
    after = blocks[i + 1].speech_ms[0] - blocks[i].speech_ms[1]
    return i - 1 if before <= after else i + 1


def join_blocks(a: Block, b: Block) -> Block:
    zh = None if a.zh is None and b.zh is None else (a.zh or "") + (b.zh or "")
    return Block(a.sentences + b.sentences, zh)


# ------------------------------------------------------------------------ segmentation


@dataclass(frozen=True)
class _Span:
    words: tuple[Word, ...]
    sentence_of: tuple[int, ...]  # index of each word's sentence within the block
    next_onset: float  # where the next block's speech starts (inf at the end)


def segment_block(
    block: Block, next_onset_ms: int | None, limits: Limits, settings: CaptionSettings
) -> list[Chunk]:
    """The cheapest division of a block's words into cues (provisional cue times)."""
    span = _Span(
        block.words,
        tuple(i for i, s in enumerate(block.sentences) for _ in s.words),
        math.inf if next_onset_ms is None else next_onset_ms,
    )
    n = len(span.words)
    best: list[tuple[float, int]] = [(0.0, -1)] + [(math.inf, -1)] * n
    for b in range(n):
        for a, cost in _chunk_costs(span, b, limits, settings):
            total = best[a][0] + cost
            if total < best[b + 1][0]:
                best[b + 1] = (total, a)
    cuts, b = [], n
    while b > 0:
        a = best[b][1]
        cuts.append((a, b - 1))
        b = a
    return [_make_chunk(span, a, b, limits, settings) for a, b in reversed(cuts)]


def _chunk_costs(
    span: _Span, b: int, limits: Limits, settings: CaptionSettings
) -> list[tuple[int, float]]:
    """(a, cost) for every feasible cue holding words a..b."""
    out = []
    capacity = limits.max_chars * limits.max_lines
    chars = -1
    for a in range(b, -1, -1):
        chars += en_chars(span.words[a].text) + 1
        if chars > capacity and a < b:
            break
        cost = _chunk_cost(span, a, b, chars, limits, settings)
        if cost is None:
            break
        out.append((a, cost))
    return out


def _chunk_cost(
    span: _Span, a: int, b: int, chars: int, limits: Limits, settings: CaptionSettings
) -> float | None:
    words = span.words
    start, end = _natural_times(span, a, b, settings)
    # speech still going when the cue must go (7 s): within the sync tolerance that is only an
    # early out-time; beyond it only a word spoken longer than a cue may last is let through
    over_ms = words[b].end_ms - start - settings.max_cue_ms
    too_long = over_ms > settings.sync_tolerance_ms
    if too_long and a < b and not _has_overlong_word(span, a, b, settings):
        return None
    lay = layout([w.text for w in words[a : b + 1]], limits.max_chars, limits.max_lines)
    if lay is None and a < b:
        return None  # more words cannot fit either
    cost = CUE_COST + (OVERLONG_WORD_COST if lay is None or too_long else 0.0)
    if too_long:  # as little speech as possible left over after the cue
        cost += OVERLONG_COST_PER_MS * over_ms
    if lay is not None and len(lay.lines) > 1:
        cost += TWO_LINE_COST + LAYOUT_WEIGHT * lay.cost
    cost += _speed_cost(chars, end - start, settings)
    cost += _end_cost(span, b)
    cost += _inside_cost(span, a, b)
    whole = (a == 0 or span.sentence_of[a] != span.sentence_of[a - 1]) and _sentence_ends_at(
        span, b
    )
    if chars < SHORT_CUE_CHARS and not whole:
        cost += SHORT_CUE_COST
    return cost


def _has_overlong_word(span: _Span, a: int, b: int, settings: CaptionSettings) -> bool:
    return any(w.end_ms - w.start_ms > settings.max_cue_ms for w in span.words[a : b + 1])


def _natural_times(span: _Span, a: int, b: int, settings: CaptionSettings) -> tuple[int, int]:
    """In at the first word's onset; out after the trail (or at the minimum duration, if
    later), stopping short of the next cue and at the maximum duration (as timing.settle)."""
    words = span.words
    nxt = words[b + 1].start_ms if b + 1 < len(words) else span.next_onset
    start = words[a].start_ms
    out = max(words[b].end_ms + settings.trail_ms, start + settings.min_cue_ms)
    end = min(out, nxt - settings.min_gap_ms, start + settings.max_cue_ms)
    return start, int(end)


def _speed_cost(chars: int, duration_ms: int, settings: CaptionSettings) -> float:
    cost = 0.0
    if duration_ms < settings.min_cue_ms:
        cost += SHORT_DURATION_COST + SHORT_DURATION_COST_PER_MS * (
            settings.min_cue_ms - duration_ms
        )
    speed = chars * 1000.0 / max(duration_ms, 1)
    if speed > settings.en_hard_cps:
        cost += OVER_HARD_COST + OVER_HARD_COST_PER_CPS * (speed - settings.en_hard_cps)
    if speed > settings.en_target_cps:
        cost += OVER_TARGET_COST_PER_CPS * (
            min(speed, settings.en_hard_cps) - settings.en_target_cps
        )
    return cost


def _sentence_ends_at(span: _Span, b: int) -> bool:
    return b + 1 == len(span.words) or span.sentence_of[b + 1] != span.sentence_of[b]


def _end_cost(span: _Span, b: int) -> float:
    """How good a place the gap after word b is for a cue to end."""
    if b + 1 == len(span.words):
        return 0.0
    if _sentence_ends_at(span, b):
        cost = SENTENCE_END_BONUS
    elif span.words[b + 1].text.startswith(GLUE):
        cost = GLUED_CUE_BREAK_COST
    else:
        cost = break_cost(span.words[b].text, span.words[b + 1].text)
        if span.words[b].text in DASHES or span.words[b].text.endswith(("...", "…")):
            cost += CONTINUATION_LOOK_COST
    pause = span.words[b + 1].start_ms - span.words[b].end_ms
    if pause >= PAUSE_MS:
        cost += PAUSE_BONUS + PAUSE_BONUS_PER_MS * min(pause, PAUSE_BONUS_CAP_MS)
    return cost


def _inside_cost(span: _Span, a: int, b: int) -> float:
    cost = 0.0
    for i in range(a, b):
        if span.sentence_of[i + 1] != span.sentence_of[i]:
            cost += SENTENCE_CROSSING_COST
        if span.words[i + 1].start_ms - span.words[i].end_ms >= HANGING_PAUSE_MS:
            cost += HANGING_PAUSE_COST
    return cost


def _make_chunk(span: _Span, a: int, b: int, limits: Limits, settings: CaptionSettings) -> Chunk:
    words = span.words[a : b + 1]
    texts = [w.text for w in words]
    lay = layout(texts, limits.max_chars, limits.max_lines)
    if lay is None:  # words that fit no layout (only ever chosen as a last resort): the QC says so
        lay = layout(texts, limits.max_chars, 1 + en_chars(" ".join(texts)) // limits.max_chars)
    lines = lay.lines if lay is not None else (" ".join(texts),)
    start, end = _natural_times(span, a, b, settings)
    return Chunk(words, tuple(unglue(line) for line in lines), start, end)


def too_short(chunks: Sequence[Chunk], settings: CaptionSettings) -> bool:
    """True when a cue cannot reach the minimum duration even past the trail."""
    return any(c.end_ms - c.start_ms < settings.min_cue_ms for c in chunks)
