"""Transcript ↔ script reconciliation: the script's words on the transcript's timing.

A speech recogniser (whisper) hears what the host said; the captions must show what the
script says. Both texts are reduced to the same normalised tokens (``textnorm.norm_tokens``:
"R&D" and "R and D" both give ``r and d``), aligned by edit distance, and mapped back to words:

- a script word matched (or substituted) takes the times of the transcript words it met;
- a script word the host skipped gets a short span interpolated between its neighbours;
- every run of skipped, inserted or substituted words becomes a ``Deviation`` with its time.

Memory stays linear in practice for an hour-long read: unique n-grams found on both sides pin
the alignment (anchors), and only the stretches between anchors go through the dynamic
programme, each in full when small and in a diagonal band when large.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..models import Deviation, Fragment, Word
from ..textnorm import norm_tokens
from .base import FragmentInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileSettings:
    min_word_ms: int = 40  # shortest heard word; whisper emits zero-length words now and then
    missing_word_ms: int = 40  # span given to each script word the host did not say, room allowing
    min_missing_word_ms: int = 10  # floor for a skipped word squeezed between two spoken ones
    anchor_ngram: int = 4  # tokens in an n-gram that, found once on each side, pins the alignment
    max_full_cells: int = 4_000_000  # DP cells (1 byte each) a stretch may use before it is banded
    band_tokens: int = 400  # half-width of the band around a large stretch's diagonal, in tokens
    chunk_words: int = 200  # words normalised together when no sentence end comes sooner


DEFAULT_SETTINGS = ReconcileSettings()

# operations of the edit path
MATCH, SUBSTITUTE, DELETE, INSERT = "match", "substitute", "delete", "insert"
# backtrace pointers: both sides advance / script side only / transcript side only
_DIAG, _UP, _LEFT = 0, 1, 2
_INF = 1 << 40  # larger than any edit distance
_SENTENCE_END = (".", "?", "!")
MAX_CONTEXT_WORDS = 8  # most words a number or symbol reading may span ("US$ 1.2 billion")


# ---------------------------------------------------------------------------------------------
# Tokens and the words that own them


@dataclass(frozen=True)
class _Side:
    """One side of the alignment: token ids, the word owning each token, tokens per word."""

    tokens: list[int]
    owner: list[int]
    word_tokens: list[int]


@lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> tuple[str, ...]:
    """One word's tokens; cached because normalising is most of the work and words repeat."""
    return tuple(norm_tokens(word))


def tokens_with_owners(words: Sequence[str]) -> tuple[list[str], list[int]]:
    """Normalised tokens of ``words`` read together, each with the index of the word it came from.

    Reading together matters where a number spans words: "$1.2 billion" is "one point two
    billion dollars", while word by word it would be "one point two dollars" + "billion".
    Words whose own tokens appear in place keep them; where context changes the reading, the
    smallest group of words that reads the same alone as in place shares the group's tokens.
    """
    joint = norm_tokens(" ".join(words))
    own = [_word_tokens(w) for w in words]
    owners: list[int] = []
    p = k = 0
    while k < len(words):
        if tuple(joint[p : p + len(own[k])]) == own[k]:
            owners += [k] * len(own[k])
            p, k = p + len(own[k]), k + 1
            continue
        size, length = _context_group(words, own, joint, k, p)
        owners += _share_tokens(joint[p : p + length], own, k, k + size)
        p, k = p + length, k + size
    if p < len(joint):  # only if the text reads longer together than in any group of its words
        owners += [owners[-1] if owners else 0] * (len(joint) - p)
    return joint, owners


def _context_group(
    words: Sequence[str],
    own: Sequence[tuple[str, ...]],
    joint: Sequence[str],
    k: int,
    p: int,
) -> tuple[int, int]:
    """(words, tokens) of the shortest run from word ``k`` reading alone as ``joint`` at ``p``."""
    for size in range(2, min(MAX_CONTEXT_WORDS, len(words) - k) + 1):
        group = norm_tokens(" ".join(words[k : k + size]))
        end = p + len(group)
        after = own[k + size] if k + size < len(words) else ()
        if list(joint[p:end]) == group and tuple(joint[end : end + len(after)]) == after:
            return size, len(group)
    return len(words) - k, len(joint) - p  # no group found: the rest of the text is one group


def _share_tokens(
    tokens: Sequence[str], own: Sequence[tuple[str, ...]], first: int, stop: int
) -> list[int]:
    """Owners for a group's tokens: each goes to the first word from the current one that has it."""
    bags = [list(own[w]) for w in range(first, stop)]
    current, owners = 0, []
    for tok in tokens:
        hit = next((c for c in range(current, len(bags)) if tok in bags[c]), None)
        if hit is not None:
            bags[hit].remove(tok)
            current = hit
        owners.append(first + current)
    return owners


def _chunks(words: Sequence[str], limit: int) -> list[list[str]]:
    """Words cut after sentence ends (or every ``limit`` words), to be normalised chunk by chunk.

    Both sides are cut by the same rule, so an amount that spans a line or fragment break in
    the script ("$1.2" / "billion") reads the same as in the transcript.
    """
    chunks, start = [], 0
    for i, w in enumerate(words):
        if w.rstrip().endswith(_SENTENCE_END) or i + 1 - start >= limit:
            chunks.append(list(words[start : i + 1]))
            start = i + 1
    if start < len(words):
        chunks.append(list(words[start:]))
    return chunks


def _build_side(groups: Sequence[Sequence[str]], vocab: dict[str, int]) -> _Side:
    tokens: list[int] = []
    owner: list[int] = []
    word_tokens: list[int] = []
    for texts in groups:
        toks, owners = tokens_with_owners(texts)
        base = len(word_tokens)
        word_tokens += [0] * len(texts)
        for tok, o in zip(toks, owners, strict=True):
            tokens.append(vocab.setdefault(tok, len(vocab)))
            owner.append(base + o)
            word_tokens[base + o] += 1
    return _Side(tokens, owner, word_tokens)


# ---------------------------------------------------------------------------------------------
# Edit-distance alignment of token sequences


def _unique_ngrams(seq: Sequence[int], n: int) -> dict[tuple[int, ...], int]:
    seen: dict[tuple[int, ...], int] = {}
    repeated: set[tuple[int, ...]] = set()
    for i in range(len(seq) - n + 1):
        gram = tuple(seq[i : i + n])
        if gram in seen:
            repeated.add(gram)
        else:
            seen[gram] = i
    return {g: i for g, i in seen.items() if g not in repeated}


def _increasing_chain(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of ``pairs`` (sorted by first item) whose second items strictly increase."""
    tails: list[int] = []  # smallest j ending a chain of each length
    tail_idx: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        back[k] = tail_idx[pos - 1] if pos else -1
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos], tail_idx[pos] = j, k
    chain, k = [], tail_idx[-1] if tail_idx else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def anchor_blocks(a: Sequence[int], b: Sequence[int], n: int) -> list[tuple[int, int, int]]:
    """Exactly matching blocks ``(i, j, size)``, in order on both sides, from unique n-grams."""
    if n < 1 or len(a) < n or len(b) < n:
        return []
    grams_b = _unique_ngrams(b, n)
    candidates = sorted((i, grams_b[g]) for g, i in _unique_ngrams(a, n).items() if g in grams_b)
    blocks: list[tuple[int, int, int]] = []
    for i, j in _increasing_chain(candidates):
        if blocks:
            bi, bj, size = blocks[-1]
            if i - j == bi - bj and i <= bi + size:  # same diagonal, touching: grow the block
                blocks[-1] = (bi, bj, max(size, i + n - bi))
                continue
            if i < bi + size or j < bj + size:
                continue
        blocks.append((i, j, n))
    return blocks


def _band(n: int, m: int, half_band: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Column window [lo, hi] of every row; the band follows the diagonal from (0,0) to (n,m)."""
    if half_band is None:
        return np.zeros(n + 1, np.int64), np.full(n + 1, m, np.int64)
    centre = np.rint(np.arange(n + 1) * (m / n)).astype(np.int64)
    width = max(half_band, int(np.ceil(m / n)) + 1)  # consecutive rows' windows must touch
    return np.clip(centre - width, 0, m), np.clip(centre + width, 0, m)


def _take(row: np.ndarray, lo: int, cols: np.ndarray) -> np.ndarray:
    """row[cols - lo] where that lies inside the row, else infinity."""
    idx = cols - lo
    inside = (idx >= 0) & (idx < len(row))
    return np.where(inside, row[np.clip(idx, 0, len(row) - 1)], _INF)


def edit_path(x: np.ndarray, y: np.ndarray, half_band: int | None = None) -> list[tuple[int, int]]:
    """Levenshtein alignment of ``x`` and ``y`` as pairs (i, j); -1 marks a gap on that side.

    Row by row, vectorised: a row's insertions come from a running minimum. Only the backtrace
    pointers are kept (one byte per cell inside the band).
    """
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return [(i, -1) for i in range(n)] + [(-1, j) for j in range(m)]
    lo, hi = _band(n, m, half_band)
    prev = np.arange(lo[0], hi[0] + 1, dtype=np.int64)
    pointers = [np.full(len(prev), _LEFT, np.uint8)]
    for i in range(1, n + 1):
        cols = np.arange(lo[i], hi[i] + 1)
        up = _take(prev, int(lo[i - 1]), cols) + 1
        diag = _take(prev, int(lo[i - 1]), cols - 1) + (y[np.maximum(cols - 1, 0)] != x[i - 1])
        best = np.minimum(diag, up)
        ptr = np.where(diag <= up, _DIAG, _UP).astype(np.uint8)
        offsets = np.arange(len(cols))
        row = np.minimum.accumulate(best - offsets) + offsets
        ptr[row < best] = _LEFT
        pointers.append(ptr)
        prev = row
    return _backtrace(pointers, lo, n, m)


def _backtrace(pointers: list[np.ndarray], lo: np.ndarray, n: int, m: int) -> list[tuple[int, int]]:
    path: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        move = _LEFT if i == 0 else pointers[i][j - lo[i]]
        if move == _DIAG:
            i, j = i - 1, j - 1
            path.append((i, j))
        elif move == _UP:
            i -= 1
            path.append((i, -1))
        else:
            j -= 1
            path.append((-1, j))
    return path[::-1]


def align_tokens(
    a: Sequence[int], b: Sequence[int], settings: ReconcileSettings = DEFAULT_SETTINGS
) -> list[tuple[int, int]]:
    """Edit-distance alignment of two token-id sequences: pairs (i, j), -1 for a gap."""
    xa, xb = np.asarray(a, np.int64), np.asarray(b, np.int64)
    pairs: list[tuple[int, int]] = []
    ai = bj = 0
    for i0, j0, size in [*anchor_blocks(a, b, settings.anchor_ngram), (len(a), len(b), 0)]:
        pairs += _align_stretch(xa, xb, ai, i0, bj, j0, settings)
        pairs += [(i0 + k, j0 + k) for k in range(size)]
        ai, bj = i0 + size, j0 + size
    return pairs


def _align_stretch(
    a: np.ndarray, b: np.ndarray, i0: int, i1: int, j0: int, j1: int, settings: ReconcileSettings
) -> list[tuple[int, int]]:
    cells = (i1 - i0 + 1) * (j1 - j0 + 1)
    band = None if cells <= settings.max_full_cells else settings.band_tokens
    if band is not None:
        log.debug("banded alignment of a %d x %d token stretch", i1 - i0, j1 - j0)
    return [
        (i + i0 if i >= 0 else -1, j + j0 if j >= 0 else -1)
        for i, j in edit_path(a[i0:i1], b[j0:j1], band)
    ]


# ---------------------------------------------------------------------------------------------
# Timing


def _clean_transcript(words: Sequence[Word], duration_ms: int) -> list[Word]:
    """Clamp to the recording, end >= start, starts never going backwards."""
    out: list[Word] = []
    floor = 0
    for w in words:
        start = min(max(int(w.start_ms), floor), duration_ms)
        end = min(max(int(w.end_ms), start), duration_ms)
        out.append(Word(w.text.strip(), start, end))
        floor = start
    return out


def _heard_spans(
    pairs: Sequence[tuple[int, int]], script: _Side, said: _Side, spoken: Sequence[Word]
) -> list[tuple[int, int] | None]:
    """(start, end) of every script word that met transcript words; None for the unheard."""
    met: dict[int, list[int]] = {}
    for i, j in pairs:
        if i >= 0 and j >= 0:
            tw = said.owner[j]
            lohi = met.setdefault(script.owner[i], [tw, tw])
            lohi[0], lohi[1] = min(lohi[0], tw), max(lohi[1], tw)
    spans: list[tuple[int, int] | None] = [None] * len(script.word_tokens)
    group: list[int] = []
    group_hi = -1
    for sw in sorted(met):
        first, last = met[sw]
        if group and first > group_hi:  # shares no transcript word with the group: close it
            _share_span(group, met, script.word_tokens, spoken, spans)
            group = []
        group_hi = max(group_hi, last) if group else last
        group.append(sw)
    if group:
        _share_span(group, met, script.word_tokens, spoken, spans)
    return spans


def _share_span(
    group: list[int],
    met: dict[int, list[int]],
    weights: Sequence[int],
    spoken: Sequence[Word],
    spans: list[tuple[int, int] | None],
) -> None:
    """Script words that met the same transcript words split those words' time by token count."""
    start = spoken[min(met[sw][0] for sw in group)].start_ms
    end = spoken[max(met[sw][1] for sw in group)].end_ms
    total = sum(max(weights[sw], 1) for sw in group)
    acc = 0
    for sw in group:
        a = start + (end - start) * acc // total
        acc += max(weights[sw], 1)
        spans[sw] = (a, start + (end - start) * acc // total)


def _fill_missing(
    spans: list[tuple[int, int] | None],
    weights: Sequence[int],
    duration_ms: int,
    s: ReconcileSettings,
) -> list[tuple[int, int]]:
    """Give every unheard word a short span between its heard neighbours."""
    out = list(spans)
    k = 0
    while k < len(out):
        if out[k] is not None:
            k += 1
            continue
        end = k
        while end < len(out) and out[end] is None:
            end += 1
        left = out[k - 1] if k > 0 else None
        right = out[end] if end < len(out) else None
        a = left[1] if left else 0
        b = right[0] if right else duration_ms
        run = range(k, end)
        if left is None and right is None:  # nothing heard at all: spread over the recording
            lo, hi = 0, duration_ms
        else:
            need = s.missing_word_ms * len(run)
            width = min(max(b - a, 0), need)
            lo = a + (max(b - a, 0) - width) // 2 if left and right else (b - width if right else a)
            hi = lo + width
        total = sum(max(weights[w], 1) for w in run)
        acc = 0
        for w in run:
            start = lo + (hi - lo) * acc // total
            acc += max(weights[w], 1)
            out[w] = (start, lo + (hi - lo) * acc // total)
        k = end
    return [span for span in out if span is not None]


def _monotone(
    spans: list[tuple[int, int]], minimum: Sequence[int], limit: int
) -> list[tuple[int, int]]:
    """Spans in order, each at least its minimum long, none overlapping, all before ``limit``.

    A forward pass pushes starts past the previous end; a backward pass pulls everything back
    under the limit. When the minimums don't fit the limit at all, the limit gives way.
    """
    limit = max(limit, sum(minimum))
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    floor = 0
    for k in range(len(spans)):
        starts[k] = max(starts[k], floor)
        ends[k] = max(ends[k], starts[k] + minimum[k])
        floor = ends[k]
    ceiling = limit
    for k in range(len(spans) - 1, -1, -1):
        ends[k] = min(ends[k], ceiling)
        starts[k] = min(starts[k], ends[k] - minimum[k])
        ceiling = starts[k]
    return list(zip(starts, ends, strict=True))


# ---------------------------------------------------------------------------------------------
# Deviations


@dataclass(frozen=True)
class _Context:
    """What deviation finding needs to know about the aligned texts."""

    script_words: Sequence[str]
    word_frag: Sequence[int]  # fragment index of each script word
    frag_ids: Sequence[str]
    frag_texts: Sequence[str]
    frag_unheard: Sequence[bool]  # every token of the fragment was skipped
    script_hits: Sequence[int]  # exactly matched tokens of each script word
    script_matched: Sequence[bool]  # script word at least half matched exactly
    spoken_matched: Sequence[bool]  # transcript word at least half matched exactly
    spans: Sequence[tuple[int, int]]  # final script word times
    spoken: Sequence[Word]


def _kind(i: int, j: int, script: _Side, said: _Side) -> str:
    if i >= 0 and j >= 0:
        return MATCH if script.tokens[i] == said.tokens[j] else SUBSTITUTE
    return DELETE if i >= 0 else INSERT


def _exact_hits(
    pairs: Sequence[tuple[int, int]], side: _Side, which: int, exact: Sequence[bool]
) -> list[int]:
    """Exactly matched tokens of every word on one side (``which``: 0 script, 1 transcript)."""
    hits = [0] * len(side.word_tokens)
    for p, ok in zip(pairs, exact, strict=True):
        if ok:
            hits[side.owner[p[which]]] += 1
    return hits


def _mostly(hits: Sequence[int], side: _Side) -> list[bool]:
    return [n > 0 and 2 * h >= n for h, n in zip(hits, side.word_tokens, strict=True)]


def _runs(
    pairs: Sequence[tuple[int, int]], exact: Sequence[bool], script: _Side, ctx: _Context
) -> list[list[tuple[int, int, int]]]:
    """Runs of non-matching pairs, split where the script fragment changes: (i, j, fragment)."""
    runs: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    frag = (
        ctx.word_frag[script.owner[next((i for i, _ in pairs if i >= 0), 0)]] if script.owner else 0
    )
    for (i, j), ok in zip(pairs, exact, strict=True):
        if i >= 0:
            frag = ctx.word_frag[script.owner[i]]
        if ok:
            if current:
                runs.append(current)
            current = []
            continue
        if current and current[-1][2] != frag:
            runs.append(current)
            current = []
        current.append((i, j, frag))
    if current:
        runs.append(current)
    return runs


def _deviation(
    run: list[tuple[int, int, int]], script: _Side, said: _Side, ctx: _Context
) -> Deviation | None:
    frag = run[0][2]
    s_words = list(dict.fromkeys(script.owner[i] for i, _, _ in run if i >= 0))
    t_words = list(dict.fromkeys(said.owner[j] for _, j, _ in run if j >= 0))
    s_words = [w for w in s_words if not ctx.script_matched[w]]
    t_words = [w for w in t_words if not ctx.spoken_matched[w]]
    script_text = " ".join(ctx.script_words[w] for w in s_words)
    spoken_text = " ".join(ctx.spoken[w].text for w in t_words)
    fid = ctx.frag_ids[frag]
    if t_words:
        kind = "substituted" if s_words else "inserted"
        return Deviation(kind, ctx.spoken[t_words[0]].start_ms, script_text, spoken_text, fid)
    if not s_words:
        return None
    if ctx.frag_unheard[frag]:
        return Deviation(
            "skipped-sentence", ctx.spans[s_words[0]][0], ctx.frag_texts[frag], "", fid
        )
    return Deviation("skipped", ctx.spans[s_words[0]][0], script_text, "", fid)


# ---------------------------------------------------------------------------------------------
# The whole step


def reconcile(
    fragments: Sequence[FragmentInput],
    words: Sequence[Word],
    duration_ms: int,
    settings: ReconcileSettings = DEFAULT_SETTINGS,
) -> tuple[tuple[Fragment, ...], tuple[Deviation, ...]]:
    """Script fragments timed by a transcript's words, and where the read departed from the script.

    ``words`` is the transcript in spoken order with times in ms. Fragments keep the script's
    text and words; they come back in script order, never overlapping, every word longer than
    zero. Deviations are in reading order.
    """
    spoken = _clean_transcript(words, duration_ms)
    frag_words = [f.text.split() or [f.text] for f in fragments]
    script_words = [w for ws in frag_words for w in ws]
    word_frag = [fi for fi, ws in enumerate(frag_words) for _ in ws]
    vocab: dict[str, int] = {}
    script = _build_side(_chunks(script_words, settings.chunk_words), vocab)
    said = _build_side(_chunks([w.text for w in spoken], settings.chunk_words), vocab)
    pairs = align_tokens(script.tokens, said.tokens, settings)
    heard = _heard_spans(pairs, script, said, spoken)
    spans = _fill_missing(heard, script.word_tokens, duration_ms, settings)
    minimum = [max(1, settings.min_word_ms if h else settings.min_missing_word_ms) for h in heard]
    spans = _monotone(spans, minimum, duration_ms)
    exact = [_kind(i, j, script, said) == MATCH for i, j in pairs]
    ctx = _context(
        fragments, script_words, word_frag, script, said, pairs, exact, heard, spans, spoken
    )
    timed = _fragments(fragments, frag_words, word_frag, spans, script, ctx)
    deviations = (_deviation(run, script, said, ctx) for run in _runs(pairs, exact, script, ctx))
    found = tuple(d for d in deviations if d is not None)
    log.info(
        "reconciled %d fragments with %d transcript words: %d deviations",
        len(fragments),
        len(spoken),
        len(found),
    )
    return timed, found


def _context(
    fragments: Sequence[FragmentInput],
    script_words: Sequence[str],
    word_frag: Sequence[int],
    script: _Side,
    said: _Side,
    pairs: Sequence[tuple[int, int]],
    exact: Sequence[bool],
    heard: Sequence[tuple[int, int] | None],
    spans: Sequence[tuple[int, int]],
    spoken: Sequence[Word],
) -> _Context:
    script_hits = _exact_hits(pairs, script, 0, exact)
    tokens_in = [0] * len(fragments)
    heard_in = [0] * len(fragments)
    for w, fi in enumerate(word_frag):
        tokens_in[fi] += script.word_tokens[w]
        heard_in[fi] += heard[w] is not None
    return _Context(
        script_words=script_words,
        word_frag=word_frag,
        frag_ids=[f.id for f in fragments],
        frag_texts=[f.text for f in fragments],
        frag_unheard=[t > 0 and h == 0 for t, h in zip(tokens_in, heard_in, strict=True)],
        script_hits=script_hits,
        script_matched=_mostly(script_hits, script),
        spoken_matched=_mostly(_exact_hits(pairs, said, 1, exact), said),
        spans=spans,
        spoken=spoken,
    )


def _fragments(
    fragments: Sequence[FragmentInput],
    frag_words: Sequence[Sequence[str]],
    word_frag: Sequence[int],
    spans: Sequence[tuple[int, int]],
    script: _Side,
    ctx: _Context,
) -> tuple[Fragment, ...]:
    out = []
    first = 0
    for f, ws in zip(fragments, frag_words, strict=True):
        idx = range(first, first + len(ws))
        first += len(ws)
        timed = tuple(Word(text, *spans[w]) for text, w in zip(ws, idx, strict=True))
        tokens = sum(script.word_tokens[w] for w in idx)
        confidence = sum(ctx.script_hits[w] for w in idx) / tokens if tokens else 1.0
        words = timed if f.text.split() else ()
        out.append(
            Fragment(f.id, f.text, timed[0].start_ms, timed[-1].end_ms, words, round(confidence, 3))
        )
    return tuple(out)
