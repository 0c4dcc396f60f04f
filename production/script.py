"""Script ingest: a raw script file -> ``Script`` (title, sentences, credits, junk, repairs).

Scripts reach the sound editor copied from a web page: a title line that lost its spaces, the
greeting and body (one paragraph per line), a credits block ("Role: Name, Name", "Produced by
…"), then the page's boilerplate (a Chinese disclaimer, a "推荐阅读" list). Text damaged on the
way ("Ramp;D" for "R&D", "it‘s") is repaired and every repair is reported.

Reading order of a file: ``read_text`` (encoding) -> ``parse_script`` (structure) ->
``script_summary`` (the ``perspective ingest --json`` shape).
"""

from __future__ import annotations

import codecs
import html
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer

from .errors import ScriptError
from .models import Credit, Repair, Script, Sentence, ZhPair
from .textnorm import ABBREVIATIONS, PREFIX_ABBREVIATIONS, spoken_form

log = logging.getLogger(__name__)

# =============================================================================================
# Reading: bytes -> text

# Byte-order marks, longest first (a UTF-32 LE mark begins with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# GB18030 is accepted without a second opinion when this share of its non-ASCII characters
# lies in GB2312 (the 6,763 common hanzi and CJK punctuation). Windows-1252 curly quotes and
# Latin-1 accents decode as GB18030 too, but to rare characters outside GB2312.
GB2312_MIN_SHARE = 0.9

# Windows-1252 is accepted for text that is at least this share ASCII (an English script
# typed in Word: curly quotes and dashes in cp1252, everything else ASCII).
CP1252_MIN_ASCII_SHARE = 0.8

# More than this share of control characters (other than tab/newline) means "not text".
MAX_CONTROL_SHARE = 0.01

NEWLINES = re.compile(r"\r\n|\r|\u2028|\u2029")


def read_text(path: str | Path) -> tuple[str, str]:
    """Read a script or translation file: (text with LF newlines, encoding name).

    Detection order: byte-order mark, strict UTF-8, GB18030 (when it reads as common
    Chinese), Windows-1252 (mostly-ASCII English), then charset-normalizer's best guess.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ScriptError(
            f"cannot read {path}: {err.strerror or err}; check the path and permissions"
        ) from err
    text, encoding = decode_bytes(data, path.name)
    return NEWLINES.sub("\n", text).lstrip("\ufeff"), encoding


def decode_bytes(data: bytes, name: str = "the script") -> tuple[str, str]:
    for detect in DETECTORS:
        found = detect(data)
        if found is not None:
            text, encoding = found
            _require_text(text, name)
            return text, encoding
    if b"\x00" in data:
        raise _not_text(name)
    raise ScriptError(f"cannot tell the text encoding of {name}: save it as UTF-8 and run again")


def _by_bom(data: bytes) -> tuple[str, str] | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.removesuffix("-sig")), encoding
            except UnicodeDecodeError:
                return None
    return None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a mark: in Latin-script text every other byte is zero."""
    if b"\x00" not in data or len(data) % 2:
        return None
    even_zero, odd_zero = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    encoding = (
        "utf-16-be"
        if even_zero > 0.4 * half > odd_zero
        else ("utf-16-le" if odd_zero > 0.4 * half > even_zero else None)
    )
    if encoding is None:
        return None
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return None


def _utf8(data: bytes) -> tuple[str, str] | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return None


def _gb18030(data: bytes) -> tuple[str, str] | None:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if not ch.isascii()]
    if not wide:
        return None
    common = sum(1 for ch in wide if _in_gb2312(ch))
    return (text, "gb18030") if common >= GB2312_MIN_SHARE * len(wide) else None


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _cp1252(data: bytes) -> tuple[str, str] | None:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    ascii_share = sum(ch.isascii() for ch in text) / max(len(text), 1)
    return (text, "cp1252") if ascii_share >= CP1252_MIN_ASCII_SHARE else None


def _charset_normalizer(data: bytes) -> tuple[str, str] | None:
    if b"\x00" in data:
        return None
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        return None
    return str(best), best.encoding


# Tried in order; the first that answers wins.
DETECTORS: tuple[Callable[[bytes], tuple[str, str] | None], ...] = (
    _by_bom,
    _utf16_without_bom,
    _utf8,
    _gb18030,
    _cp1252,
    _charset_normalizer,
)


def _not_text(name: str) -> ScriptError:
    return ScriptError(
        f"{name} does not look like a text file: "
        "save the script as plain text (UTF-8) and run again"
    )


def _require_text(text: str, name: str) -> None:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if "\x00" in text or controls > MAX_CONTROL_SHARE * max(len(text), 1):
        raise _not_text(name)


# =============================================================================================
# Repairs: damage done to the text on its way from the web page


class RepairLog:
    """Counts repairs by (kind, before, after), in the order first seen."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, kind: str, before: str, after: str) -> None:
        self.counts[(kind, before, after)] += 1

    def repairs(self) -> tuple[Repair, ...]:
        return tuple(Repair(k, b, a, n) for (k, b, a), n in self.counts.items())


def _unescape(m: re.Match[str]) -> str:
    return html.unescape(f"&{m.group(2)};")


# (kind, pattern, replacement of the entity part). Each pattern's groups are
# (word before, the damaged part, word after) so the report shows whole words.
# "Ramp;D": the page wrote "R&amp;D" and a copy step lost the "&". "amp;" needs a
# non-space after it so "a ramp; then" stays.
Fix = Callable[[re.Match[str]], str]
ENTITY_REPAIRS: tuple[tuple[str, re.Pattern[str], Fix], ...] = (
    (
        "html-entity",
        re.compile(r"(\w*)&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});(\w*)"),
        _unescape,
    ),
    ("html-entity", re.compile(r"\b(\w*?[A-Za-z0-9])(amp);(?=\S)(\w*)"), _unescape),
    (
        "html-entity",
        re.compile(
            r"(\w*?)(?<!&)(quot|apos|nbsp|#39|#34|lsquo|rsquo|ldquo|rdquo|mdash|ndash|hellip);(\w*)"
        ),
        _unescape,
    ),
)

# Quote marks put the wrong way round: (kind, pattern, replacement template).
QUOTE_REPAIRS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("quote", re.compile(r"(?<=\w)\u2018(?=\w)"), "\u2019"),  # it‘s -> it’s
    ("quote", re.compile(r"\u201c([^\u201c\u201d\"\n]*)\""), "\u201c\\1\u201d"),  # “… " -> “… ”
    ("quote", re.compile(r"\"([^\u201c\u201d\"\n]*)\u201d"), "\u201c\\1\u201d"),  # "… ” -> “… ”
)

# Invisible or odd spacing characters copied from web pages.
INVISIBLE = {
    "\u00a0": " ",
    "\u3000": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\t": " ",
}


def repair_entities(line: str, repairs: RepairLog) -> str:
    for _ in range(3):  # "&amp;amp;" was escaped twice
        before = line
        for kind, pattern, fix in ENTITY_REPAIRS:

            def sub(m: re.Match[str], k: str = kind, f: Fix = fix) -> str:
                return _record(m, f(m), k, repairs)

            line = pattern.sub(sub, line)
        if line == before:
            break
    return line


def _record(m: re.Match[str], fixed: str, kind: str, repairs: RepairLog) -> str:
    if fixed == f"&{m.group(2)};":  # an unknown entity name: leave it alone
        return m.group(0)
    after = m.group(1) + fixed + m.group(3)
    repairs.add(kind, m.group(0), after)
    return after


def repair_quotes(line: str, repairs: RepairLog) -> str:
    for kind, pattern, template in QUOTE_REPAIRS:

        def sub(m: re.Match[str], t: str = template, k: str = kind) -> str:
            fixed = m.expand(t)
            wide = m.string[_word_start(m.string, m.start()) : _word_end(m.string, m.end())]
            repairs.add(k, wide, wide.replace(m.group(0), fixed))
            return fixed

        line = pattern.sub(sub, line)
    return line


def _word_start(s: str, i: int) -> int:
    while i > 0 and not s[i - 1].isspace():
        i -= 1
    return i


def _word_end(s: str, i: int) -> int:
    while i < len(s) and not s[i].isspace():
        i += 1
    return i


def clean_line(line: str, repairs: RepairLog) -> str:
    if any(ch in line for ch in INVISIBLE if ch != "\t"):
        repairs.add("invisible-character", "non-breaking or zero-width space", "plain space")
    line = repair_quotes(repair_entities(line, repairs), repairs)
    line = "".join(INVISIBLE.get(ch, ch) for ch in line)
    return re.sub(r" {2,}", " ", line).strip()


# =============================================================================================
# Sentences

# Capitalised words that usually begin a sentence: after an abbreviation that may also end
# one ("U.S.", "Inc.", "etc."), the sentence ends only when one of these follows.
SENTENCE_STARTERS = frozenset(
    "The This That These Those It Its In On At As But And Or So Yet However Meanwhile Moreover "
    "Also A An We I He She They You There Here What Why How When Where Who Which If For With "
    "While After Before Since Although Though Still Now Then First Second Third Finally Today "
    "Last Next Some Many Most Such Our Their His Her My Your One By From To Not No Yes Despite "
    "According Instead Indeed Besides Thus Hence Additionally Furthermore Nevertheless Overall "
    "Both Each Every Another Other All Let Take Consider Even Only".split()
)

# A sentence ends with ., !, ? or an ellipsis, then any closing quotes/brackets, then a space.
TERMINATOR = re.compile(r"(?:[.!?]+|\u2026+)[\"'\u201d\u2019)\]]*(?=\s)")
OPENERS = "\"'\u201c\u2018([\u300c"
CLOSERS = "\"'\u201d\u2019)]"


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences; the pieces are slices of it, in order."""
    cuts = [m.end() for m in TERMINATOR.finditer(paragraph) if _ends_sentence(paragraph, m)]
    pieces = [
        paragraph[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(paragraph)], strict=True)
    ]
    return _merge_wordless([p for p in pieces if p])


def _ends_sentence(text: str, m: re.Match[str]) -> bool:
    following = text[m.end() :].lstrip().lstrip(OPENERS)
    if not following or following[0].islower():
        return False
    mark = m.group(0)
    if not mark.startswith(".") or mark.endswith(tuple(CLOSERS)) or mark.startswith(".."):
        return True
    word = text[_word_start(text, m.start()) : m.start() + 1].lstrip(OPENERS)
    return _period_ends_sentence(word, following)


def _period_ends_sentence(word: str, following: str) -> bool:
    """``word`` ends with the period; ``following`` is the text after it."""
    if word in PREFIX_ABBREVIATIONS:
        return False
    next_word = re.match(r"[\w'\u2019]+", following)
    starter = next_word is not None and next_word.group(0) in SENTENCE_STARTERS
    if word in ABBREVIATIONS or re.fullmatch(r"(?:[A-Za-z]\.)+", word):
        return starter
    return True


def _merge_wordless(pieces: list[str]) -> list[str]:
    """A piece with no letter or digit ("…", "—") joins its neighbour."""
    out: list[str] = []
    for piece in pieces:
        if out and not _has_word(piece):
            out[-1] = f"{out[-1]} {piece}"
        elif out and not _has_word(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# =============================================================================================
# Line kinds

# A line starting with one of these begins the page's boilerplate: it and everything after it
# are dropped. Chinese: disclaimer, "recommended/related reading", copyright, original title,
# share prompts. English: the same on English pages.
BOILERPLATE_MARKERS: tuple[str, ...] = (
    "郑重声明",
    "免责声明",
    "声明：",
    "声明:",
    "推荐阅读",
    "相关阅读",
    "相关新闻",
    "延伸阅读",
    "热门推荐",
    "版权声明",
    "原标题",
    "来源：",
    "来源:",
    "扫码",
    "点击",
    "关注我们",
    "责任编辑：",
    "Recommended reading",
    "Recommended for you",
    "Related reading",
    "Related articles",
    "Related:",
    "Read more",
    "Disclaimer",
    "Copyright",
    "©",
    "Tags:",
    "Keywords:",
    "Share this",
)

# Share of a line's letters that are CJK above which it is not English script text.
CJK_LINE_SHARE = 0.5

# Greeting openers: a first line starting with one is the body, not a title.
GREETING = re.compile(
    r"^(?:hello|hi|hey|welcome|good (?:morning|afternoon|evening))\b", re.IGNORECASE
)

# A title is one short line (characters) without a full stop at its end.
TITLE_MAX_CHARS = 150


def is_cjk(ch: str) -> bool:
    return (
        "CJK" in unicodedata.name(ch, "")
        or "\u3040" <= ch <= "\u30ff"
        or "\uac00" <= ch <= "\ud7af"
    )


def cjk_share(line: str) -> float:
    letters = [ch for ch in line if ch.isalpha()]
    return sum(map(is_cjk, letters)) / len(letters) if letters else 0.0


def is_boilerplate_marker(line: str) -> bool:
    return line.startswith(BOILERPLATE_MARKERS)


def is_junk(line: str) -> bool:
    return bool(line) and not _has_word(line)


def is_foreign(line: str) -> bool:
    return cjk_share(line) > CJK_LINE_SHARE


# =============================================================================================
# Credits

# "<Verb> by <names>" credit lines; the role is written "Produced by".
BY_ROLES = (
    "Produced|Co-produced|Presented|Directed|Written|Edited|Hosted|Designed|Supported|Sponsored|"
    "Powered|Translated|Narrated|Read|Mixed|Reported|Compiled|Illustrated|Brought to you"
).split("|")
BY_LINE = re.compile(rf"^(?P<role>(?:{'|'.join(BY_ROLES)}) by)\s+(?P<names>.+)$")
COLON_LINE = re.compile(r"^(?P<role>[^:：]{0,40}?)\s*[:：]\s*(?P<names>.*)$")

# Small words allowed lower-case inside roles and names ("Head of Audio", "Dept. of Overseas News").
CONNECTORS = frozenset("of and & for the by in de van von da di du la le bin al".split())
ROLE_MAX_WORDS = 5  # "Head of Audio and Video" is five
NAME_MAX_WORDS = 10  # "Example Media Dept. of Science News" is six
NAMES_MAX_CHARS = 200
ROLE_WORD = re.compile(r"[A-Z][A-Za-z.'&-]{0,19}")  # "Co-host", "Sound", "Exec."
NAME_SEPARATORS = re.compile(r"\s*[,，、;；/]\s*")
NAME_AND = re.compile(r"\s+(?:and|&)\s+")

# A credits line with one of these roles is web-page metadata, not a credit.
NOT_ROLES = frozenset(
    "tags keywords share source copyright disclaimer related link url email tel date time "
    "updated published note".split()
)


@dataclass
class CreditLine:
    role: str | None  # None: a line of names only (continues the previous credit)
    names: str
    line: str


def parse_credit_line(line: str) -> CreditLine | None:
    """The line as a credit ("Role: names", "Produced by names"), or None when it isn't one."""
    by = BY_LINE.match(line)
    if by and _names_like(by["names"]):
        return CreditLine(by["role"], by["names"], line)
    colon = COLON_LINE.match(line)
    if colon and _has_word(line) and _role_like(colon["role"]) and _names_like(colon["names"]):
        return CreditLine(colon["role"], colon["names"], line)
    return None


def _role_like(role: str) -> bool:
    if role.casefold() in NOT_ROLES:
        return False
    if role and all(is_cjk(ch) for ch in role):
        return len(role) <= 8
    words = role.split()
    return len(words) <= ROLE_MAX_WORDS and all(
        w in CONNECTORS or ROLE_WORD.fullmatch(w) for w in words
    )


def _capitalised(word: str) -> bool:
    return word in CONNECTORS or word[0].isupper() or word[0].isdigit() or is_cjk(word[0])


def _names_like(names: str) -> bool:
    if len(names) > NAMES_MAX_CHARS or re.search(r"[!?。！？:：]", names):
        return False
    return all(_name_like(n) for n in NAME_SEPARATORS.split(names.strip()) if n)


def _name_like(name: str) -> bool:
    words = name.split()
    return 0 < len(words) <= NAME_MAX_WORDS and all(_capitalised(w) for w in words)


def split_names(names: str, repairs: RepairLog) -> list[str]:
    """ "A, B and C" -> [A, B, C]; never reordered or re-capitalised."""
    out: list[str] = []
    for part in NAME_SEPARATORS.split(names.strip()):
        part = re.sub(r"^(?:and|&)\s+", "", part)
        sides = NAME_AND.split(part)
        if len(sides) > 1 and all(len(s.split()) >= 2 for s in sides):  # "ZHAO Lin and QIAN Yue"
            repairs.add("credit-name-list", part, ", ".join(sides))
            out.extend(sides)
        elif part:
            out.append(part)
    return [_strip_final_period(n) for n in out if n]


def _strip_final_period(name: str) -> str:
    last = name.split()[-1]
    if name.endswith(".") and last not in ABBREVIATIONS and not re.fullmatch(r"(?:[A-Z]\.)+", last):
        return name[:-1].rstrip()
    return name


@dataclass
class CreditsBuilder:
    """Collects credit lines in order; merges duplicate roles and continuation lines."""

    repairs: RepairLog
    roles: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entry: CreditLine) -> None:
        role = entry.role
        if role is None or role == "":
            role = self._continue(entry)
        key = self._key(role)
        if key not in self.names:
            self.roles.append(role)
            self.names[key] = []
        elif entry.role:
            self.repairs.add(
                "credit-duplicate-role", entry.line, f"merged into {self._written(key)}"
            )
        for name in split_names(entry.names, self.repairs):
            self._add_name(key, name)

    def _continue(self, entry: CreditLine) -> str:
        if not self.roles:
            self.repairs.add("credit-no-role", entry.line, "kept without a role")
            return ""
        role = self.roles[-1]
        self.repairs.add("credit-no-role", entry.line, f"added to {role or 'the previous credit'}")
        return role

    def _add_name(self, key: str, name: str) -> None:
        if name in self.names[key]:
            self.repairs.add("credit-duplicate-name", name, "listed once")
        else:
            self.names[key].append(name)

    def _key(self, role: str) -> str:
        return " ".join(role.split()).casefold()

    def _written(self, key: str) -> str:
        return next(r for r in self.roles if self._key(r) == key)

    def credits(self) -> tuple[Credit, ...]:
        out = []
        for role in self.roles:
            names = self.names[self._key(role)]
            if names:
                out.append(Credit(role, tuple(names)))
            else:
                self.repairs.add("credit-empty", f"{role}:", "dropped (no names)")
        return tuple(out)


# =============================================================================================
# Structure: title, body, credits block, trailer


@dataclass(frozen=True)
class Layout:
    """Where the parts of a script are, as line indices."""

    title: int | None  # the title line, if the script has one
    body: tuple[int, ...]  # body paragraph lines
    credits: tuple[int, ...]  # credit lines (including continuation lines)
    dropped: tuple[int, ...]  # junk and boilerplate lines


def find_layout(lines: Sequence[str]) -> Layout:
    significant = [i for i, line in enumerate(lines) if line]
    title = _find_title(lines, significant)
    rest = [i for i in significant if i != title and (title is None or i > title)]
    dropped = [i for i in significant if title is not None and i < title]
    body, credits, more_dropped = _split_rest(lines, rest)
    return Layout(title, tuple(body), tuple(credits), tuple(sorted(dropped + more_dropped)))


def _find_title(lines: Sequence[str], significant: list[int]) -> int | None:
    spoken_lines = [i for i in significant if _is_text(lines[i])]
    if len(spoken_lines) < 2:
        return None
    first, second = spoken_lines[:2]
    line = lines[first]
    header_credits = parse_credit_line(line) and parse_credit_line(lines[second])
    if is_boilerplate_marker(line) or header_credits or GREETING.match(line):
        return None
    if len(line) > TITLE_MAX_CHARS or line.endswith(".") or len(split_sentences(line)) > 1:
        return None
    return first


def _is_text(line: str) -> bool:
    return bool(line) and not is_junk(line) and not is_foreign(line)


def _split_rest(lines: Sequence[str], rest: list[int]) -> tuple[list[int], list[int], list[int]]:
    """(body, credits, dropped) line indices. After the closing credits everything is the page's."""
    body: list[int] = []
    credits: list[int] = []
    dropped: list[int] = []
    pos = 0
    while pos < len(rest):
        line = lines[rest[pos]]
        if is_boilerplate_marker(line):
            return body, credits, dropped + rest[pos:]
        if parse_credit_line(line) and (not body or _starts_credits_block(lines, rest[pos:])):
            end = _credits_block_end(lines, rest, pos)
            credits += [i for i in rest[pos:end] if not is_junk(lines[i])]
            dropped += [i for i in rest[pos:end] if is_junk(lines[i])]
            if body:
                return body, credits, dropped + rest[end:]
            pos = max(end, pos + 1)  # credits written above the body
            continue
        (body if _is_text(line) else dropped).append(rest[pos])
        pos += 1
    return body, credits, dropped


def _starts_credits_block(lines: Sequence[str], rest: list[int]) -> bool:
    """A credit line begins the closing credits when a credit, page junk or the end follows."""
    entry = parse_credit_line(lines[rest[0]])
    following = [lines[i] for i in rest[1:] if not is_junk(lines[i])]
    if entry is None:
        return False
    if not following:
        return True
    nxt = following[0]
    if parse_credit_line(nxt) or is_boilerplate_marker(nxt) or is_foreign(nxt):
        return True
    return not entry.names.strip() and _names_like(nxt)  # "Graphic Designer:" then a line of names


def _credits_block_end(lines: Sequence[str], rest: list[int], pos: int) -> int:
    """Position in ``rest`` just after the credits block that starts at ``pos``."""
    end = pos
    for k in range(pos, len(rest)):
        line = lines[rest[k]]
        if is_junk(line):
            continue
        if is_boilerplate_marker(line) or not (parse_credit_line(line) or _names_like(line)):
            break
        end = k + 1
    return end


# =============================================================================================
# Title repair: "CBNPerspective丨Batterypassports:Chinesecellmakerslearn"
#            -> "CBN Perspective | Battery passports: Chinese cell makers learn"

# Vertical bars used as title separators on Chinese pages ("丨" is the CJK stroke character).
TITLE_SEPARATORS = {"丨": " | ", "｜": " | ", "|": " | "}
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


# Before an unknown last piece of a title (it may be cut off), at least this many body words
# must have been recognised: "cellmakerslearn" -> "cell makers learn", but "aftermath" is not
# split into "after" + "math" on the strength of one known word.
TITLE_TAIL_MIN_WORDS = 2


@dataclass(frozen=True)
class Vocabulary:
    """Words the body uses, to find where a title's words begin and end."""

    capitalised: frozenset[str]  # "Battery", "CBN", "Perspective"
    lower: frozenset[str]  # "cell", "makers"

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        words = [w for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 2]
        return cls(
            frozenset(w for w in words if w[0].isupper()),
            frozenset(w for w in words if w.islower()),
        )


def repair_title(title: str, body_text: str, repairs: RepairLog) -> str:
    """Restore lost spaces in a title that has none, using the words of the body.

    A run of letters is cut after any capitalised word the body uses ("Battery", "CBN",
    "Perspective"); what is left is cut at camel-case boundaries; a lower-case stretch is cut
    only where body words cover it completely (or all but a cut-off tail at the very end). A
    truncated title is kept as far as it goes.
    """
    if " " in title.strip():
        return title
    vocab = Vocabulary.of(body_text)
    fixed = "".join(TITLE_SEPARATORS.get(ch, ch) for ch in title)
    fixed = re.sub(r"([:,;])(?=\S)", r"\1 ", fixed)

    def split_run(m: re.Match[str]) -> str:
        at_end = not re.search(r"[A-Za-z]", fixed[m.end() :])
        return " ".join(_segment(m.group(0), vocab, at_end))

    fixed = re.sub(r" {2,}", " ", re.sub(r"[A-Za-z]+", split_run, fixed)).strip()
    if fixed != title:
        repairs.add("title-spacing", title, fixed)
    return fixed


def _segment(run: str, vocab: Vocabulary, at_end: bool) -> list[str]:
    pieces = _split_capitalised(run, vocab.capitalised)
    out: list[str] = []
    for k, piece in enumerate(pieces):
        last = at_end and k == len(pieces) - 1
        out += _split_lower(piece, vocab.lower, last) if piece.islower() else [piece]
    return out


def _split_capitalised(run: str, words: frozenset[str]) -> list[str]:
    pieces: list[str] = []
    rest_start = i = 0
    while i < len(run):
        starting = (w for w in words if run.startswith(w, i)) if run[i].isupper() else ()
        word = max(starting, key=len, default=None)
        if word is None:
            i += 1
            continue
        pieces += CAMEL_BOUNDARY.sub(" ", run[rest_start:i]).split() + [word]
        rest_start = i = i + len(word)
    return pieces + CAMEL_BOUNDARY.sub(" ", run[rest_start:]).split()


def _split_lower(run: str, words: frozenset[str], may_be_cut: bool) -> list[str]:
    if run in words:
        return [run]
    cover = _fewest_words(run, words)
    if cover[-1] is not None:
        return cover[-1]
    if may_be_cut:
        for end in range(len(run) - 1, 0, -1):
            known = cover[end]
            if known is not None and len(known) >= TITLE_TAIL_MIN_WORDS:
                return [*known, run[end:]]
    return [run]


def _fewest_words(run: str, words: frozenset[str]) -> list[list[str] | None]:
    """cover[i]: the fewest body words that spell run[:i] exactly, or None."""
    cover: list[list[str] | None] = [[]] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(end):
            known = cover[start]
            if known is not None and run[start:end] in words:
                if cover[end] is None or len(known) + 1 < len(cover[end] or ()):
                    cover[end] = [*known, run[start:end]]
    return cover


# =============================================================================================
# Parse


def parse_script(text: str) -> Script:
    """Raw script text -> Script. Raises ScriptError when there is no body to speak."""
    repairs = RepairLog()
    lines = [clean_line(line, repairs) for line in NEWLINES.sub("\n", text).split("\n")]
    layout = find_layout(lines)
    if not layout.body:
        if is_foreign(text):
            raise ScriptError(
                "the script has no body text, only Chinese: point `script` at the English "
                "script and give the Chinese as `translation` in episode.toml"
            )
        raise ScriptError(
            "the script has no body text: put the spoken text one paragraph per line "
            "(title first, credits last) and run again"
        )
    body_lines = [lines[i] for i in layout.body]
    credits = CreditsBuilder(repairs)
    for i in layout.credits:
        credits.add(parse_credit_line(lines[i]) or CreditLine(None, lines[i], lines[i]))
    title = (
        repair_title(lines[layout.title], " ".join(body_lines), repairs)
        if layout.title is not None
        else ""
    )
    paragraphs = build_paragraphs(body_lines)
    credit_tuple = credits.credits()
    dropped = tuple(lines[i] for i in layout.dropped)
    if dropped:
        log.info("dropped %d line(s) of web boilerplate and junk", len(dropped))
    return Script(title, paragraphs, credit_tuple, dropped, repairs.repairs())


def build_paragraphs(body_lines: Iterable[str]) -> tuple[tuple[Sentence, ...], ...]:
    paragraphs: list[tuple[Sentence, ...]] = []
    count = 0
    for line in body_lines:
        sentences = []
        for text in _speakable(split_sentences(line)):
            count += 1
            sentences.append(Sentence(f"s{count:04d}", text, spoken_form(text), len(paragraphs)))
        if sentences:
            paragraphs.append(tuple(sentences))
    if not paragraphs:
        raise ScriptError(
            "the script has no speakable English text: check that script.txt is the "
            "English script, one paragraph per line"
        )
    return tuple(paragraphs)


def _speakable(sentences: list[str]) -> list[str]:
    """A sentence with nothing to say ("（图）") joins its neighbour so no fragment is silent."""
    out: list[str] = []
    for text in sentences:
        if out and (not spoken_form(text) or not spoken_form(out[-1])):
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
    return [s for s in out if spoken_form(s)]


def load_script(path: str | Path) -> Script:
    text, encoding = read_text(path)
    log.debug("read %s as %s", path, encoding)
    return parse_script(text)


# =============================================================================================
# Report


def script_summary(script: Script, zh_pairs: Sequence[ZhPair] | None = None) -> dict[str, Any]:
    """The ``perspective ingest --json`` shape.

    ``zh`` is null without a translation; a Chinese sentence paired with several English
    sentences is given on the first of them, and the others get "".
    """
    zh = _zh_by_id(zh_pairs) if zh_pairs is not None else {}
    return {
        "title": script.title,
        "sentences": [
            {
                "id": s.id,
                "text": s.text,
                "spoken": s.spoken,
                "paragraph": s.paragraph,
                "zh": zh.get(s.id, "") if zh_pairs is not None else None,
            }
            for s in script.sentences
        ],
        "credits": [{"role": c.role, "names": list(c.names)} for c in script.credits],
        "dropped": list(script.dropped),
        "repairs": [
            {"kind": r.kind, "before": r.before, "after": r.after, "count": r.count}
            for r in script.repairs
        ],
    }


def _zh_by_id(pairs: Sequence[ZhPair]) -> dict[str, str]:
    return {p.en_ids[0]: p.zh for p in pairs if p.en_ids}
