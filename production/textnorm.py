"""Text as a speech engine should read it, and word tokens for matching speech to script.

``spoken_form`` turns caption text into plain ASCII words ("R&D" -> "R and D", "$1.2 billion"
-> "one point two billion dollars", "2025" -> "twenty twenty-five"). ``norm_tokens`` lowercases
that and strips punctuation, so a script sentence and a transcript of it give the same tokens
however either wrote its numbers and symbols.

The rewrite runs as named steps (``STEPS``), each a small function over the whole string;
the order matters and is documented beside the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from num2words import num2words

# ---------------------------------------------------------------------------------------------
# Tables

# Abbreviations read out in full. Case-sensitive; the key includes its period.
ABBREVIATIONS: dict[str, str] = {
    "Dept.": "Department",
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "Prof.": "Professor",
    "Gov.": "Governor",
    "Sen.": "Senator",
    "Rep.": "Representative",
    "Gen.": "General",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "Mt.": "Mount",
    "Co.": "Company",
    "Corp.": "Corporation",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "Bros.": "Brothers",
    "Univ.": "University",
    "Govt.": "Government",
    "Intl.": "International",
    "approx.": "approximately",
    "vs.": "versus",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "cf.": "compare",
    "Jan.": "January",
    "Feb.": "February",
    "Aug.": "August",
    "Sept.": "September",
    "Oct.": "October",
    "Nov.": "November",
    "Dec.": "December",
}

# Abbreviations that precede what they qualify and so never end a sentence (the script's
# sentence splitter uses this; the others in ABBREVIATIONS may end one).
PREFIX_ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "Dept.",
        "Dr.",
        "Mr.",
        "Mrs.",
        "Ms.",
        "Prof.",
        "Gov.",
        "Sen.",
        "Rep.",
        "Gen.",
        "Mt.",
        "St.",
        "No.",
        "approx.",
        "vs.",
        "e.g.",
        "i.e.",
        "cf.",
        "Jan.",
        "Feb.",
        "Aug.",
        "Sept.",
        "Oct.",
        "Nov.",
        "Dec.",
        "Fig.",
        "Univ.",
        "Govt.",
        "Intl.",
    }
)

# Currency symbols: (singular, plural, minor unit singular, minor unit plural).
CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yuan", "yuan", "fen", "fen"),  # a Chinese newspaper's ¥ is the renminbi yuan
}

# Country prefixes written before "$" (US$5, HK$10).
CURRENCY_PREFIXES: dict[str, str] = {
    "US": "US",
    "HK": "Hong Kong",
    "NT": "New Taiwan",
    "S": "Singapore",
}

# Scale words after an amount; abbreviations read as the full word.
SCALES: dict[str, str] = {
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "bn": "billion",
    "tn": "trillion",
}

# Symbols read as words (after numbers are read, so "10%" is already "ten%").
SYMBOL_WORDS: dict[str, str] = {
    "&": " and ",
    "%": " percent",
    "+": " plus ",
    "@": " at ",
    "=": " equals ",
    "°": " degrees",
    "×": " times ",
    "‰": " per mille",
}

# Typography to ASCII for speech: quotes, dashes, ellipsis, invisible characters.
TYPOGRAPHY: dict[str, str] = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u300c": '"',
    "\u300d": '"',
    "\u300e": '"',
    "\u300f": '"',
    "\u2013": " - ",
    "\u2014": " - ",
    "\u2015": " - ",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u3002": ". ",
    "\uff0c": ", ",
    "\u3001": ", ",
    "\uff1b": "; ",
    "\uff1a": ": ",
    "\uff01": "! ",
    "\uff1f": "? ",
}

# Spelling variants folded so script and transcript agree.
WORD_VARIANTS: dict[str, str] = {"per cent": "percent"}

# 4-digit numbers in this range are read as years ("twenty twenty-five"); 1100 is the lowest
# year a news script plausibly mentions without "AD", 2099 keeps "2100 units" a cardinal.
YEAR_MIN, YEAR_MAX = 1100, 2099

# Longer digit strings are read digit by digit (num2words overflows past ~10**27 anyway).
MAX_CARDINAL_DIGITS = 15

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Characters allowed in the spoken form: ASCII letters, space and pause punctuation.
SPOKEN_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ',.;:!?()-")

# ---------------------------------------------------------------------------------------------
# Number reading


def cardinal(digits: str) -> str:
    """Read an unsigned integer written in ASCII digits (commas allowed)."""
    digits = digits.replace(",", "")
    if len(digits) > MAX_CARDINAL_DIGITS:
        return digit_by_digit(digits)
    return str(num2words(int(digits)))


def digit_by_digit(digits: str) -> str:
    return " ".join(DIGIT_WORDS[int(d)] for d in digits if d.isdigit())


def year(digits: str) -> str:
    return str(num2words(int(digits), to="year"))


def decimal(number: str) -> str:
    """ "1.2" -> "one point two"; "1.2.3" (versions) -> "one point two point three"."""
    head, *tails = number.split(".")
    return " point ".join([cardinal(head), *(digit_by_digit(t) for t in tails)])


def number_words(number: str) -> str:
    """Any plain number as written: integer, with thousands commas, or decimal."""
    if "." in number:
        return decimal(number)
    plain = number.replace(",", "")
    if "," not in number and len(plain) == 4 and YEAR_MIN <= int(plain) <= YEAR_MAX:
        return year(plain)
    return cardinal(plain)


def plural(words: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties" (for decades)."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    return words + ("es" if words.endswith("x") else "s")


# ---------------------------------------------------------------------------------------------
# Steps: each takes and returns the whole text.

NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)*"
_CURRENCY_RE = re.compile(
    rf"(?:\b({'|'.join(CURRENCY_PREFIXES)})\s?)?"
    rf"([{''.join(map(re.escape, CURRENCIES))}])\s?({NUMBER})"
    rf"(?:\s?({'|'.join(sorted(SCALES, key=len, reverse=True))})\b)?"
)


def _currency(m: re.Match[str]) -> str:
    prefix, symbol, amount, scale = m.group(1), m.group(2), m.group(3), m.group(4)
    one, many, minor_one, minor_many = CURRENCIES[symbol]
    country = f"{CURRENCY_PREFIXES[prefix]} " if prefix else ""
    whole, _, cents = amount.partition(".")
    if scale:
        return f" {number_words(amount)} {SCALES[scale]} {country}{many} "
    if cents and len(cents) == 2 and "." not in cents:
        minor = int(cents)
        unit = one if whole.replace(",", "") == "1" else many
        minor_unit = minor_one if minor == 1 else minor_many
        return f" {cardinal(whole)} {country}{unit} and {cardinal(cents)} {minor_unit} "
    unit = one if amount == "1" else many
    return f" {number_words(amount)} {country}{unit} "


def read_currency(text: str) -> str:
    return _CURRENCY_RE.sub(_currency, text)


def replace_typography(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d)\s*[\u2013\u2014~-]\s*(?=\d)", "-", text)  # "3 – 5" is a range
    text = "".join(TYPOGRAPHY.get(ch, ch) for ch in text)
    text = re.sub(r"(?<![A-Za-z])'|'(?![A-Za-z])", " ", text)  # apostrophes stay inside words only
    text = text.replace('"', " ")
    return re.sub(r"(?<=\w)\s+-\s+(?=\w)", ", ", text)  # a spaced dash is a pause


def read_symbols_nonascii(text: str) -> str:
    return "".join(SYMBOL_WORDS.get(ch, ch) if not ch.isascii() else ch for ch in text)


def fold_ascii(text: str) -> str:
    """Strip accents ("café" -> "cafe"); anything else outside ASCII becomes a space."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ch.isascii() and (ch.isprintable() or ch == " ") else " " for ch in kept)


_ABBREV_RE = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")"
)


def expand_abbreviations(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        at_end = not text[m.end() :].strip()
        return ABBREVIATIONS[m.group(1)] + ("." if at_end else "")

    return _ABBREV_RE.sub(sub, text)


def read_number_signs(text: str) -> str:
    """ "No. 5" and "#5" -> "number 5"; "-5" at a word start -> "minus 5"."""
    text = re.sub(r"(?:\bNo\.|#)\s?(?=\d)", " number ", text)
    return re.sub(r"(?<![\w.,-])-(?=\d)", "minus ", text)


def spell_initialisms(text: str) -> str:
    """ "U.S." -> "U S", "a.m." -> "a m"; a sentence-final one keeps its full stop."""

    def sub(m: re.Match[str]) -> str:
        letters = " ".join(re.findall(r"[A-Za-z]", m.group(0)))
        return letters + ("." if not text[m.end() :].strip() else "")

    return re.sub(r"(?<![\w.])(?:[A-Za-z]\.){2,}", sub, text)


def read_dates(text: str) -> str:
    """ISO dates "2025-02-23" -> "February twenty-third, twenty twenty-five"."""

    def sub(m: re.Match[str]) -> str:
        y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return m.group(0).replace("-", " ")
        return f"{MONTHS[mo - 1]} {num2words(d, to='ordinal')}, {number_words(y)}"

    return re.sub(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", sub, text)


def read_times(text: str) -> str:
    """ "10:30" -> "ten thirty", "9:05" -> "nine oh five", "9:00" -> "nine o'clock"."""

    def sub(m: re.Match[str]) -> str:
        hour, minute = int(m.group(1)), int(m.group(2))
        if minute == 0:
            return f"{cardinal(str(hour))} o'clock"
        prefix = "oh " if minute < 10 else ""
        return f"{cardinal(str(hour))} {prefix}{cardinal(str(minute))}"

    return re.sub(r"\b([01]?\d|2[0-3]):([0-5]\d)\b(?!:)", sub, text)


def read_ranges(text: str) -> str:
    """ "3-5" -> "3 to 5" (read as numbers by a later step)."""
    return re.sub(rf"(?<![\w.,-])({NUMBER})\s?[-~]\s?({NUMBER})(?![\w-])", r"\1 to \2", text)


def read_ordinals(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        return str(num2words(int(m.group(1)), to="ordinal"))

    return re.sub(r"\b(\d{1,9})(?:st|nd|rd|th)\b", sub, text)


def read_decades(text: str) -> str:
    """ "1990s" -> "nineteen nineties"; "the '80s" was already stripped of its quote."""
    return re.sub(r"\b(1[1-9]\d0|20\d0)s\b", lambda m: plural(year(m.group(1))), text)


def split_letters_digits(text: str) -> str:
    """ "R1" -> "R 1", "GPT-4" -> "GPT 4", "5G" -> "5 G": each part is read on its own."""
    text = re.sub(r"(?<=[A-Za-z])-(?=\d)", " ", text)
    return re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)


def read_numbers(text: str) -> str:
    return re.sub(NUMBER, lambda m: number_words(m.group(0)), text)


def read_symbols(text: str) -> str:
    return "".join(" " if ch == "#" else SYMBOL_WORDS.get(ch, ch) for ch in text)


def fold_variants(text: str) -> str:
    for variant, standard in WORD_VARIANTS.items():
        text = re.sub(rf"\b{variant}\b", standard, text, flags=re.IGNORECASE)
    return text


def tidy(text: str) -> str:
    text = "".join(ch if ch in SPOKEN_ALPHABET else " " for ch in text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)  # ", ," left by dash and quote removal
    return text.strip(" ,;:")


# Order: typography and currency need the original characters; folding to ASCII comes
# before the ASCII rules; dates/times/ranges/ordinals/decades must see digits before the
# generic number reader; symbols come last so "10%" is read "ten percent".
STEPS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("typography", replace_typography),
    ("currency", read_currency),
    ("symbols-non-ascii", read_symbols_nonascii),
    ("ascii", fold_ascii),
    ("abbreviations", expand_abbreviations),
    ("initialisms", spell_initialisms),
    ("dates", read_dates),
    ("times", read_times),
    ("ranges", read_ranges),
    ("number-signs", read_number_signs),
    ("ordinals", read_ordinals),
    ("decades", read_decades),
    ("letters-digits", split_letters_digits),
    ("numbers", read_numbers),
    ("symbols", read_symbols),
    ("variants", fold_variants),
    ("tidy", tidy),
)


def spoken_form(text: str) -> str:
    """The text as a speech engine should read it: ASCII words and pause punctuation only."""
    for _name, step in STEPS:
        text = step(text)
    return text


def norm_tokens(text: str) -> list[str]:
    """Lowercased spoken words without punctuation; hyphenated words split, apostrophes dropped."""
    spoken = spoken_form(text).lower().replace("'", "")
    return re.findall(r"[a-z]+", spoken)
