"""Translation ingest: script.zh.txt (a line per English body paragraph) -> sentence pairs.

Within a paragraph, Chinese and English sentences are paired by length, after Gale & Church
(1993), "A Program for Aligning Sentences in Bilingual Corpora", Computational Linguistics
19(1): a dynamic programme over sentence "beads" (1-1, 1-2, 2-1, 2-2, and rarely 1-0/0-1)
whose cost is how unlikely the two lengths are to be translations of each other.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ScriptError
from .models import Script, Sentence, ZhPair
from .script import read_text

log = logging.getLogger(__name__)

# Bead priors from Gale & Church (1993), table 5 (measured on the Canadian Hansard):
# P(1-1)=.89, P(1-0 or 0-1)=.0099, P(2-1 or 1-2)=.089, P(2-2)=.011; split evenly between mirrors.
# (English sentences, Chinese sentences) -> prior probability.
BEAD_PRIORS: dict[tuple[int, int], float] = {
    (1, 1): 0.89,
    (1, 0): 0.0099 / 2,
    (0, 1): 0.0099 / 2,
    (2, 1): 0.089 / 2,
    (1, 2): 0.089 / 2,
    (2, 2): 0.011,
}

# Variance of the length difference per character, Gale & Church's s² = 6.8.
LENGTH_VARIANCE = 6.8

# Chinese sentences end at these marks (full stop, exclamation, question, semicolon, ellipsis),
# with any closing quotes or brackets kept on the sentence they close.
ZH_SENTENCE_END = re.compile(r"(?:[。！？；!?]+|…+|\.{3,})[”’」』）)\]\"']*")

# The first words of a paragraph quoted in error messages.
QUOTE_WORDS = 6


@dataclass(frozen=True)
class PairingSettings:
    # prior probability of each bead (English sentences, Chinese sentences)
    bead_priors: Mapping[tuple[int, int], float] = field(default_factory=lambda: dict(BEAD_PRIORS))
    # variance of the length difference per character (Gale & Church's s²)
    length_variance: float = LENGTH_VARIANCE
    # a paragraph whose Chinese/English length ratio is this many times above or below the
    # script's median is logged as a likely misplaced line (about 2.5x covers honest variation
    # from numbers and Latin names, which count fully on both sides)
    odd_ratio_factor: float = 2.5
    # when paragraph counts differ by up to this many, each missing/extra paragraph is searched
    # for (cost grows as count difference x paragraphs²); beyond it a rough alignment is used
    max_paragraph_search: int = 5

    def __post_init__(self) -> None:
        # 1-0 and 0-1 beads keep every cell of the programme reachable
        beads = set(self.bead_priors)
        moves_forward = all(di >= 0 and dj >= 0 and di + dj >= 1 for di, dj in beads)
        if (
            not {(1, 0), (0, 1)} <= beads
            or not moves_forward
            or min(self.bead_priors.values()) <= 0
        ):
            raise ValueError(
                "bead_priors needs positive priors for beads of one or more sentences, "
                "including (1, 0) and (0, 1)"
            )


DEFAULT_SETTINGS = PairingSettings()


@dataclass(frozen=True)
class Bead:
    en: tuple[int, int]  # [start, end) indices of English sentences
    zh: tuple[int, int]  # [start, end) indices of Chinese sentences


def split_zh_sentences(paragraph: str) -> list[str]:
    """Split a Chinese paragraph after 。！？；… (closing quotes stay with their sentence)."""
    cuts = [m.end() for m in ZH_SENTENCE_END.finditer(paragraph)]
    pieces = [
        paragraph[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(paragraph)], strict=True)
    ]
    return [p for p in pieces if p]


def content_length(text: str) -> int:
    """Characters that carry content, Chinese or English: spaces don't count."""
    return sum(1 for ch in text if not ch.isspace())


# ---------------------------------------------------------------------------------------------
# Gale–Church


def bead_cost(
    en_len: int, zh_len: int, ratio: float, prior: float, variance: float = LENGTH_VARIANCE
) -> float:
    """-log P(bead) - log P(lengths | bead): Gale & Church's distance (ratio: zh per en char)."""
    zh_as_en = zh_len / ratio
    mean = (en_len + zh_as_en) / 2
    z = (zh_as_en - en_len) / math.sqrt(variance * mean) if mean > 0 else 0.0
    tail = max(math.erfc(abs(z) / math.sqrt(2)), 1e-300)  # 2 * (1 - Phi(|z|))
    return -math.log(prior) - math.log(tail)


def align_lengths(
    en: Sequence[int],
    zh: Sequence[int],
    ratio: float | None = None,
    settings: PairingSettings = DEFAULT_SETTINGS,
) -> list[Bead]:
    """The cheapest sequence of beads covering both sentence lists, in order.

    ``ratio`` is Chinese characters per English character; by default estimated from the totals.
    """
    ratio = ratio or (sum(zh) / sum(en) if sum(en) and sum(zh) else 1.0)
    cost = [[math.inf] * (len(zh) + 1) for _ in range(len(en) + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (len(zh) + 1) for _ in range(len(en) + 1)]
    cost[0][0] = 0.0
    for i in range(len(en) + 1):
        for j in range(len(zh) + 1):
            for (di, dj), prior in settings.bead_priors.items():
                if i < di or j < dj or cost[i - di][j - dj] == math.inf:
                    continue
                lengths = sum(en[i - di : i]), sum(zh[j - dj : j])
                c = cost[i - di][j - dj] + bead_cost(
                    *lengths, ratio, prior, settings.length_variance
                )
                if c < cost[i][j]:
                    cost[i][j], back[i][j] = c, (di, dj)
    return _backtrack(back, len(en), len(zh))


def _backtrack(back: list[list[tuple[int, int] | None]], i: int, j: int) -> list[Bead]:
    beads: list[Bead] = []
    while i or j:
        step = back[i][j]
        assert step is not None  # every cell is reachable through 1-0 and 0-1 beads
        di, dj = step
        beads.append(Bead((i - di, i), (j - dj, j)))
        i, j = i - di, j - dj
    return beads[::-1]


# ---------------------------------------------------------------------------------------------
# Pairing


def pair_translation(
    script: Script, zh_text: str, settings: PairingSettings = DEFAULT_SETTINGS
) -> tuple[ZhPair, ...]:
    """Pair each paragraph's Chinese sentences with its English sentence ids.

    ``zh_text`` has one line per body paragraph (blank lines ignored). Every English id
    appears in exactly one pair, in script order.
    """
    zh_paragraphs = [line.strip() for line in zh_text.splitlines() if line.strip()]
    _check_paragraph_count(script, zh_paragraphs, settings)
    _warn_odd_lengths(script, zh_paragraphs, settings)
    pairs: list[ZhPair] = []
    for english, chinese in zip(script.paragraphs, zh_paragraphs, strict=True):
        pairs.extend(pair_paragraph(english, split_zh_sentences(chinese), settings))
    return tuple(pairs)


def pair_paragraph(
    english: Sequence[Sentence],
    chinese: Sequence[str],
    settings: PairingSettings = DEFAULT_SETTINGS,
) -> list[ZhPair]:
    """Pairs for one paragraph. An English sentence left untranslated (a 1-0 bead) gets ""."""
    en = [content_length(s.text) for s in english]
    beads = align_lengths(en, [content_length(z) for z in chinese], settings=settings)
    pairs: list[ZhPair] = []
    orphan = ""  # Chinese with no English (a 0-1 bead) joins the next pair, or the last one
    for bead in beads:
        ids = tuple(s.id for s in english[bead.en[0] : bead.en[1]])
        zh = "".join(chinese[bead.zh[0] : bead.zh[1]])
        if not ids:
            orphan += zh
            continue
        pairs.append(ZhPair(ids, orphan + zh))
        orphan = ""
    if orphan and pairs:
        pairs[-1] = ZhPair(pairs[-1].en_ids, pairs[-1].zh + orphan)
    return pairs


def paragraph_lengths(script: Script, zh_paragraphs: Sequence[str]) -> tuple[list[int], list[int]]:
    en = [sum(content_length(s.text) for s in p) for p in script.paragraphs]
    return en, [content_length(p) for p in zh_paragraphs]


def _check_paragraph_count(
    script: Script, zh_paragraphs: Sequence[str], settings: PairingSettings
) -> None:
    en_count, zh_count = len(script.paragraphs), len(zh_paragraphs)
    if en_count == zh_count:
        return
    first = first_differing_paragraph(script, zh_paragraphs, settings)
    where = f"after paragraph {en_count}, the last"
    if first < en_count:
        words = " ".join(s.text for s in script.paragraphs[first]).split()[:QUOTE_WORDS]
        where = f'at paragraph {first + 1} ("{" ".join(words)} …")'
    raise ScriptError(
        f"the translation has {zh_count} paragraphs but the script has {en_count}; they first "
        f"differ {where}: put exactly one Chinese line per English body paragraph, in the same "
        "order, without the title or credits"
    )


def first_differing_paragraph(
    script: Script, zh_paragraphs: Sequence[str], settings: PairingSettings = DEFAULT_SETTINGS
) -> int:
    """0-based index of the first English paragraph that has no Chinese line of its own.

    Paragraphs are dropped one at a time from the longer side, each time the one whose removal
    leaves the most consistent Chinese/English length ratios; the earliest drop is reported.
    Counts that differ by more than ``settings.max_paragraph_search`` fall back to where a
    Gale–Church alignment of the paragraphs first leaves one-to-one.
    """
    en, zh = paragraph_lengths(script, zh_paragraphs)
    if abs(len(en) - len(zh)) > settings.max_paragraph_search:
        beads = align_lengths(en, zh, settings=settings)
        return next((b.en[0] for b in beads if b.en[1] - b.en[0] != 1 or b.zh[1] - b.zh[0] != 1), 0)
    en_left, zh_left = list(range(len(en))), list(range(len(zh)))
    dropped_at: list[int] = []
    while len(en_left) != len(zh_left):
        longer = zh_left if len(zh_left) > len(en_left) else en_left
        pos = min(range(len(longer)), key=lambda p: _misfit(en, zh, en_left, zh_left, longer, p))
        dropped_at.append(en_left[pos] if pos < len(en_left) else len(en))
        del longer[pos]
    return min(dropped_at)


def _misfit(
    en: Sequence[int],
    zh: Sequence[int],
    en_left: list[int],
    zh_left: list[int],
    longer: list[int],
    pos: int,
) -> float:
    """Spread of the log length ratios once ``longer[pos]`` is left out (L1 about the median)."""
    kept = longer[:pos] + longer[pos + 1 :]
    pairs = zip(
        en_left if longer is zh_left else kept, kept if longer is zh_left else zh_left, strict=False
    )
    logs = [math.log(zh[j] / en[i]) for i, j in pairs if en[i] and zh[j]]
    if not logs:
        return 0.0
    middle = statistics.median(logs)
    return sum(abs(x - middle) for x in logs)


def _warn_odd_lengths(
    script: Script, zh_paragraphs: Sequence[str], settings: PairingSettings
) -> None:
    """Same counts can still hide a swapped or misplaced line: its length ratio gives it away."""
    en, zh = paragraph_lengths(script, zh_paragraphs)
    ratios = [z / e for e, z in zip(en, zh, strict=True) if e and z]
    if len(ratios) < 3:
        return
    median = statistics.median(ratios)
    for number, (e, z) in enumerate(zip(en, zh, strict=True), start=1):
        factor = (z / e) / median if e and z else math.inf
        if not 1 / settings.odd_ratio_factor <= factor <= settings.odd_ratio_factor:
            log.warning(
                "translation paragraph %d is %.1f times the usual length for its English: "
                "check that the Chinese lines are in the script's order",
                number,
                factor,
            )


# A translation whose letters are less than this share Chinese characters is not a Chinese
# translation (an English file named by mistake); real ones hold Latin names and units, rarely a
# tenth of their letters.
MIN_HAN_SHARE = 0.25
# Distinct Traditional-only characters (ones OpenCC's t2s changes) at which, when they outnumber
# Simplified-only ones, the text is called Traditional; one or two can be a name's variant form.
MIN_TRADITIONAL_CHARS = 3


def is_han(ch: str) -> bool:
    """A Chinese (Han) character: the CJK Unified Ideographs blocks and their extensions."""
    return "CJK UNIFIED IDEOGRAPH" in unicodedata.name(ch, "") or "CJK COMPATIBILITY IDEOGRAPH" in unicodedata.name(
        ch, ""
    )


@lru_cache(maxsize=2)
def _opencc(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


def chinese_variant(text: str) -> tuple[str, list[str]]:
    """("zh-Hant" or "zh-Hans", Traditional-only characters found): characters OpenCC's t2s
    changes are Traditional-only, ones its s2t changes Simplified-only; the majority wins."""
    han = sorted({ch for ch in text if is_han(ch)})
    t2s, s2t = _opencc("t2s"), _opencc("s2t")
    traditional = [ch for ch in han if t2s.convert(ch) != ch]
    simplified = [ch for ch in han if s2t.convert(ch) != ch]
    hant = len(traditional) >= MIN_TRADITIONAL_CHARS and len(traditional) > len(simplified)
    return ("zh-Hant" if hant else "zh-Hans"), traditional


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese with OpenCC (t2s)."""
    return str(_opencc("t2s").convert(text))


def check_chinese(text: str, name: str, convert_traditional: bool = False) -> str:
    """The translation's text, refused when it is not Chinese at all or is Traditional Chinese
    (the Chinese captions are Simplified, zh-Hans); with ``convert_traditional`` a Traditional
    text is converted to Simplified with OpenCC instead."""
    letters = [ch for ch in text if ch.isalpha()]
    han = sum(1 for ch in letters if is_han(ch))
    if not letters or han < MIN_HAN_SHARE * len(letters):
        raise ScriptError(
            f"{name} has {'no' if han == 0 else 'almost no'} Chinese characters ({han} of {len(letters)} letters); "
            "it is not a Chinese translation: point episode.toml's translation at the Chinese text, "
            "or remove the translation key for an English-only episode"
        )
    variant, traditional = chinese_variant(text)
    if variant == "zh-Hant":
        if convert_traditional:
            log.info("%s is Traditional Chinese: converted to Simplified (OpenCC t2s)", name)
            return to_simplified(text)
        raise ScriptError(
            f"{name} is written in Traditional Chinese (e.g. {''.join(traditional[:5])}), but the Chinese captions "
            "are Simplified (zh-Hans): save a Simplified translation, or set convert_traditional = true under "
            "[captions] in episode.toml to convert it with OpenCC (add traditional = true to publish zh-Hant "
            "captions as well)"
        )
    return text


def load_translation(
    path: str | Path,
    script: Script,
    settings: PairingSettings = DEFAULT_SETTINGS,
    convert_traditional: bool = False,
) -> tuple[ZhPair, ...]:
    """Read script.zh.txt (any encoding read_text knows), check it is Simplified Chinese (see
    ``check_chinese``) and pair it with ``script``."""
    text, _encoding = read_text(path)
    text = check_chinese(text, Path(path).name, convert_traditional)
    try:
        return pair_translation(script, text, settings)
    except ScriptError as err:
        raise ScriptError(f"{Path(path).name}: {err}") from err
