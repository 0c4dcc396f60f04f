"""The data model. Times are integer milliseconds everywhere inside the library."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Sentence:
    """One script sentence. ``text`` keeps caption typography; ``spoken`` is for speech engines."""

    id: str  # stable: "s0001", "s0002", … in script order
    text: str
    spoken: str
    paragraph: int  # 0-based index of the body paragraph
    start_ms: int | None = None  # speech onset, once aligned
    end_ms: int | None = None  # speech offset, once aligned
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    lang: str  # "en", "zh-Hans", "zh-Hant", "bilingual"


@dataclass(frozen=True)
class Credit:
    role: str  # as written in the script ("Graphic Designer", "Produced by")
    names: tuple[str, ...]  # never reordered or re-capitalised


@dataclass(frozen=True)
class Repair:
    kind: str  # "html-entity", "quote", "title-spacing", …
    before: str
    after: str
    count: int = 1


@dataclass(frozen=True)
class Script:
    title: str
    paragraphs: tuple[tuple[Sentence, ...], ...]
    credits: tuple[Credit, ...] = ()
    dropped: tuple[str, ...] = ()  # lines removed as web boilerplate
    repairs: tuple[Repair, ...] = ()

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for para in self.paragraphs for s in para)


@dataclass(frozen=True)
class ZhPair:
    """A Chinese sentence (or merged sentences) paired with one or more English sentence ids."""

    en_ids: tuple[str, ...]
    zh: str


@dataclass(frozen=True)
class Fragment:
    """One aligned unit (a sentence or a line): alignment.json's ``fragments`` entries."""

    id: str
    text: str
    start_ms: int
    end_ms: int
    words: tuple[Word, ...] = ()
    confidence: float = 1.0


@dataclass(frozen=True)
class Deviation:
    kind: str  # "skipped", "inserted", "substituted", "skipped-sentence", "low-confidence", "aside", "false-start"
    time_ms: int
    script: str = ""
    spoken: str = ""
    fragment_id: str = ""
    end_ms: int | None = None  # end of the stretch of recording it concerns, where it has one


@dataclass(frozen=True)
class Alignment:
    engine: str
    audio: str
    duration_ms: int
    fragments: tuple[Fragment, ...]
    deviations: tuple[Deviation, ...] = field(default=())
