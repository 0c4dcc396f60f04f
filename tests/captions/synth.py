"""Timed sentences for caption tests: a natural read with known pauses (no audio needed).

Words last in proportion to their length (letters take time to say), scaled so the whole
read runs at ``wps`` words a second; commas, sentence ends and paragraph ends add pauses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from production.models import Sentence, Word, ZhPair

WORDS_PER_SECOND = 2.6  # a natural news read (~156 words a minute)
WORD_GAP_MS = 30  # between words inside a phrase
COMMA_PAUSE_MS = 250  # after , ; : and dashes
SENTENCE_PAUSE_MS = 550  # between sentences
PARAGRAPH_PAUSE_MS = 1100  # between paragraphs
DATA = Path(__file__).resolve().parent / "data"

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[“\"'A-Z0-9])")
_CREDIT = re.compile(
    r"^(Executive Editor|Editor|Host|Writer|Sound Editor|Graphic Designer|Produced by"
    r"|Presented by)\b"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def seed_paragraphs(path: Path) -> list[list[str]]:
    """Body paragraphs of a seed script as sentences: no title line, credits or web junk."""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    body = []
    for line in lines[1:]:
        if _CREDIT.match(line):
            break
        if line and not _CJK.search(line) and len(line.split()) > 2:
            text = line.replace("Ramp;D", "R&D")  # the seed's mangled "R&amp;D"
            body.append([s for s in _SENTENCE_END.split(text) if s.strip()])
    return body


def timed(
    paragraphs: Sequence[Sequence[str]], start_ms: int = 1500, wps: float = WORDS_PER_SECOND
) -> list[Sentence]:
    """Sentences with word timings for paragraphs of sentence texts."""
    words = [w for para in paragraphs for s in para for w in s.split()]
    ms_per_char = 1000 / wps / (sum(len(w) + 1 for w in words) / len(words))
    out: list[Sentence] = []
    t = start_ms
    for p, sentences in enumerate(paragraphs):
        for text in sentences:
            timed_words = []
            for w in text.split():
                dur = int(ms_per_char * (len(w) + 1)) - WORD_GAP_MS
                timed_words.append(Word(w, t, t + dur))
                t += dur + (COMMA_PAUSE_MS if w[-1] in ",;:—-" else WORD_GAP_MS)
            sid = f"s{len(out) + 1:04d}"
            out.append(
                Sentence(
                    sid,
                    text,
                    text,
                    p,
                    timed_words[0].start_ms,
                    timed_words[-1].end_ms,
                    tuple(timed_words),
                )
            )
            t += SENTENCE_PAUSE_MS
        t += PARAGRAPH_PAUSE_MS
    return out


def bilingual_pairs() -> list[dict]:
    return json.loads((DATA / "hangzhou_bilingual.json").read_text(encoding="utf-8"))["pairs"]


def bilingual_script(
    repeats: int = 1, wps: float = WORDS_PER_SECOND
) -> tuple[list[Sentence], list[ZhPair]]:
    """The test translation's sentences, timed, ``repeats`` times over, with their pairs."""
    entries = bilingual_pairs() * repeats
    paragraphs: list[list[str]] = []
    last = None
    for k, entry in enumerate(entries):
        key = (k // len(bilingual_pairs()), entry["p"])
        if key != last:
            paragraphs.append([])
            last = key
        paragraphs[-1].extend(entry["en"])
    sentences = timed(paragraphs, wps=wps)
    pairs, i = [], 0
    for entry in entries:
        ids = tuple(s.id for s in sentences[i : i + len(entry["en"])])
        pairs.append(ZhPair(ids, entry["zh"]))
        i += len(entry["en"])
    return sentences, pairs
