"""Tracks that carry Chinese: the Chinese-only track and the stacked bilingual track.

Both start from English cues of each block and share the block's Chinese over them
(pairing.py). When the Chinese cannot fit (a translation much longer than its English), the
block's English is cut into smaller cues, step by step down a ladder of line limits; only
when no step fits does the Chinese overflow its lines, which the QC then reports.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Cue
from .measure import en_chars
from .pairing import PairOptions, ZhPart, distribute
from .segment import Block, Chunk, Limits, join_blocks, segment_block, too_short
from .settings import CaptionSettings
from .timing import settle

log = logging.getLogger(__name__)

LADDER_WIDTHS = (1.0, 0.85, 0.7, 0.55)  # English line width, as a share of the limit, step by step


@dataclass(frozen=True)
class TrackPlan:
    chunks: tuple[Chunk, ...]  # English cues of the whole track, final times
    parts: tuple[tuple[int, int, tuple[str, ...]], ...]  # (first chunk, last chunk, Chinese lines)


def ladder(first: Limits, settings: CaptionSettings, longest_word: int = 0) -> list[Limits]:
    """The first limits, then one-line limits of decreasing width, never narrower than the
    block's longest word: narrowing is for shorter cues, not for cutting words (a word longer
    than a full line is already in pieces, segment.glue_pieces)."""
    full = settings.en_max_chars_per_line
    steps = [first]
    for share in LADDER_WIDTHS:
        step = Limits(max(10, int(full * share), min(longest_word, full)), 1)
        if step not in steps:
            steps.append(step)
    return steps


def plan_track(
    blocks: Sequence[Block], first: Limits, options: PairOptions, settings: CaptionSettings
) -> TrackPlan:
    """English cues and Chinese parts for every block, with final cue times.

    A cue left under the minimum duration at the edge of its block (its neighbour in the next
    or previous block took the time) makes the two blocks one, and the track is planned again.
    """
    blocks = list(blocks)
    cache: dict[tuple[Block, int | None], tuple[list[Chunk], list[ZhPart]]] = {}
    while True:
        plan, owner = _plan_blocks(blocks, first, options, settings, cache)
        pair = _blocks_to_join(plan, owner, settings)
        if pair is None:
            return plan
        a, b = pair
        blocks[a : b + 1] = [join_blocks(blocks[a], blocks[b])]


def _plan_blocks(
    blocks: Sequence[Block],
    first: Limits,
    options: PairOptions,
    settings: CaptionSettings,
    cache: dict[tuple[Block, int | None], tuple[list[Chunk], list[ZhPart]]],
) -> tuple[TrackPlan, list[int]]:
    """The plan, and for every chunk the index of its block."""
    chunks: list[Chunk] = []
    owner: list[int] = []
    parts: list[tuple[int, int, tuple[str, ...]]] = []
    for i, block in enumerate(blocks):
        onset = blocks[i + 1].speech_ms[0] if i + 1 < len(blocks) else None
        if (block, onset) not in cache:
            cache[(block, onset)] = _plan_block(block, onset, first, options, settings)
        block_chunks, block_parts = cache[(block, onset)]
        offset = len(chunks)
        chunks.extend(block_chunks)
        owner.extend([i] * len(block_chunks))
        parts.extend((offset + p.first, offset + p.last, p.lines) for p in block_parts if p.lines)
    return TrackPlan(tuple(settle(chunks, settings)), tuple(parts)), owner


def _blocks_to_join(
    plan: TrackPlan, owner: Sequence[int], settings: CaptionSettings
) -> tuple[int, int] | None:
    """(a, a + 1): two blocks to plan as one, because a cue on their border is too short."""
    chunks = plan.chunks
    for i, chunk in enumerate(chunks):
        if chunk.end_ms - chunk.start_ms >= settings.min_cue_ms:
            continue
        before = i > 0 and owner[i - 1] != owner[i]
        after = i + 1 < len(chunks) and owner[i + 1] != owner[i]
        if before and after:
            gap_before = chunk.speech_start_ms - chunks[i - 1].speech_end_ms
            gap_after = chunks[i + 1].speech_start_ms - chunk.speech_end_ms
            after = gap_after < gap_before
        if after:
            return owner[i], owner[i + 1]
        if before:
            return owner[i - 1], owner[i]
    return None


def _plan_block(
    block: Block, onset: int | None, first: Limits, options: PairOptions, settings: CaptionSettings
) -> tuple[list[Chunk], list[ZhPart]]:
    steps = ladder(first, settings, max(en_chars(w.text) for w in block.words))
    if block.zh is None:
        return segment_block(block, onset, first, settings), []
    tried: list[tuple[list[Chunk], list[ZhPart] | None]] = []
    for limits in steps:
        chunks = segment_block(block, onset, limits, settings)
        parts = distribute(block.zh, chunks, options, settings)
        if parts is not None and not too_short(chunks, settings):
            return chunks, parts
        tried.append((chunks, parts))
    fitting = [(chunks, parts) for chunks, parts in tried if parts is not None]
    if fitting:  # the Chinese fits, but a cue is shorter than the speech allows: QC reports it
        return fitting[0]
    timely = [chunks for chunks, _ in tried if not too_short(chunks, settings)]
    chunks = timely[-1] if timely else tried[-1][0]
    relaxed = PairOptions(options.max_lines, options.allow_groups, allow_empty=True, relaxed=True)
    log.warning(
        "Chinese for %s does not fit its English cues; its lines will be too long",
        ", ".join(s.id for s in block.sentences),
    )
    return chunks, distribute(block.zh, chunks, relaxed, settings) or []


def english_cues(plan: TrackPlan) -> tuple[Cue, ...]:
    return tuple(Cue(c.start_ms, c.end_ms, c.lines, "en") for c in plan.chunks)


def chinese_cues(
    plan: TrackPlan, settings: CaptionSettings, lang: str = "zh-Hans"
) -> tuple[Cue, ...]:
    """One cue per Chinese part, from its first English cue's in-time to its last one's
    out-time; an out-time the English kept late for its own reading speed comes back to
    0.5 s after the speech (but never under the minimum duration)."""
    cues = []
    for first, last, lines in plan.parts:
        start, end = plan.chunks[first].start_ms, plan.chunks[last].end_ms
        speech_end = plan.chunks[last].speech_end_ms
        end = min(end, max(speech_end + settings.trail_ms, start + settings.min_cue_ms))
        cues.append(Cue(start, end, lines, lang))
    return tuple(cues)


def stacked_cues(plan: TrackPlan) -> tuple[Cue, ...]:
    """Chinese line(s) over the English line(s) of the same cue."""
    zh_by_chunk = {first: lines for first, _, lines in plan.parts}
    return tuple(
        Cue(c.start_ms, c.end_ms, (*zh_by_chunk.get(i, ()), *c.lines), "bilingual")
        for i, c in enumerate(plan.chunks)
    )
