"""Caption quality control: every rule of docs/output-rules.md "Captions" as a table row.

A row is (rule, limit, source, severity, measure, bad): ``measure`` gives the cue's value (None
when the rule does not apply), ``limit`` the setting it is held to, ``bad(value, limit)``
whether it breaks it. ``check`` runs the table over a track; ``check_files`` reads the files
``write_captions`` wrote back (srt, webvtt-py, pysubs2), checks them and their agreement;
``summary`` counts.

Reading speed has four rows: over the target or the hard ceiling *where the timing could
have done better* (warning / error), and the same *where the speech itself is too fast*
(both warnings): a cue cannot be slower than the words it must show allow, even using the
whole silence around them, and that is reported, not failed.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..align.base import read_alignment
from ..errors import ProductionError
from ..layout import AGREEING, ALIGNMENT_FILE, ALWAYS, CAPTION_FILES, BuildLayout, caption_files
from ..models import Cue, Word
from .formats import get_format
from .formats.ass import FONT_TAG
from .measure import en_chars, reading_chars, split_stacked, zh_width
from .segment import word_pieces
from .settings import TIME_GRID_MS, CaptionSettings, grid_ceil

ERROR, WARNING = "error", "warning"
Span = tuple[int, int]


@dataclass(frozen=True)
class QcIssue:
    cue_index: int  # 0-based index in its track (-1: the whole file)
    rule: str
    severity: str  # "error" | "warning"
    message: str
    value: float | str
    limit: float | str
    lang: str = ""  # "en", "zh-Hans", "zh-Hant", "bilingual"
    file: str = ""  # file name, when the issue comes from check_files


@dataclass(frozen=True)
class _Ctx:
    """One cue seen with its neighbours, its language parts and (if known) its speech."""

    cues: Sequence[Cue]
    i: int
    lang: str
    settings: CaptionSettings
    spans: Sequence[Span | None] | None

    @property
    def cue(self) -> Cue:
        return self.cues[self.i]

    @property
    def duration(self) -> int:
        return self.cue.end_ms - self.cue.start_ms

    @property
    def bilingual(self) -> bool:
        return self.lang == "bilingual"

    @property
    def en_lines(self) -> list[str]:
        if self.lang.startswith("zh"):
            return []
        return self._stacked()[1] if self.bilingual else list(self.cue.lines)

    @property
    def zh_lines(self) -> list[str]:
        if self.lang.startswith("zh"):
            return list(self.cue.lines)
        return self._stacked()[0] if self.bilingual else []

    def _stacked(self) -> tuple[list[str], list[str]]:
        s = self.settings
        return split_stacked(self.cue.lines, s.bilingual_zh_lines, s.bilingual_en_lines)

    def span(self, offset: int = 0) -> Span | None:
        j = self.i + offset
        if self.spans is None or not 0 <= j < len(self.spans):
            return None
        return self.spans[j]

    def next_gap(self) -> int | None:
        if self.i + 1 >= len(self.cues):
            return None
        return self.cues[self.i + 1].start_ms - self.cue.end_ms


# ---------------------------------------------------------------------------- measures


def _max_or_none(values: Sequence[float]) -> float | None:
    return max(values) if values else None


def _en_cps(c: _Ctx) -> float | None:
    return reading_chars(c.en_lines, False) * 1000 / max(c.duration, 1) if c.en_lines else None


def _zh_cps(c: _Ctx) -> float | None:
    return reading_chars(c.zh_lines, True) * 1000 / max(c.duration, 1) if c.zh_lines else None


def _speech_window(c: _Ctx) -> int | None:
    """The longest a cue over this speech could last: up to the trail, or to the next speech."""
    span = c.span()
    if span is None:
        return None
    s = c.settings
    start = span[0] - s.sync_tolerance_ms
    end = span[1] + s.trail_ms
    if (prev := c.span(-1)) is not None:
        start = max(start, prev[1] + s.min_gap_ms)
    if (nxt := c.span(1)) is not None:
        end = min(end, nxt[0] - s.min_gap_ms)
    return max(end - start, TIME_GRID_MS)


def _speech_cps(c: _Ctx) -> float | None:
    window = _speech_window(c)
    if window is None or not c.en_lines:
        return None
    return reading_chars(c.en_lines, False) * 1000 / window


def _en_over(
    limit: Callable[[CaptionSettings], float], speech_limited: bool
) -> Callable[[_Ctx], float | None]:
    """English cps, counted only where the speech does (or does not) force it over ``limit``."""

    def measure(c: _Ctx) -> float | None:
        speech = _speech_cps(c)
        forced = speech is not None and speech > limit(c.settings)
        return _en_cps(c) if forced == speech_limited else None

    return measure


def _zh_line_end(c: _Ctx) -> float | None:
    return (
        float(sum(1 for ln in c.zh_lines if ln.rstrip().endswith(("。", "，"))))
        if c.zh_lines
        else None
    )


_BAD_SPACE = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t\u00a0\u2000-\u200a]+|"
    r"[ \t\u00a0\u2000-\u200a]+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])|\s{2,}"
)


def _zh_spaces(c: _Ctx) -> float | None:
    return float(sum(len(_BAD_SPACE.findall(ln)) for ln in c.zh_lines)) if c.zh_lines else None


def _in_time_offset(c: _Ctx) -> float | None:
    span = c.span()
    return abs(c.cue.start_ms - span[0]) if span is not None else None


def _trail(c: _Ctx) -> float | None:
    span = c.span()
    return c.cue.end_ms - span[1] if span is not None else None


def _excess_trail(c: _Ctx) -> float | None:
    """The trail, unless the cue needed the time for its minimum duration or hard reading speed."""
    s = c.settings
    chars = reading_chars(c.en_lines, False) if c.en_lines else 0.0
    needed = max(s.min_cue_ms, grid_ceil(chars * 1000 / s.en_hard_cps))
    return None if c.duration <= needed else _trail(c)


def _continuation(c: _Ctx) -> float | None:
    marks = ("...", "…", " -", "—", "–")
    lines = c.en_lines
    return float(lines[-1].rstrip().endswith(marks)) if lines and c.i + 1 < len(c.cues) else None


# ------------------------------------------------------------------------------ table


@dataclass(frozen=True)
class Rule:
    name: str
    limit: Callable[[_Ctx], float]
    source: str
    severity: str
    measure: Callable[[_Ctx], float | None]
    bad: Callable[[float, float], bool]
    what: str  # message: "{value}" and "{limit}" are filled in


def _over(value: float, limit: float) -> bool:
    return value > limit + 1e-9


def _under(value: float, limit: float) -> bool:
    return value < limit - 1e-9


NETFLIX = "Netflix general requirements"
NETFLIX_EN = "Netflix English timed-text guide"
NETFLIX_ZH = "Netflix Simplified Chinese timed-text guide"
ZH_CPS_SOURCE = "secondary summary of Netflix zh-Hans"


def _en_line_limit(c: _Ctx) -> float:
    return c.settings.bilingual_en_lines if c.bilingual else c.settings.max_lines


def _zh_line_limit(c: _Ctx) -> float:
    return c.settings.bilingual_zh_lines if c.bilingual else c.settings.max_lines


def _next_gap(c: _Ctx) -> float | None:
    gap = c.next_gap()
    return None if gap is None else float(gap)


# fmt: off
RULES: tuple[Rule, ...] = (
    # name, limit, source, severity, measure, bad, message
    Rule("empty", lambda c: 1, "common sense", ERROR,
         lambda c: float(sum(1 for ln in c.cue.lines if ln.strip())), _under, "cue has no text"),
    Rule("en-chars-per-line", lambda c: c.settings.en_max_chars_per_line, NETFLIX_EN, ERROR,
         lambda c: _max_or_none([en_chars(ln) for ln in c.en_lines]), _over,
         "English line of {value:g} characters (limit {limit:g})"),
    Rule("zh-chars-per-line", lambda c: c.settings.zh_max_chars_per_line, NETFLIX_ZH, ERROR,
         lambda c: _max_or_none([zh_width(ln) for ln in c.zh_lines]), _over,
         "Chinese line of {value:g} characters (limit {limit:g}; half-width counts 0.5)"),
    Rule("en-lines", _en_line_limit, NETFLIX, ERROR,
         lambda c: float(len(c.en_lines)) if c.en_lines else None, _over,
         "{value:g} English lines (limit {limit:g})"),
    Rule("zh-lines", _zh_line_limit, NETFLIX, ERROR,
         lambda c: float(len(c.zh_lines)) if c.zh_lines else None, _over,
         "{value:g} Chinese lines (limit {limit:g})"),
    Rule("min-duration", lambda c: c.settings.min_duration_ms, NETFLIX, ERROR,
         lambda c: float(c.duration), _under, "on screen {value:g} ms (minimum {limit:g} ms)"),
    Rule("max-duration", lambda c: c.settings.max_duration_ms, NETFLIX, ERROR,
         lambda c: float(c.duration), _over, "on screen {value:g} ms (maximum {limit:g} ms)"),
    Rule("gap", lambda c: c.settings.min_gap_ms, NETFLIX, ERROR, _next_gap, _under,
         "{value:g} ms before the next cue (minimum {limit:g} ms = 2 frames)"),
    Rule("en-reading-speed-hard", lambda c: c.settings.en_hard_cps, NETFLIX_EN, ERROR,
         _en_over(lambda s: s.en_hard_cps, speech_limited=False), _over,
         "English reads at {value:.1f} cps (hard ceiling {limit:g})"),
    Rule("en-speech-too-fast", lambda c: c.settings.en_hard_cps, NETFLIX_EN, WARNING,
         _en_over(lambda s: s.en_hard_cps, speech_limited=True), _over,
         "English reads at {value:.1f} cps: the speech itself is faster than {limit:g} cps"),
    Rule("en-reading-speed", lambda c: c.settings.en_target_cps, NETFLIX_EN, WARNING,
         _en_over(lambda s: s.en_target_cps, speech_limited=False), _over,
         "English reads at {value:.1f} cps (target {limit:g})"),
    Rule("en-speech-over-target", lambda c: c.settings.en_target_cps, NETFLIX_EN, WARNING,
         _en_over(lambda s: s.en_target_cps, speech_limited=True), _over,
         "English reads at {value:.1f} cps: the speech itself is faster than {limit:g} cps"),
    Rule("zh-reading-speed", lambda c: c.settings.zh_target_cps, ZH_CPS_SOURCE, WARNING,
         _zh_cps, _over, "Chinese reads at {value:.1f} cps (target {limit:g})"),
    Rule("zh-line-end-punctuation", lambda c: 0, "fansub practice (secondary)", ERROR,
         _zh_line_end, _over, "{value:g} Chinese line(s) end with 。or ，"),
    Rule("zh-spaces", lambda c: 0, "peer failures (WhisperX #597, #248)", ERROR,
         _zh_spaces, _over, "{value:g} space(s) next to Chinese characters"),
    Rule("continuation", lambda c: 0, NETFLIX, WARNING, _continuation, _over,
         "line ends with an ellipsis or dash before the next cue"),
    Rule("in-time", lambda c: c.settings.sync_tolerance_ms + TIME_GRID_MS, NETFLIX, ERROR,
         _in_time_offset, _over, "in-time {value:g} ms from speech onset (tolerance {limit:g} ms)"),
    Rule("out-time-trail", lambda c: c.settings.trail_ms + TIME_GRID_MS, NETFLIX, ERROR,
         _excess_trail, _over, "out-time {value:g} ms after the last word (limit {limit:g} ms)"),
    Rule("out-time-early", lambda c: -(c.settings.sync_tolerance_ms + TIME_GRID_MS), NETFLIX,
         WARNING, _trail, _under, "out-time {value:g} ms relative to the last word's end"),
)
# fmt: on


def rule_table() -> list[tuple[str, str, str]]:
    """(rule, source, severity) of every row, for reports and docs."""
    return [(r.name, r.source, r.severity) for r in RULES]


def check(
    cues: Sequence[Cue],
    lang: str,
    settings: CaptionSettings | None = None,
    speech: Sequence[Span | None] | None = None,
) -> list[QcIssue]:
    """Every rule broken by every cue of one track (speech spans enable the sync rules)."""
    settings = settings or CaptionSettings()
    issues = []
    for i in range(len(cues)):
        ctx = _Ctx(cues, i, lang, settings, speech)
        for rule in RULES:
            value = rule.measure(ctx)
            if value is None:
                continue
            limit = rule.limit(ctx)
            if rule.bad(value, limit):
                message = rule.what.format(value=value, limit=limit)
                issues.append(
                    QcIssue(i, rule.name, rule.severity, message, round(value, 3), limit, lang)
                )
    return issues


# ------------------------------------------------------------------------------- files

# the caption files, their languages and when they exist: the build layout owns them
_SUFFIX_LANG = {f.suffix: f.lang for f in CAPTION_FILES}

# raw markup a reader would interpret, per format
_RAW_MARKUP = {
    ".srt": re.compile(r"<[A-Za-z/]|\{\\|\\[Nnh]|-->"),
    ".vtt": re.compile(r"<(?!v[ .])[A-Za-z/]|-->"),
    ".ass": re.compile(r"(?<!\\)[{}]|\\(?![{}\u2060N])"),
}


def read_files(build_dir: Path, slug: str) -> dict[str, list[Cue]]:
    """Cues of every caption file present, by file name, read with the independent readers."""
    out = {}
    for suffix, lang in _SUFFIX_LANG.items():
        path = Path(build_dir) / f"{slug}.{suffix}"
        if path.is_file():
            out[path.name] = get_format(path).loads(path.read_text(encoding="utf-8"), lang)
    return out


def check_files(
    build_dir: Path,
    slug: str,
    settings: CaptionSettings | None = None,
    speech_offset_ms: int | None = None,
    layout: BuildLayout | None = None,
) -> list[QcIssue]:
    """Check the caption files in ``build_dir``: presence, markup, every rule, agreement.

    With ``speech_offset_ms`` (where the host's audio starts on the captions' clock: 0, or the
    intro's length), the words in ``build_dir/alignment.json`` shifted by it give each cue its
    speech, which enables the sync rules and tells speech too fast to caption from timing
    faults. Without it those rules are skipped. With the episode's ``layout``, the files it
    says exist are required; without it, the Chinese files only when any of them is present.
    """
    settings = settings or CaptionSettings()
    build_dir = Path(build_dir)
    issues = _presence(build_dir, slug, layout)
    words = (
        []
        if speech_offset_ms is None
        else _alignment_words(build_dir, speech_offset_ms, settings.en_max_chars_per_line)
    )
    parsed: dict[str, list[Cue]] = {}
    for suffix, lang in _SUFFIX_LANG.items():
        path = build_dir / f"{slug}.{suffix}"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            cues = get_format(path).loads(text, lang)
        except ProductionError as err:
            issues.append(QcIssue(-1, "unreadable", ERROR, str(err), "", "", lang, path.name))
            continue
        parsed[suffix] = cues
        issues += _markup(path, text, lang)
        spans = _spans(cues, words) if words else None
        issues += [_in_file(i, path.name) for i in check(cues, lang, settings, spans)]
        if path.suffix == ".vtt":
            issues += _vtt_lines(cues, lang, path.name, settings)
    issues += _agreement(parsed, slug)
    return issues


def _in_file(issue: QcIssue, name: str) -> QcIssue:
    return QcIssue(
        issue.cue_index,
        issue.rule,
        issue.severity,
        issue.message,
        issue.value,
        issue.limit,
        issue.lang,
        name,
    )


def _presence(build_dir: Path, slug: str, layout: BuildLayout | None) -> list[QcIssue]:
    required = caption_files(translation=True, traditional=False)
    present = {f.suffix for f in required if (build_dir / f"{slug}.{f.suffix}").is_file()}
    zh_files = {f.suffix for f in required if f.when != ALWAYS}
    translation = layout.translation if layout is not None else bool(present & zh_files)
    expected = layout.caption_files() if layout is not None else caption_files(translation)
    issues = []
    for f in expected:
        if f.suffix in present or (build_dir / f"{slug}.{f.suffix}").is_file():
            continue
        issues.append(
            QcIssue(
                -1,
                "missing-file",
                ERROR,
                f"{slug}.{f.suffix} is missing: run produce again",
                f.suffix,
                "",
                f.lang,
                f"{slug}.{f.suffix}",
            )
        )
    if not translation and layout is None:
        issues.append(
            QcIssue(
                -1,
                "no-translation",
                WARNING,
                "no Chinese translation: zh-Hans and bilingual captions were not written",
                "",
                "",
                "zh-Hans",
                "",
            )
        )
    return issues


def _markup(path: Path, text: str, lang: str) -> list[QcIssue]:
    pattern = _RAW_MARKUP[path.suffix]
    issues = []
    for i, body in enumerate(_cue_bodies(path.suffix, text)):
        if pattern.search(FONT_TAG.sub("", body) if path.suffix == ".ass" else body):  # fallback fonts are ours
            issues.append(
                QcIssue(
                    i,
                    "markup",
                    ERROR,
                    f"caption text would be read as markup: {body[:40]!r}",
                    body[:40],
                    "",
                    lang,
                    path.name,
                )
            )
    return issues


def _cue_bodies(suffix: str, text: str) -> list[str]:
    """The text part of every cue in a file, as written (escapes and all)."""
    if suffix == ".ass":
        return [ln.split(",", 9)[9] for ln in text.splitlines() if ln.startswith("Dialogue:")]
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if "-->" in b]
    bodies = []
    for block in blocks:
        lines = block.splitlines()
        timing = next(k for k, ln in enumerate(lines) if "-->" in ln)
        bodies.append("\n".join(lines[timing + 1 :]))
    return bodies


def _vtt_lines(
    cues: Sequence[Cue], lang: str, name: str, settings: CaptionSettings
) -> list[QcIssue]:
    limit = settings.vtt_max_line_chars
    return [
        QcIssue(
            i,
            "vtt-line-length",
            WARNING,
            f"WebVTT line of {n} characters (Podcasting 2.0: {limit})",
            n,
            limit,
            lang,
            name,
        )
        for i, cue in enumerate(cues)
        if (n := max(en_chars(ln) for ln in cue.lines)) > limit
    ]


def _agreement(parsed: Mapping[str, list[Cue]], slug: str) -> list[QcIssue]:
    issues = []
    for a, b in AGREEING:
        if a in parsed and b in parsed and _timeline(parsed[a]) != _timeline(parsed[b]):
            issues.append(
                QcIssue(
                    -1,
                    "formats-disagree",
                    ERROR,
                    f"{slug}.{a} and {slug}.{b} hold different cues: run produce again",
                    a,
                    b,
                    parsed[a][0].lang if parsed[a] else "",
                    f"{slug}.{b}",
                )
            )
    return issues


def _timeline(cues: Sequence[Cue]) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(c.start_ms, c.end_ms, c.lines) for c in cues]


def _alignment_words(build_dir: Path, offset_ms: int, max_chars: int) -> list[Word]:
    """The aligned words on the captions' clock; a word longer than a line in the pieces the
    captions show it in (segment.word_pieces), each with its share of the word's time."""
    path = build_dir / ALIGNMENT_FILE
    if not path.is_file():
        return []
    try:
        alignment = read_alignment(path)
    except ProductionError:
        return []
    words = (w for f in alignment.fragments for w in f.words)
    shifted = (Word(w.text, w.start_ms + offset_ms, w.end_ms + offset_ms) for w in words)
    pieces = (piece for w in shifted for piece in word_pieces(w, max_chars))
    return sorted(pieces, key=lambda w: w.start_ms)


def _spans(cues: Sequence[Cue], words: Sequence[Word]) -> list[Span | None]:
    """Speech under each cue: the words whose middle falls inside it."""
    mids = [(w.start_ms + w.end_ms) / 2 for w in words]
    spans: list[Span | None] = []
    for cue in cues:
        lo = bisect.bisect_left(mids, cue.start_ms)
        hi = bisect.bisect_right(mids, cue.end_ms)
        spans.append((words[lo].start_ms, words[hi - 1].end_ms) if hi > lo else None)
    return spans


# ----------------------------------------------------------------------------- summary

_TARGET_RULES = {"en": ("en-reading-speed", "en-speech-over-target"), "zh": ("zh-reading-speed",)}


def summary(
    issues: Sequence[QcIssue], cues: Mapping[str, Sequence[Cue]] | None = None
) -> dict[str, object]:
    """Counts of errors and warnings (by rule) and, given the tracks, % of cues within target cps.

    ``cues`` maps a track key to its cues; an issue belongs to the track named by its ``file``
    (check_files, read_files) or else its ``lang`` (check).
    """
    out: dict[str, object] = {
        "errors": sum(1 for i in issues if i.severity == ERROR),
        "warnings": sum(1 for i in issues if i.severity == WARNING),
        "by_rule": dict(Counter(i.rule for i in issues)),
    }
    if cues:
        out["cues"] = {key: len(track) for key, track in cues.items()}
        out["within_target_cps_pct"] = _within(issues, cues, allow_speech=False)
        out["within_target_cps_where_speech_allows_pct"] = _within(issues, cues, allow_speech=True)
    return out


def _within(
    issues: Sequence[QcIssue], cues: Mapping[str, Sequence[Cue]], allow_speech: bool
) -> dict[str, float]:
    out = {}
    for key, track in cues.items():
        for part, (rule, *limited) in _TARGET_RULES.items():
            if not any(_has_part(c, part) for c in track):
                continue
            mine = [i for i in issues if (i.file or i.lang) == key]
            over = {i.cue_index for i in mine if i.rule == rule}
            forced = {i.cue_index for i in mine if i.rule in limited}
            counted = len(track) - (len(forced) if allow_speech else 0)
            bad = len(over) + (0 if allow_speech else len(forced - over))
            out[f"{key}:{part}"] = round(100.0 * (1 - bad / counted), 2) if counted else 100.0
    return out


def _has_part(cue: Cue, part: str) -> bool:
    zh = cue.lang.startswith("zh") or (cue.lang == "bilingual" and len(cue.lines) > 1)
    en = not cue.lang.startswith("zh")
    return zh if part == "zh" else en
