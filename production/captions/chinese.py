"""Chinese caption text: clean-up, units that never split, line layout, Traditional conversion.

A *unit* is the smallest piece a Chinese line may break around: a jieba word, with Latin
runs (DeepSeek, R1, Unitree Robotics), middle-dot names (斯蒂芬妮·李) and numbers with their
measure word (10年, 45亿美元) kept whole, closing punctuation attached to the unit before it
and opening punctuation to the unit after it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .measure import is_cjk_char, zh_width

CLOSING = set("，。、；：？！”’）》」』】…—,.;:?!)%")
OPENING = set("“‘（《「『【(")
MIDDLE_DOTS = set("·•・")
LINE_END_DROPS = ("。", "，")  # never at the end of a line; fansub practice (docs/output-rules.md "Captions")
# (opening, closing, widest run kept whole): titles stay whole up to a line, quotes when short
BRACKETS_KEPT_WHOLE = (("《", "》", 16.0), ("“", "”", 8.0), ("「", "」", 8.0), ("（", "）", 10.0))
PARTICLES = frozenset("的 了 着 过 地 得 们 吗 呢 吧 啊 呀 么".split())  # never start a line
MEASURE_STARTS = set("年月日号亿万千百个家岁元倍名位次届台款项%")
SENTENCE_ENDS = set("。？！")
CLAUSE_ENDS = set("，；：、")
TO_FULL_WIDTH = {",": "，", "?": "？", "!": "！", ";": "；", ":": "："}

SENTENCE_END_BREAK = -30.0  # cost of breaking after a sentence end
CLAUSE_END_BREAK = -20.0  # after a comma, semicolon, colon, enumeration comma
WORD_BREAK = 0.0  # between two words
INSIDE_UNIT_BREAK = 60.0  # between the words of a unit too wide for one line
INSIDE_WORD_BREAK = 200.0  # inside one word wider than a line (last resort)
BALANCE_COST_PER_CHAR = 0.5  # per (weighted) character of difference between two lines

NAME_LEFT_CHARS = 4  # characters kept with a middle dot on its left (斯蒂芬妮·)
NAME_RIGHT_CHARS = 3  # and on its right (·史密斯)

_HAN_TOKEN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_LATIN = re.compile(r"^[!-~’]+$")  # printable ASCII without the space (and the curly apostrophe)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Unit:
    text: str
    after: float  # cost of a break right after this unit
    tokens: tuple[str, ...] = ()  # the segmenter's words it was glued from (to split it if it must)


# ------------------------------------------------------------------------------ clean-up


def normalise(text: str) -> str:
    """One line of text; no spaces next to Chinese characters; ,?!;: after Chinese full-width."""
    text = _SPACES.sub(" ", text.replace("\u3000", " ")).strip()
    out: list[str] = []
    for i, ch in enumerate(text):
        prev = out[-1] if out else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == " " and (is_cjk_char(prev) or is_cjk_char(nxt) or not prev or not nxt):
            continue
        if ch in TO_FULL_WIDTH and is_cjk_char(prev) and not nxt.isdigit():
            ch = TO_FULL_WIDTH[ch]
        out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------------- units


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def units(text: str) -> list[Unit]:
    """The text as units, in order; joining their texts gives ``normalise(text)`` back."""
    tokens = [t for t in _jieba().lcut(normalise(text), HMM=True) if t]
    glue = _glue(tokens)
    pieces: list[list[str]] = []
    for k, token in enumerate(tokens):
        if pieces and glue[k]:
            pieces[-1].append(token)
        else:
            pieces.append([token])
    return [Unit("".join(p), _after_cost("".join(p)), tuple(p)) for p in pieces]


def _glue(tokens: Sequence[str]) -> list[bool]:
    """glue[k]: no break allowed between tokens[k-1] and tokens[k]."""
    glue = [False] * len(tokens)
    for k in range(1, len(tokens)):
        glue[k] = any(rule(tokens[k - 1], tokens[k]) for _, rule in _GLUE_RULES)
    for k in range(1, len(tokens) - 1):  # a space between two Latin words
        if tokens[k] == " " and _latinish(tokens[k - 1]) and _latinish(tokens[k + 1]):
            glue[k] = glue[k + 1] = True
    for d, token in enumerate(tokens):
        if token in MIDDLE_DOTS:
            _glue_name(tokens, glue, d)
    for opening, closing, most in BRACKETS_KEPT_WHOLE:
        _glue_brackets(tokens, glue, opening, closing, most)
    return glue


def _glue_brackets(
    tokens: Sequence[str], glue: list[bool], opening: str, closing: str, most: float
) -> None:
    """No break inside a short bracketed run (a 《title》, a “quoted word”)."""
    k = 0
    while k < len(tokens):
        if tokens[k] == opening:
            end = next((m for m in range(k + 1, len(tokens)) if tokens[m] == closing), None)
            if end is not None and zh_width("".join(tokens[k : end + 1])) <= most:
                for m in range(k + 1, end + 1):
                    glue[m] = True
            k = end if end is not None else k
        k += 1


def _latinish(token: str) -> bool:
    """Letters, digits, ASCII symbols (DeepSeek-R1, 3.5, R&D, </i>): a run of them is one unit."""
    return bool(_LATIN.match(token))


# (reason, predicate(left token, right token)) for places a Chinese line must not break
_GLUE_RULES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("Latin word or number", lambda left, right: _latinish(left) and _latinish(right)),
    ("closing punctuation", lambda left, right: all(ch in CLOSING for ch in right)),
    ("opening punctuation", lambda left, right: all(ch in OPENING for ch in left)),
    ("trailing space", lambda left, right: right == " "),
    (
        "number + measure word",
        lambda left, right: left[-1:].isdigit() and right[:1] in MEASURE_STARTS,
    ),
    (
        "particle stays with its word",
        lambda left, right: right in PARTICLES and left[-1:] not in CLOSING,
    ),
)


def _glue_name(tokens: Sequence[str], glue: list[bool], d: int) -> None:
    """A middle-dot name (斯蒂芬妮·李): the dot, NAME_LEFT_CHARS before and NAME_RIGHT_CHARS after.

    jieba splits transliterated names (斯蒂芬 / 妮), so the name is kept whole by
    character count; taking a neighbouring word along only forbids one more break.
    """
    if 0 < d:
        glue[d] = True
        acc, j = len(tokens[d - 1]), d - 1
        while acc < NAME_LEFT_CHARS and j > 0 and _HAN_TOKEN.match(tokens[j - 1]):
            glue[j] = True
            acc, j = acc + len(tokens[j - 1]), j - 1
    if d + 1 < len(tokens):
        glue[d + 1] = True
        acc, j = len(tokens[d + 1]), d + 1
        while acc < NAME_RIGHT_CHARS and j + 1 < len(tokens) and _HAN_TOKEN.match(tokens[j + 1]):
            glue[j + 1] = True
            acc, j = acc + len(tokens[j + 1]), j + 1


def _after_cost(piece: str) -> float:
    tail = piece.rstrip("”’）》」』】)")[-1:]
    if tail in SENTENCE_ENDS:
        return SENTENCE_END_BREAK
    if tail in CLAUSE_ENDS:
        return CLAUSE_END_BREAK
    return WORD_BREAK


def split_wide(pieces: Sequence[Unit], max_width: float) -> list[Unit]:
    """Units wider than a line, split as gently as possible: at the segmenter's words (a long
    Latin run at its spaces), else, for a single word wider than a line, between characters."""
    out: list[Unit] = []
    for unit in pieces:
        if zh_width(unit.text) <= max_width:
            out.append(unit)
            continue
        parts = _words_of(unit)
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            if zh_width(part) <= max_width:
                out.append(Unit(part, unit.after if last else INSIDE_UNIT_BREAK, (part,)))
            else:
                out.extend(_characters(part, unit.after if last else INSIDE_UNIT_BREAK))
    return out


def _words_of(unit: Unit) -> list[str]:
    parts: list[str] = []
    for token in unit.tokens or (unit.text,):
        if parts and (token in (" ",) or all(ch in CLOSING for ch in token)):
            parts[-1] += token
        else:
            parts.extend(w + " " for w in token.split(" ")[:-1])
            parts.append(token.split(" ")[-1])
    return [p for p in parts if p]


def _characters(word: str, after: float) -> list[Unit]:
    chars = list(word)
    return [
        Unit(ch, after if k == len(chars) - 1 else INSIDE_WORD_BREAK, (ch,))
        for k, ch in enumerate(chars)
    ]


# ------------------------------------------------------------------------------- layout


_CLOSERS = "”’」』）》"
_DROP_AT_END = re.compile(f"[{''.join(LINE_END_DROPS)}]+(?=[{_CLOSERS}]*$)")
_BEFORE_CLOSER = re.compile(f"[{''.join(LINE_END_DROPS)}]+([{_CLOSERS}]+)")


def render_line(text: str, pause_mark: str) -> str:
    """A finished line: no 。or ，at its end (even inside a closing quote); inside the line
    they become one pause mark (after a closing quote, when they sit inside one)."""
    text = _DROP_AT_END.sub("", text.strip())
    text = _BEFORE_CLOSER.sub(lambda m: m.group(1) + pause_mark, text)
    for mark in LINE_END_DROPS:
        text = text.replace(mark, pause_mark)
    return re.sub(f"(?:{re.escape(pause_mark)})+", pause_mark, text).strip()


@dataclass(frozen=True)
class ZhLayout:
    lines: tuple[str, ...]
    cost: float
    width: float  # reading characters (weighted) of the rendered lines


class Layouter:
    """Best lines for a run of units, memoised per (first, end, lines)."""

    def __init__(self, pieces: Sequence[Unit], max_width: float, pause_mark: str) -> None:
        self.pieces = list(pieces)
        self.max_width = max_width
        self.pause_mark = pause_mark
        self._memo: dict[tuple[int, int, int], ZhLayout | None] = {}

    def line(self, i: int, j: int) -> str:
        return render_line("".join(u.text for u in self.pieces[i:j]), self.pause_mark)

    def layout(self, i: int, j: int, max_lines: int) -> ZhLayout | None:
        key = (i, j, max_lines)
        if key not in self._memo:
            self._memo[key] = self._layout(i, j, max_lines)
        return self._memo[key]

    def _layout(self, i: int, j: int, max_lines: int) -> ZhLayout | None:
        one = self.line(i, j)
        if zh_width(one) <= self.max_width:
            return ZhLayout((one,), 0.0, zh_width(one)) if one else None
        if max_lines <= 1:
            return None
        best: ZhLayout | None = None
        for k in range(i + 1, j):
            top = self.line(i, k)
            if zh_width(top) > self.max_width:
                break
            rest = self.layout(k, j, max_lines - 1)
            if rest is None or not top:
                continue
            cost = rest.cost + self.pieces[k - 1].after
            cost += BALANCE_COST_PER_CHAR * abs(zh_width(top) - zh_width(rest.lines[0]))
            if best is None or cost < best.cost:
                best = ZhLayout((top, *rest.lines), cost, zh_width(top) + rest.width)
        return best


# ------------------------------------------------------------------------- Traditional


@lru_cache(maxsize=4)
def _converter(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


def to_traditional(text: str, config: str = "s2t") -> str:
    """Simplified -> Traditional Chinese with OpenCC (the pure-Python reimplementation)."""
    return str(_converter(config).convert(text))
