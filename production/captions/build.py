"""Aligned sentences (+ an optional Chinese translation) -> every caption track."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Cue, Sentence, ZhPair
from .bilingual import TrackPlan, chinese_cues, english_cues, plan_track, stacked_cues
from .chinese import to_traditional
from .pairing import PairOptions
from .segment import Block, Limits, plan_blocks, timed_sentences
from .settings import CaptionError, CaptionSettings

Span = tuple[int, int]  # (speech onset, speech offset) of a cue, ms


@dataclass(frozen=True)
class CaptionSet:
    en: tuple[Cue, ...]
    zh: tuple[Cue, ...] = ()  # zh-Hans; empty when there is no translation
    bilingual: tuple[Cue, ...] = ()  # Chinese over English; empty when there is no translation
    zh_hant: tuple[Cue, ...] = ()  # only with settings.traditional
    # speech each cue covers, per track name ("en", "zh", "bilingual", "zh_hant"): for sync QC
    speech: dict[str, tuple[Span, ...]] = field(default_factory=dict, compare=False)

    def tracks(self) -> dict[str, tuple[Cue, ...]]:
        """Non-empty tracks by name."""
        named = {"en": self.en, "zh": self.zh, "bilingual": self.bilingual, "zh_hant": self.zh_hant}
        return {name: cues for name, cues in named.items() if cues}


def build_captions(
    sentences: Sequence[Sentence],
    zh_pairs: Sequence[ZhPair] | None,
    settings: CaptionSettings | None = None,
) -> CaptionSet:
    """Every caption track for aligned ``sentences`` and, when given, their Chinese pairs."""
    settings = settings or CaptionSettings()
    timed = timed_sentences(sentences, settings.en_max_chars_per_line)
    if not timed:
        return CaptionSet(en=())
    blocks = plan_blocks(_groups(timed, zh_pairs, sentences), settings)
    en_limits = Limits(settings.en_max_chars_per_line, settings.max_lines)
    en_plan = plan_track([Block(b.sentences) for b in blocks], en_limits, _NO_ZH, settings)
    speech = {"en": _spans(en_plan)}
    if zh_pairs is None:
        return CaptionSet(en=english_cues(en_plan), speech=speech)
    zh_plan = plan_track(blocks, en_limits, _zh_options(settings), settings)
    bi_limits = Limits(settings.en_max_chars_per_line, settings.bilingual_en_lines)
    bi_plan = plan_track(blocks, bi_limits, _stacked_options(settings), settings)
    zh = chinese_cues(zh_plan, settings)
    speech |= {"zh": _part_spans(zh_plan), "bilingual": _spans(bi_plan)}
    hant: tuple[Cue, ...] = ()
    if settings.traditional:
        hant = tuple(_traditional(c, settings) for c in zh)
        speech["zh_hant"] = speech["zh"]
    return CaptionSet(english_cues(en_plan), zh, stacked_cues(bi_plan), hant, speech)


_NO_ZH = PairOptions(max_lines=1, allow_groups=False, allow_empty=True)


def _zh_options(settings: CaptionSettings) -> PairOptions:
    return PairOptions(settings.max_lines, allow_groups=True, allow_empty=False)


def _stacked_options(settings: CaptionSettings) -> PairOptions:
    return PairOptions(settings.bilingual_zh_lines, allow_groups=False, allow_empty=True)


def _spans(plan: TrackPlan) -> tuple[Span, ...]:
    """Speech under each English (or stacked) cue of the plan."""
    return tuple((c.speech_start_ms, c.speech_end_ms) for c in plan.chunks)


def _part_spans(plan: TrackPlan) -> tuple[Span, ...]:
    """Speech under each Chinese cue of the plan."""
    chunks = plan.chunks
    return tuple(
        (chunks[first].speech_start_ms, chunks[last].speech_end_ms) for first, last, _ in plan.parts
    )


def _traditional(cue: Cue, settings: CaptionSettings) -> Cue:
    lines = tuple(to_traditional(line, settings.opencc_config) for line in cue.lines)
    return Cue(cue.start_ms, cue.end_ms, lines, "zh-Hant")


def _groups(
    timed: Sequence[Sentence], zh_pairs: Sequence[ZhPair] | None, given: Sequence[Sentence]
) -> list[tuple[tuple[Sentence, ...], str | None]]:
    """Sentences grouped by translation pair (one sentence per group without a translation)."""
    if zh_pairs is None:
        return [((s,), None) for s in timed]
    by_id = {s.id: s for s in timed}
    _check_pairs(zh_pairs, [s.id for s in given])
    groups: list[tuple[tuple[Sentence, ...], str | None]] = []
    for pair in zh_pairs:
        members = tuple(by_id[i] for i in pair.en_ids if i in by_id)
        if members:
            groups.append((members, pair.zh))
    return groups


def _check_pairs(zh_pairs: Sequence[ZhPair], ids: Sequence[str]) -> None:
    paired = [i for pair in zh_pairs for i in pair.en_ids]
    if paired == list(ids):
        return
    unknown = sorted(set(paired) - set(ids))
    missing = [i for i in ids if i not in set(paired)]
    detail = (
        f"unknown sentence ids {unknown[:3]}"
        if unknown
        else f"sentences without a translation {missing[:3]}"
        if missing
        else "sentence ids paired twice or out of order"
    )
    raise CaptionError(
        f"Chinese pairs do not match the English sentences ({detail}): re-pair the translation"
    )
