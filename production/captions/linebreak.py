"""English line breaks by a small rule table (Netflix; BBC subtitle guidelines).

A break sits *between* two words. Each rule is (name, predicate(left, right), cost): negative
cost = a good place (after punctuation, before a conjunction or preposition), positive = a
bad one (inside article+noun, adjective+noun, first+last name, number+unit, pronoun+verb,
verb+auxiliary/negation). The same table scores where a cue ends (segment.py) and where a
cue's two lines divide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .measure import en_chars

NEVER = 1000.0  # cost of a forbidden break; still finite so an overlong cue always has a layout
BALANCE_COST_PER_CHAR = 0.6  # per character of difference between the two lines
TOP_HEAVY_COST = (
    2.0  # BBC: prefer the top line shorter (a pyramid) when it makes no other difference
)

ARTICLES = frozenset(
    "a an the this these those my your his her its our their some any each every "
    "no another either neither".split()
)
CONJUNCTIONS = frozenset(
    "and but or nor so yet because although though while whereas if unless since when "
    "whenever where which who whom whose that than until whether".split()
)
PREPOSITIONS = frozenset(
    "of in on at to for with from by about into onto over under between among through "
    "during without within towards toward across against along around behind beyond "
    "despite like per via upon amid after before".split()
)
PRONOUNS = frozenset(
    "i you he she it we they i'm i’m it's it’s we're we’re they're they’re".split()
)
AUXILIARIES = frozenset(
    "am is are was were be been being has have had do does did will would shall should can "
    "could may might must".split()
)
NEGATIONS = frozenset("not never n't".split())
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty hundred thousand million billion trillion dozen".split()
)
UNITS = frozenset(
    "percent % percentage points point per cent thousand million billion trillion years year "
    "months month days day weeks week hours hour minutes minute seconds second km kilometres "
    "kilometers metres meters kg tonnes tons yuan dollars euros times".split()
)
DASHES = frozenset(("-", "–", "—", "--"))  # a line ending on a dash reads as a continuation mark
ADJECTIVE_SUFFIXES = (
    "al",
    "ive",
    "ous",
    "ful",
    "less",
    "able",
    "ible",
    "ic",
    "ary",
    "ese",
    "ian",
    "ern",
)
FUNCTION_WORDS = ARTICLES | CONJUNCTIONS | PREPOSITIONS | PRONOUNS | AUXILIARIES | NEGATIONS

_STRIP = "\"'“”‘’()[]"
_NUMBER = re.compile(r"^[$€£¥]?\d[\d,.]*(%|[kmb]n?)?$", re.IGNORECASE)


def _bare(word: str) -> str:
    return word.strip(_STRIP).rstrip(".,;:!?").lower()


def _ends_clause(word: str) -> bool:
    return word.rstrip(_STRIP)[-1:] in (",", ";", ":", "—", "–")


def _ends_sentence(word: str) -> bool:
    return word.rstrip(_STRIP)[-1:] in (".", "?", "!")


def _open(word: str) -> bool:
    """No punctuation after the word: it runs on into the next one."""
    return not (_ends_clause(word) or _ends_sentence(word))


def _capitalised(word: str) -> bool:
    core = word.strip(_STRIP)
    return core[:1].isupper()


def _is_number(word: str) -> bool:
    core = _bare(word)
    return bool(_NUMBER.match(core)) or core in NUMBER_WORDS


def _adjective_like(word: str) -> bool:
    core = _bare(word)
    if core in FUNCTION_WORDS or not core.isalpha():
        return "-" in core and core.replace("-", "").isalpha()  # two-year-old, Hangzhou-based
    return core.endswith(ADJECTIVE_SUFFIXES) and len(core) > 4


def _content(word: str) -> bool:
    core = _bare(word)
    return core.isalpha() and core not in FUNCTION_WORDS


Rule = tuple[str, Callable[[str, str], bool], float]

# (name, predicate(left word, right word), cost of breaking between them)
BREAK_RULES: tuple[Rule, ...] = (
    ("after sentence end", lambda left, right: _ends_sentence(left), -30.0),
    ("after clause punctuation", lambda left, right: _ends_clause(left), -20.0),
    ("before conjunction", lambda left, right: _open(left) and _bare(right) in CONJUNCTIONS, -10.0),
    ("before preposition", lambda left, right: _open(left) and _bare(right) in PREPOSITIONS, -8.0),
    ("before opening bracket or quote", lambda left, right: right[:1] in '(“"', -5.0),
    ("article + noun", lambda left, right: _open(left) and _bare(left) in ARTICLES, NEVER),
    (
        "first + last name",
        lambda left, right: _open(left) and _capitalised(left) and _capitalised(right),
        NEVER,
    ),
    (
        "number + unit",
        lambda left, right: _open(left) and (_is_number(left) or _bare(right) in UNITS),
        NEVER,
    ),
    ("ampersand", lambda left, right: "&" in (left[-1:], right[:1]), NEVER),
    ("pronoun + verb", lambda left, right: _open(left) and _bare(left) in PRONOUNS, 40.0),
    ("verb + auxiliary", lambda left, right: _open(left) and _bare(left) in AUXILIARIES, 30.0),
    ("before negation", lambda left, right: _open(left) and _bare(right) in NEGATIONS, 30.0),
    (
        "adjective + noun",
        lambda left, right: _open(left) and _adjective_like(left) and _content(right),
        25.0,
    ),
    ("preposition + object", lambda left, right: _open(left) and _bare(left) in PREPOSITIONS, 15.0),
    (
        "inside a quotation",
        lambda left, right: left[:1] in '“"‘' and _open(left) and left[-1:] not in '”"’',
        20.0,
    ),
    ("after a dash", lambda left, right: left in DASHES, 25.0),
)


@lru_cache(maxsize=65536)
def break_cost(left: str, right: str) -> float:
    """Cost of a line or cue break between ``left`` and ``right`` (lower is better)."""
    return sum(cost for _, applies, cost in BREAK_RULES if applies(left, right))


def break_reasons(left: str, right: str) -> list[str]:
    """Names of the rules that apply between two words (for reports and tests)."""
    return [name for name, applies, _ in BREAK_RULES if applies(left, right)]


@dataclass(frozen=True)
class Layout:
    lines: tuple[str, ...]
    cost: float


def layout(words: Sequence[str], max_chars: int, max_lines: int) -> Layout | None:
    """Best lines for ``words`` (one line when it fits), or None when they cannot fit."""
    words = tuple(words)
    pieces = _split_overlong(words, max_chars)
    return _layout(pieces, max_chars, max_lines) if pieces is not None else None


def _split_overlong(words: tuple[str, ...], max_chars: int) -> tuple[str, ...] | None:
    if all(en_chars(w) <= max_chars for w in words):
        return words
    if len(words) != 1:
        return None  # a cue of several words never needs a word cut: use shorter cues
    word = words[0]
    return tuple(word[i : i + max_chars] for i in range(0, len(word), max_chars))


@lru_cache(maxsize=16384)
def _layout(words: tuple[str, ...], max_chars: int, max_lines: int) -> Layout | None:
    one = " ".join(words)
    if en_chars(one) <= max_chars:
        return Layout((one,), 0.0)
    if max_lines <= 1 or len(words) < 2:
        return None
    best: Layout | None = None
    for k in range(1, len(words)):
        top = " ".join(words[:k])
        if en_chars(top) > max_chars:
            break
        rest = _layout(words[k:], max_chars, max_lines - 1)
        if rest is None:
            continue
        cost = rest.cost + _line_break_cost(words[k - 1], words[k], top, rest.lines[0])
        if best is None or cost < best.cost:
            best = Layout((top, *rest.lines), cost)
    return best


def _line_break_cost(left: str, right: str, top: str, below: str) -> float:
    top_len, below_len = en_chars(top), en_chars(below)
    cost = break_cost(left, right) + BALANCE_COST_PER_CHAR * abs(top_len - below_len)
    if top_len > below_len:
        cost += TOP_HEAVY_COST
    return cost
