"""corrections.toml: the sound editor's fixes to what the machine got wrong, applied by ``produce``.

One human-readable, diffable file in the episode folder (the review editor writes it; a person
may too). Every fix names its sentence by id *and* by the sentence's script text, so it survives
re-alignment (times are host-recording milliseconds, which re-alignment does not move) and small
script edits (a sentence inserted before it renumbers the ids: the text still finds it; a word
changed in it: the same id with nearly the same text still finds it). A fix that no longer fits
— its sentence is gone, or its timing would overlap a neighbour — is reported as a
:class:`Problem` and never applied to another sentence.

Sections (all optional; the editor writes each fix as one inline table per line)::

    version = 1
    [[timing]]    sentence = "s0005"  text = "…"  start_ms = 12345  end_ms = 15000   # host time
    [[text]]      sentence = "s0007"  text = "…"  to = "the corrected caption text"
    [[zh]]        sentence = "s0007"  text = "…"  to = "改正后的中文"
    [[pairing]]   sentence = "s0009"  text = "…"  join = "previous" | "next"
    [[chapters]]  sentence = "s0012"  text = "…"  title = "…"  title_zh = "…"
    [[clips]]     name = "teaser"  start_ms = 60000  end_ms = 80000                  # host time

When ``[[chapters]]`` is present it is the whole chapter list (the first chapter always starts
at 0). Pure functions only: the stages call :func:`apply_corrections`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import EpisodeError
from .models import Alignment, Fragment, Sentence, Word, ZhPair

CORRECTIONS_FILE = "corrections.toml"
FORMAT_VERSION = 1
# same id, script text this similar (difflib ratio, 0–1): still the same sentence after a small edit
SIMILAR_TEXT_RATIO = 0.8
MIN_SENTENCE_MS = 100  # a sentence shorter than this after a timing fix is refused, not applied
CLIP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # build/clips/<name>.mp4
MAX_CLIP_MS = 180_000  # social clips: three minutes at most (the vertical platforms' longest)
SECTIONS = ("timing", "text", "zh", "pairing", "chapters", "clips")
_KEYS = {
    "timing": {"sentence", "text", "start_ms", "end_ms"},
    "text": {"sentence", "text", "to"},
    "zh": {"sentence", "text", "to"},
    "pairing": {"sentence", "text", "join"},
    "chapters": {"sentence", "text", "title", "title_zh"},
    "clips": {"name", "start_ms", "end_ms", "title"},
}


class CorrectionsError(EpisodeError):
    """corrections.toml (or [[chapters]]/[[clips]] in episode.toml) cannot be used: a file of the
    episode folder, so an EpisodeError to everything that catches those."""


@dataclass(frozen=True)
class Key:
    """Which sentence a fix is for: its id and its script text when the fix was made."""

    sentence: str
    text: str = ""


@dataclass(frozen=True)
class TimingFix:
    key: Key
    start_ms: int | None = None  # host-recording time
    end_ms: int | None = None


@dataclass(frozen=True)
class TextFix:
    key: Key
    to: str


@dataclass(frozen=True)
class PairingFix:
    key: Key
    join: str  # "previous" | "next": this sentence's Chinese line joins its neighbour's


@dataclass(frozen=True)
class ChapterMark:
    key: Key  # the chapter starts where this sentence starts
    title: str
    title_zh: str = ""


@dataclass(frozen=True)
class ClipMark:
    name: str
    start_ms: int  # host-recording time
    end_ms: int
    title: str = ""


@dataclass(frozen=True)
class Corrections:
    timing: tuple[TimingFix, ...] = ()
    text: tuple[TextFix, ...] = ()
    zh: tuple[TextFix, ...] = ()
    pairing: tuple[PairingFix, ...] = ()
    chapters: tuple[ChapterMark, ...] | None = None  # None: keep the automatic chapters
    clips: tuple[ClipMark, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A fix that was not applied, and why (shown by the editor and by ``check``)."""

    section: str
    sentence: str
    message: str

    def __str__(self) -> str:
        return f"{CORRECTIONS_FILE} [[{self.section}]] {self.sentence}: {self.message}"


@dataclass(frozen=True)
class Corrected:
    """The pipeline's data with every fitting fix applied (times in host-recording ms)."""

    sentences: tuple[Sentence, ...]
    alignment: Alignment
    zh_pairs: tuple[ZhPair, ...] | None
    chapters: tuple[ChapterMark, ...] | None  # None: automatic chapters
    clips: tuple[ClipMark, ...]
    problems: tuple[Problem, ...] = field(default=())


# ---------------------------------------------------------------- reading


def normalise(text: str) -> str:
    """Case-, width- and punctuation-blind form of a sentence, for matching keys."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def text_digest(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:12]


def read_document(path: Path) -> dict[str, Any]:
    """The raw TOML table of ``path`` ({} when it does not exist)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise CorrectionsError(f"{path} is not UTF-8 text ({err.reason}); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise CorrectionsError(f"{path} is not valid TOML: {err}; fix that line or delete the file") from err


def load_corrections(folder: Path) -> Corrections:
    """``folder/corrections.toml`` parsed and validated (empty when absent)."""
    return parse_document(read_document(folder / CORRECTIONS_FILE), CORRECTIONS_FILE)


def _fail(where: str, message: str) -> CorrectionsError:
    return CorrectionsError(f"{where}: {message}")


def _str(where: str, entry: Mapping[str, Any], name: str, required: bool = True) -> str:
    value = entry.get(name, None)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f"{name!r} must be a non-empty string in quotes, got {value!r}")
    return value.strip()


def _ms(where: str, entry: Mapping[str, Any], name: str, required: bool = True) -> int | None:
    value = entry.get(name, None)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"{name!r} must be a whole number of milliseconds ≥ 0, got {value!r}")
    return value


def _key(where: str, entry: Mapping[str, Any]) -> Key:
    return Key(_str(where, entry, "sentence"), _str(where, entry, "text", required=False))


def _entries(doc: Mapping[str, Any], section: str, source: str) -> list[tuple[str, Mapping[str, Any]]]:
    raw = doc.get(section, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise _fail(source, f"{section!r} must be a list of tables written [[{section}]]")
    out = []
    for n, entry in enumerate(raw, 1):
        where = f"{source} [[{section}]] #{n}"
        unknown = sorted(set(entry) - _KEYS[section])
        if unknown:
            raise _fail(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS[section]))}); remove it")
        out.append((where, entry))
    return out


def parse_chapters(raw: Any, source: str) -> tuple[ChapterMark, ...]:
    marks = []
    for where, e in _entries({"chapters": raw}, "chapters", source):
        marks.append(ChapterMark(_key(where, e), _str(where, e, "title"), _str(where, e, "title_zh", False)))
    return tuple(marks)


def parse_clips(raw: Any, source: str) -> tuple[ClipMark, ...]:
    clips, names = [], set()
    for where, e in _entries({"clips": raw}, "clips", source):
        name = _str(where, e, "name")
        if not CLIP_NAME.fullmatch(name):
            raise _fail(where, f"name {name!r} must be letters, digits, '-' or '_' (it becomes clips/<name>.mp4)")
        if name in names:
            raise _fail(where, f"name {name!r} is used twice; give each clip its own name")
        names.add(name)
        start, end = _ms(where, e, "start_ms"), _ms(where, e, "end_ms")
        assert start is not None and end is not None
        if not 0 < end - start <= MAX_CLIP_MS:
            raise _fail(where, f"end_ms must be after start_ms and at most {MAX_CLIP_MS} ms later")
        clips.append(ClipMark(name, start, end, _str(where, e, "title", False)))
    return tuple(clips)


def parse_document(doc: Mapping[str, Any], source: str = CORRECTIONS_FILE) -> Corrections:
    """Validate a corrections table; a CorrectionsError names the entry and key at fault."""
    unknown = sorted(set(doc) - set(SECTIONS) - {"version"})
    if unknown:
        raise _fail(source, f"unknown section {unknown[0]!r} (known: {', '.join(SECTIONS)}); remove it")
    if doc.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise _fail(source, f"version {doc.get('version')!r} is not {FORMAT_VERSION}; this toolkit cannot read it")
    timing = []
    for where, e in _entries(doc, "timing", source):
        start, end = _ms(where, e, "start_ms", False), _ms(where, e, "end_ms", False)
        if start is None and end is None:
            raise _fail(where, "give start_ms, end_ms or both")
        timing.append(TimingFix(_key(where, e), start, end))
    text = [TextFix(_key(w, e), _str(w, e, "to")) for w, e in _entries(doc, "text", source)]
    zh = [TextFix(_key(w, e), _str(w, e, "to")) for w, e in _entries(doc, "zh", source)]
    pairing = []
    for where, e in _entries(doc, "pairing", source):
        join = _str(where, e, "join")
        if join not in ("previous", "next"):
            raise _fail(where, f'join must be "previous" or "next", got {join!r}')
        pairing.append(PairingFix(_key(where, e), join))
    chapters = parse_chapters(doc["chapters"], source) if "chapters" in doc else None
    return Corrections(
        tuple(timing), tuple(text), tuple(zh), tuple(pairing), chapters, parse_clips(doc.get("clips", []), source)
    )


def to_toml(doc: Mapping[str, Any]) -> str:
    """The document as TOML, sections in a fixed order (so a diff shows only what changed)."""
    import tomli_w

    ordered: dict[str, Any] = {"version": FORMAT_VERSION}
    for section in SECTIONS:
        if section in doc and (doc[section] or section == "chapters"):
            ordered[section] = [{k: e[k] for k in sorted(e, key=_key_order)} for e in doc[section]]
    header = "# Fixes made in `perspective review` (or by hand); `perspective produce` applies them.\n"
    return header + tomli_w.dumps(ordered)


def _key_order(name: str) -> tuple[int, str]:
    first = ("name", "sentence", "text")
    return (first.index(name) if name in first else len(first), name)


def document_version(path: Path) -> str:
    """The file's content hash: the editor's version check (\"\" when there is no file)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""


def digest(corrections: Corrections, *sections: str) -> str:
    """A stable fingerprint of some sections (a stage's input: only they make it re-run)."""
    return hashlib.sha256(repr([getattr(corrections, s) for s in sections]).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- matching


def match(key: Key, sentences: Sequence[Sentence]) -> Sentence | None:
    """The sentence ``key`` names: same id and text; else the one sentence with that text; else
    the same id with nearly the same text (a small edit). None rather than a guess."""
    by_id = {s.id: s for s in sentences}
    same_id = by_id.get(key.sentence)
    if not key.text:
        return same_id
    wanted = normalise(key.text)
    if same_id is not None and normalise(same_id.text) == wanted:
        return same_id
    same_text = [s for s in sentences if normalise(s.text) == wanted]
    if len(same_text) == 1:
        return same_text[0]
    if (
        same_id is not None
        and difflib.SequenceMatcher(None, normalise(same_id.text), wanted).ratio() >= SIMILAR_TEXT_RATIO
    ):
        return same_id
    return None


def _gone(section: str, key: Key) -> Problem:
    quoted = f" (“{key.text[:60]}”)" if key.text else ""
    return Problem(section, key.sentence, f"its sentence{quoted} is no longer in the script; not applied")


# ---------------------------------------------------------------- applying


def apply_corrections(
    corrections: Corrections,
    sentences: Sequence[Sentence],
    alignment: Alignment,
    zh_pairs: Sequence[ZhPair] | None,
    base_chapters: tuple[ChapterMark, ...] | None = None,
    base_clips: tuple[ClipMark, ...] = (),
) -> Corrected:
    """Every fitting fix applied to the script sentences, the alignment and the pairing.

    ``base_chapters``/``base_clips`` come from episode.toml; corrections.toml's win.
    """
    problems: list[Problem] = []
    sentences = tuple(sentences)
    texts = _apply_text(corrections.text, sentences, problems)
    new_sentences = tuple(replace(s, text=texts[s.id]) if s.id in texts else s for s in sentences)
    fragments = _apply_timing(corrections.timing, sentences, alignment, problems)
    fragments = tuple(_retext(f, texts[f.id]) if f.id in texts else f for f in fragments)
    pairs = _apply_pairs(corrections, sentences, zh_pairs, problems)
    chapters = corrections.chapters if corrections.chapters is not None else base_chapters
    if chapters is not None:
        kept = []
        for mark in chapters:
            s = match(mark.key, sentences)
            if s is None:
                problems.append(_gone("chapters", mark.key))
            else:
                kept.append(replace(mark, key=Key(s.id, s.text)))
        chapters = tuple(kept)
    clips = {c.name: c for c in base_clips} | {c.name: c for c in corrections.clips}
    end = alignment.duration_ms
    for c in list(clips.values()):
        if end and c.end_ms > end:
            problems.append(Problem("clips", c.name, f"ends at {c.end_ms} ms, after the recording ({end} ms)"))
            del clips[c.name]
    return Corrected(
        new_sentences,
        replace(alignment, fragments=fragments),
        pairs,
        chapters,
        tuple(clips.values()),
        tuple(problems),
    )


def _apply_text(fixes: Sequence[TextFix], sentences: Sequence[Sentence], problems: list[Problem]) -> dict[str, str]:
    out: dict[str, str] = {}
    for fix in fixes:
        s = match(fix.key, sentences)
        if s is None:
            problems.append(_gone("text", fix.key))
        else:
            out[s.id] = " ".join(fix.to.split())
    return out


def _retext(f: Fragment, text: str) -> Fragment:
    """The fragment with the corrected caption text: word for word when the count is unchanged,
    else its words are dropped and the captions spread the new words over the sentence's span."""
    tokens = text.split()
    if len(tokens) == len(f.words):
        return replace(
            f, text=text, words=tuple(Word(t, w.start_ms, w.end_ms) for t, w in zip(tokens, f.words, strict=True))
        )
    return replace(f, text=text, words=())


def _apply_timing(
    fixes: Sequence[TimingFix], sentences: Sequence[Sentence], alignment: Alignment, problems: list[Problem]
) -> tuple[Fragment, ...]:
    frags = list(alignment.fragments)
    index = {f.id: i for i, f in enumerate(frags)}
    for fix in fixes:
        s = match(fix.key, sentences)
        if s is None or s.id not in index:
            problems.append(_gone("timing", fix.key))
            continue
        i = index[s.id]
        f = frags[i]
        start = f.start_ms if fix.start_ms is None else fix.start_ms
        end = f.end_ms if fix.end_ms is None else fix.end_ms
        prev_end = frags[i - 1].end_ms if i > 0 else 0
        next_start = frags[i + 1].start_ms if i + 1 < len(frags) else alignment.duration_ms or end
        if end - start < MIN_SENTENCE_MS:
            problems.append(
                Problem("timing", s.id, f"{start}-{end} ms is shorter than {MIN_SENTENCE_MS} ms; not applied")
            )
        elif start < prev_end or end > next_start:
            problems.append(
                Problem(
                    "timing",
                    s.id,
                    f"{start}-{end} ms overlaps a neighbour ({prev_end}-{next_start} ms free); not applied",
                )
            )
        else:
            frags[i] = replace(f, start_ms=start, end_ms=end, words=_fit_words(f.words, start, end))
    return tuple(frags)


def _fit_words(words: Sequence[Word], start: int, end: int) -> tuple[Word, ...]:
    """Words moved into [start, end]: scaled linearly from the fragment's old span."""
    if not words:
        return ()
    old_start, old_end = words[0].start_ms, words[-1].end_ms
    span = max(old_end - old_start, 1)

    def at(t: int) -> int:
        return start + (t - old_start) * (end - start) // span

    return tuple(Word(w.text, at(w.start_ms), max(at(w.start_ms), at(w.end_ms))) for w in words)


def _apply_pairs(
    corrections: Corrections, sentences: Sequence[Sentence], zh_pairs: Sequence[ZhPair] | None, problems: list[Problem]
) -> tuple[ZhPair, ...] | None:
    if zh_pairs is None:
        for section, key in [("zh", f.key) for f in corrections.zh] + [("pairing", f.key) for f in corrections.pairing]:
            problems.append(Problem(section, key.sentence, "the episode has no translation; not applied"))
        return None
    pairs = list(zh_pairs)
    for zfix in corrections.zh:
        s = match(zfix.key, sentences)
        at = _pair_of(pairs, s.id) if s else None
        if s is None or at is None:
            problems.append(_gone("zh", zfix.key))
        else:
            pairs[at] = replace(pairs[at], zh=zfix.to.strip())
    order = [s.id for s in sentences]
    for pfix in corrections.pairing:
        s = match(pfix.key, sentences)
        at = _pair_of(pairs, s.id) if s else None
        if s is None or at is None:
            problems.append(_gone("pairing", pfix.key))
            continue
        n = order.index(s.id) + (-1 if pfix.join == "previous" else 1)
        other = _pair_of(pairs, order[n]) if 0 <= n < len(order) else None
        if other is None or other == at:
            problems.append(Problem("pairing", s.id, f"there is no {pfix.join} Chinese line to join; not applied"))
            continue
        first, second = sorted((at, other))
        merged = ZhPair(pairs[first].en_ids + pairs[second].en_ids, pairs[first].zh + pairs[second].zh)
        pairs[first : second + 1] = [merged]
    return tuple(pairs)


def _pair_of(pairs: Sequence[ZhPair], sentence_id: str) -> int | None:
    return next((i for i, p in enumerate(pairs) if sentence_id in p.en_ids), None)


def chapter_title(mark: ChapterMark) -> str:
    """The title players show: English, and the Chinese after a middle dot when there is one."""
    return f"{mark.title} · {mark.title_zh}" if mark.title_zh else mark.title


def chapter_spans(marks: Sequence[ChapterMark], timed: Sequence[Sentence], end_ms: int) -> list[tuple[str, int, int]]:
    """(title, start, end) per chapter from marks on timed sentences; the first starts at 0."""
    starts = {s.id: int(s.start_ms or 0) for s in timed}
    placed = sorted(((starts[m.key.sentence], m) for m in marks if m.key.sentence in starts), key=lambda p: p[0])
    out: list[tuple[str, int, int]] = []
    for i, (start, mark) in enumerate(placed):
        stop = placed[i + 1][0] if i + 1 < len(placed) else end_ms
        if stop > start or i + 1 == len(placed):
            out.append((chapter_title(mark), 0 if i == 0 else start, max(stop, start + 1)))
    return out
