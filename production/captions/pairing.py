"""Share a Chinese translation over the English cues of its sentence(s).

Dynamic programming over (English cues used, Chinese units used): each Chinese part takes one
English cue (or, in the Chinese-only track, a few consecutive ones) and a run of units that
lays out in the allowed lines. Cost: distance from the share the English text would give it,
reading speed over the target, breaks that are not at punctuation, an extra line, an empty
part (stacked track only). Units never split, so words, Latin names and middle-dot names stay
whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .chinese import Layouter, Unit, split_wide, units
from .measure import en_chars, zh_width
from .segment import Chunk
from .settings import CaptionSettings

PART_COST = 8.0  # every Chinese cue
GROUP_COST = 6.0  # per extra English cue a Chinese cue spans
PROPORTION_COST_PER_CHAR = 1.5  # per character away from the English share
OVER_TARGET_COST_PER_CPS = 10.0  # Chinese reading speed over the target
TWO_LINE_COST = 2.0
LAYOUT_WEIGHT = 0.3
EMPTY_PART_COST = 60.0  # an English cue with no Chinese over it (stacked track)
MAX_GROUP = 3  # English cues one Chinese cue may span


@dataclass(frozen=True)
class ZhPart:
    first: int  # index of the first English cue (chunk) it spans, within the block
    last: int  # index of the last one (inclusive)
    lines: tuple[str, ...]  # () for an empty part


@dataclass(frozen=True)
class PairOptions:
    max_lines: int  # Chinese lines per cue
    allow_groups: bool  # a Chinese cue may span several English cues (Chinese-only track)
    allow_empty: bool  # an English cue may have no Chinese (stacked track)
    relaxed: bool = False  # last resort: lines may overflow (QC reports it)


def distribute(
    zh: str, chunks: Sequence[Chunk], options: PairOptions, settings: CaptionSettings
) -> list[ZhPart] | None:
    """Chinese parts over ``chunks`` in order, or None when the text cannot fit them."""
    width = math.inf if options.relaxed else settings.zh_max_chars_per_line
    pieces = split_wide(units(zh), settings.zh_max_chars_per_line)
    if not pieces:
        return [ZhPart(k, k, ()) for k in range(len(chunks))] if options.allow_empty else []
    solver = _Solver(
        pieces, chunks, options, settings, Layouter(pieces, width, settings.zh_pause_mark)
    )
    return solver.solve()


class _Solver:
    def __init__(
        self,
        pieces: list[Unit],
        chunks: Sequence[Chunk],
        options: PairOptions,
        settings: CaptionSettings,
        layouter: Layouter,
    ) -> None:
        self.pieces, self.chunks, self.options, self.settings = pieces, chunks, options, settings
        self.layouter = layouter
        self.cum_en = _prefix([max(en_chars(c.text), 1) for c in chunks])
        self.cum_zh = _prefix([zh_width(p.text) for p in pieces])
        self.capacity = (
            math.inf if options.relaxed else settings.zh_max_chars_per_line
        ) * options.max_lines

    def solve(self) -> list[ZhPart] | None:
        n_chunks, n_units = len(self.chunks), len(self.pieces)
        best: dict[tuple[int, int], tuple[float, tuple[int, int], ZhPart]] = {}
        reached = {(0, 0): 0.0}
        for k in range(n_chunks):
            for j in range(n_units + 1):
                if (k, j) not in reached:
                    continue
                for key, cost, part in self._moves(k, j):
                    total = reached[(k, j)] + cost
                    if total < reached.get(key, math.inf):
                        reached[key] = total
                        best[key] = (total, (k, j), part)
        return self._trace(best, (n_chunks, n_units))

    def _moves(self, k: int, j: int) -> Iterator[tuple[tuple[int, int], float, ZhPart]]:
        groups = MAX_GROUP if self.options.allow_groups else 1
        for g in range(1, groups + 1):
            k2 = k + g
            if k2 > len(self.chunks):
                break
            duration = self.chunks[k2 - 1].end_ms - self.chunks[k].start_ms
            if g > 1 and duration > self.settings.max_cue_ms:
                break
            first = j if self.options.allow_empty else j + 1
            for j2 in range(first, len(self.pieces) + 1):
                if self.cum_zh[j2] - self.cum_zh[j] > self.capacity + 1:
                    break
                cost = self._cost(k, k2, j, j2, duration)
                if cost is not None:
                    yield (k2, j2), cost[0], ZhPart(k, k2 - 1, cost[1])

    def _cost(
        self, k: int, k2: int, j: int, j2: int, duration: int
    ) -> tuple[float, tuple[str, ...]] | None:
        if j2 == j:
            return EMPTY_PART_COST, ()
        lay = self.layouter.layout(j, j2, self.options.max_lines if not self.options.relaxed else 1)
        if lay is None:
            return None
        cost = PART_COST + GROUP_COST * (k2 - k - 1)
        share = self.cum_en[k2] / self.cum_en[-1] * self.cum_zh[-1]
        cost += PROPORTION_COST_PER_CHAR * abs(self.cum_zh[j2] - share)
        if j2 < len(self.pieces):
            cost += self.pieces[j2 - 1].after
        speed = lay.width * 1000.0 / max(duration, 1)
        cost += OVER_TARGET_COST_PER_CPS * max(0.0, speed - self.settings.zh_target_cps)
        if len(lay.lines) > 1:
            cost += TWO_LINE_COST + LAYOUT_WEIGHT * lay.cost
        return cost, lay.lines

    @staticmethod
    def _trace(
        best: dict[tuple[int, int], tuple[float, tuple[int, int], ZhPart]], end: tuple[int, int]
    ) -> list[ZhPart] | None:
        if end not in best:
            return None
        parts, key = [], end
        while key != (0, 0):
            _, key, part = best[key]
            parts.append(part)
        return list(reversed(parts))


def _prefix(values: Sequence[float]) -> list[float]:
    out = [0.0]
    for v in values:
        out.append(out[-1] + v)
    return out
