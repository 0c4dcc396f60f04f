"""review.html: one self-contained page for the sound editor to check an episode by ear.

The HTML/CSS/JS template lives in assets/review/ and is inlined here, so the page needs
nothing but the MP3 beside it: no network, no CDN (a Content-Security-Policy enforces it).
Every piece of user text goes through html.escape; the data the script needs travels as
JSON in a ``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from ..assets import asset
from ..errors import ProductionError
from ..models import Sentence
from .inputs import PublishInputs, chapters_of, clock, sentence_index_at, validate

TEMPLATE_DIR = asset("review")
SYNTHETIC_BANNER = (
    "SYNTHETIC HOST READ: this audio is the demo's eSpeak NG stand-in, not the host's "
    "recording. Replace host audio with the real read and produce again before publishing."
)
NO_ITEMS = '<p class="none">None.</p>'
# podcast target ±1 LU (docs/output-rules.md "Loudness and audio"); loudness["tolerance_lu"] overrides
LOUDNESS_TOLERANCE_LU = 1.0
TRUE_PEAK_CEILING_DBTP = -1.0  # ≤ −1 dBTP (Apple Podcasts, EBU R128)
_OUT_OF_SPEC = ' class="out-of-spec"'
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_ABSOLUTE_URL = re.compile(r"^(https?://[^/?#]+)", re.IGNORECASE)


def review_html(inputs: PublishInputs, audio_href: str) -> str:
    """The whole page; ``audio_href`` is the MP3's URL relative to review.html (build/)."""
    validate(inputs)
    css, js, template = _asset("review.css"), _asset("review.js"), _asset("review.html")
    dev_at, qc_at = _marks_by_sentence(inputs)
    fields = {
        "lang": _esc(inputs.language),
        "csp": _esc(_csp(css, js, audio_href)),
        "tool_version": _esc(inputs.tool_version),
        "page_title": _esc(f"Review · {inputs.title}"),
        "css": css,
        "js": js,
        "banner": _banner(inputs),
        "show": _esc(inputs.show),
        "title": _esc(inputs.title),
        "meta": _esc(_meta(inputs)),
        "audio_href": _esc(audio_href),
        "script": _script(inputs, dev_at, qc_at),
        "loudness": _loudness(inputs.loudness),
        "qc_summary": _facts(inputs.qc_summary),
        "deviation_count": str(len(inputs.deviations)),
        "deviation_list": _item_list(
            _ordered(inputs.deviations, _deviation_time), _deviation_item, "dev"
        ),
        "qc_count": str(len(inputs.qc_issues)),
        "qc_list": _item_list(
            _ordered(inputs.qc_issues, _issue_time(inputs)), _qc_item(inputs), "qc"
        ),
        "cue_count": str(len(inputs.captions_en)),
        "cue_list": _cue_list(inputs),
        "credits": _credits(inputs),
        "data": script_json(_page_data(inputs)),
    }
    return _PLACEHOLDER.sub(lambda m: fields[m.group(1)], template)


def script_json(obj: Any) -> str:
    """JSON safe in ``<script type="application/json">``: no ``</``, ``<!--`` or ``]]>`` left."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _asset(name: str) -> str:
    path = TEMPLATE_DIR / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ProductionError(
            f"review page template {path} is missing: restore assets/review/ from the repository"
        ) from err


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _sha256_source(text: str) -> str:
    return (
        "'sha256-"
        + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        + "'"
    )


def _csp(css: str, js: str, audio_href: str) -> str:
    """Only our own inline style and script run; media only from the page's own place."""
    media = ["'self'", "file:", "blob:"]
    absolute = _ABSOLUTE_URL.match(audio_href)
    if absolute:
        media.append(absolute.group(1))
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src {_sha256_source(css)}",
            f"script-src {_sha256_source(js)}",
            f"media-src {' '.join(media)}",
            "img-src data:",
            "connect-src 'self'",  # `perspective review`'s editor talks to its own server
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _banner(inputs: PublishInputs) -> str:
    if not inputs.synthetic_host_read:
        return ""
    banner = _esc(SYNTHETIC_BANNER)
    return f'<div class="banner synthetic" role="alert" id="synthetic-banner">{banner}</div>'


def _meta(inputs: PublishInputs) -> str:
    parts = [inputs.date.isoformat(), clock(inputs.duration_ms)]
    if inputs.host.strip():
        parts.append(f"host {inputs.host.strip()}")
    if inputs.engine:
        parts.append(f"aligned by {inputs.engine}")
    parts.append(f"toolkit {inputs.tool_version}")
    return " · ".join(parts)


def stamp(ms: int) -> str:
    """M:SS.s for lists an editor scans (tenths matter when checking sync)."""
    return f"{clock(ms)}.{max(0, ms) % 1000 // 100}"


# ---- marks: which deviations and QC issues belong to which sentence


def _deviation_time(dev: Mapping[str, Any]) -> int:
    return int(dev.get("time_ms") or 0)


def _issue_time(inputs: PublishInputs) -> Callable[[Mapping[str, Any]], int | None]:
    """start_ms, else the English cue's start; None for a whole-file finding (cue_index -1)."""

    def time_of(issue: Mapping[str, Any]) -> int | None:
        if issue.get("start_ms") is not None:
            return int(issue["start_ms"])
        index = issue.get("cue_index")
        if issue.get("lang", "en") == "en" and isinstance(index, int):
            if 0 <= index < len(inputs.captions_en):
                return inputs.captions_en[index].start_ms
        return None

    return time_of


def _ordered(
    items: Sequence[Mapping[str, Any]], time_of: Callable[[Mapping[str, Any]], int | None]
) -> list[tuple[int, Mapping[str, Any]]]:
    """(original index, item) sorted by time, untimed first; the index keeps anchors stable."""

    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[int, int]:
        ms = time_of(pair[1])
        return (-1 if ms is None else ms, pair[0])

    return sorted(enumerate(items), key=key)


def _marks_by_sentence(inputs: PublishInputs) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    sentences = inputs.sentences
    ids = {s.id: i for i, s in enumerate(sentences)}
    dev_at: dict[int, list[int]] = {}
    qc_at: dict[int, list[int]] = {}
    if not sentences:
        return dev_at, qc_at
    for n, dev in enumerate(inputs.deviations):
        where = ids.get(str(dev.get("fragment_id") or ""))
        if where is None:
            where = sentence_index_at(sentences, _deviation_time(dev))
        dev_at.setdefault(where, []).append(n)
    time_of = _issue_time(inputs)
    for n, issue in enumerate(inputs.qc_issues):
        ms = time_of(issue)
        if ms is not None:  # whole-file findings are listed, not marked on a sentence
            qc_at.setdefault(sentence_index_at(sentences, ms), []).append(n)
    return dev_at, qc_at


# ---- the script pane


def _script(
    inputs: PublishInputs, dev_at: dict[int, list[int]], qc_at: dict[int, list[int]]
) -> str:
    if not inputs.sentences:
        return NO_ITEMS
    blocks = []
    for paragraph in _paragraphs(inputs.sentences):
        english = " ".join(
            _sentence(inputs, i, s, dev_at.get(i, []), qc_at.get(i, [])) for i, s in paragraph
        )
        blocks.append(f'<p class="para" data-paragraph="{paragraph[0][1].paragraph}">{english}</p>')
        zh = _zh_text(inputs, [s for _i, s in paragraph])
        if zh:
            blocks.append(f'<p class="zh" lang="zh-Hans">{_esc(zh)}</p>')
    return "\n    ".join(blocks)


def _paragraphs(sentences: Sequence[Sentence]) -> list[list[tuple[int, Sentence]]]:
    groups: list[list[tuple[int, Sentence]]] = []
    for i, s in enumerate(sentences):
        if not groups or groups[-1][-1][1].paragraph != s.paragraph:
            groups.append([])
        groups[-1].append((i, s))
    return groups


def _zh_text(inputs: PublishInputs, sentences: Iterable[Sentence]) -> str:
    """The paragraph's Chinese, each translation once (one may cover several sentences)."""
    parts: list[str] = []
    for s in sentences:
        zh = (inputs.zh.get(s.id) or "").strip()
        if zh and (not parts or parts[-1] != zh):
            parts.append(zh)
    return "".join(parts)


def _sentence(
    inputs: PublishInputs, i: int, s: Sentence, devs: list[int], issues: list[int]
) -> str:
    classes = ["sentence"] + (["has-deviation"] if devs else []) + (["has-qc"] if issues else [])
    span = (
        f'<span class="{" ".join(classes)}" id="{_esc(s.id)}" data-index="{i}" '
        f'data-start="{s.start_ms}" '
        f'data-end="{s.end_ms}" role="button" tabindex="0">{_esc(s.text)}</span>'
    )
    marks = [_dev_mark(inputs.deviations[n], n) for n in devs]
    marks += [_qc_mark(inputs.qc_issues[n], n) for n in issues]
    return span + "".join(marks)


_ALIGNMENT_NOTES = {  # deviations about where speech is, not about which words were said
    "low-confidence": "placed with low confidence, listen: “{script}”",
    "skipped-sentence": "never read: “{script}” (its caption shows words nobody says)",
    "false-start": "abandoned take before “{script}” (left out of the caption)",
    "aside": "speech that belongs to no script sentence (left out of the captions)",
}


def _deviation_text(dev: Mapping[str, Any]) -> str:
    script, spoken = str(dev.get("script") or ""), str(dev.get("spoken") or "")
    if dev.get("kind") in _ALIGNMENT_NOTES:
        return _ALIGNMENT_NOTES[str(dev["kind"])].format(script=script)
    if script and spoken:
        return f"script “{script}” → spoken “{spoken}”"
    if script:
        return f"script “{script}” not heard"
    return f"spoken “{spoken}” not in the script" if spoken else ""


def _dev_mark(dev: Mapping[str, Any], n: int) -> str:
    title = f"{dev.get('kind', 'deviation')}: {_deviation_text(dev)}"
    return f'<a class="mark deviation" href="#dev-{n}" title="{_esc(title)}">Δ</a>'


def _severity(issue: Mapping[str, Any]) -> str:
    value = str(issue.get("severity") or "warning").lower()
    return value if value in ("error", "warning", "info") else "warning"


def _qc_mark(issue: Mapping[str, Any], n: int) -> str:
    title = f"{issue.get('rule', 'qc')}: {issue.get('message', '')}"
    return f'<a class="mark qc {_severity(issue)}" href="#qc-{n}" title="{_esc(title)}">!</a>'


# ---- the side lists


def _item_list(
    items: list[tuple[int, Mapping[str, Any]]],
    render: Callable[[int, Mapping[str, Any]], str],
    prefix: str,
) -> str:
    if not items:
        return NO_ITEMS
    return f'<ol class="{prefix}-list">' + "".join(render(n, item) for n, item in items) + "</ol>"


def _deviation_item(n: int, dev: Mapping[str, Any]) -> str:
    ms = _deviation_time(dev)
    return (
        f'<li id="dev-{n}" class="deviation" data-start="{ms}" tabindex="0">'
        f'<span class="time">{stamp(ms)}</span>'
        f'<span class="kind">{_esc(dev.get("kind", ""))}</span>'
        f"{_esc(_deviation_text(dev))}</li>"
    )


def _qc_item(inputs: PublishInputs) -> Callable[[int, Mapping[str, Any]], str]:
    time_of = _issue_time(inputs)

    def render(n: int, issue: Mapping[str, Any]) -> str:
        ms, severity = time_of(issue), _severity(issue)
        index = issue.get("cue_index")
        cue = f"cue {index}" if isinstance(index, int) and index >= 0 else "whole file"
        where = f"{issue.get('lang', '')} {cue} · {issue.get('rule', '')}"
        seek = "" if ms is None else f' data-start="{ms}" tabindex="0"'
        return (
            f'<li id="qc-{n}" class="qc {severity}"{seek}>'
            f'<span class="time">{"—" if ms is None else stamp(ms)}</span>'
            f'<span class="severity {severity}">{severity}</span>'
            f'<span class="where">{_esc(where)}</span>: {_esc(issue.get("message", ""))}</li>'
        )

    return render


def _cue_list(inputs: PublishInputs) -> str:
    if not inputs.captions_en:
        return NO_ITEMS
    items = [
        f'<li id="cue-{i}" class="cue" data-index="{i}" data-start="{c.start_ms}" '
        f'data-end="{c.end_ms}" tabindex="0">'
        f'<span class="time">{stamp(c.start_ms)}</span>{_esc(" / ".join(c.lines))}</li>'
        for i, c in enumerate(inputs.captions_en)
    ]
    return '<ol class="cue-list">' + "".join(items) + "</ol>"


def _credits(inputs: PublishInputs) -> str:
    """credits.json's roles (English and Chinese) for the editor to check names against the roll."""
    roles = inputs.credits_json.get("roles") or []
    rows = [_credit_row(r) for r in roles if isinstance(r, Mapping)]
    if not rows:
        rows = [(str(p.get("role", "")), str(p.get("name", "")), False) for p in inputs.persons]
    return _table(rows) if rows else NO_ITEMS


def _credit_row(role: Mapping[str, Any]) -> tuple[str, str, bool]:
    label = " ".join(str(x) for x in (role.get("role_zh"), role.get("role")) if x)
    names = [str(n) for n in role.get("names") or []]
    names_zh = [str(z) if z else "" for z in role.get("names_zh") or []]
    names_zh += [""] * (len(names) - len(names_zh))
    return (
        label,
        ", ".join(f"{n} {z}".strip() for n, z in zip(names, names_zh, strict=False)),
        False,
    )


# ---- summary tables


def _number(value: Any, unit: str) -> str:
    number = _as_float(value)
    if number is not None:
        return f"{number:.1f} {unit}"
    return "—" if value is None else f"{value} {unit}"


def _as_float(value: Any) -> float | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number else None


def _loudness(loudness: Mapping[str, Any]) -> str:
    """Measured loudness; values outside the target (±tolerance_lu, default ±1 LU) or over
    the true-peak ceiling are marked out of spec."""
    if not loudness:
        return NO_ITEMS
    integrated, target = loudness.get("integrated_lufs"), loudness.get("target_lufs")
    peak = loudness.get("true_peak_dbtp")
    tolerance = _as_float(loudness.get("tolerance_lu")) or LOUDNESS_TOLERANCE_LU
    i_lufs, t_lufs, tp = _as_float(integrated), _as_float(target), _as_float(peak)
    off_target = i_lufs is not None and t_lufs is not None and abs(i_lufs - t_lufs) > tolerance
    too_hot = tp is not None and tp > TRUE_PEAK_CEILING_DBTP
    rows = [
        ("Integrated", _number(integrated, "LUFS"), off_target),
        ("Target", f"{_number(target, 'LUFS')} ({loudness.get('profile', '—')})", False),
        ("True peak", _number(peak, "dBTP"), too_hot),
        ("Loudness range", _number(loudness.get("lra"), "LU"), False),
    ]
    return _table(rows)


def _facts(facts: Mapping[str, Any]) -> str:
    if not facts:
        return NO_ITEMS
    rows = [
        (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False), False)
        for k, v in facts.items()
    ]
    return _table(rows)


def _table(rows: Sequence[tuple[str, str, bool]]) -> str:
    cells = "".join(
        f'<tr><th scope="row">{_esc(k)}</th><td{_OUT_OF_SPEC if bad else ""}>{_esc(v)}</td></tr>'
        for k, v, bad in rows
    )
    return f'<table class="facts">{cells}</table>'


# ---- data for the script


def _page_data(inputs: PublishInputs) -> dict[str, Any]:
    return {
        "cues": [[c.start_ms, c.end_ms, "\n".join(c.lines)] for c in inputs.captions_en],
        "sentences": [[s.id, s.start_ms, s.end_ms] for s in inputs.sentences],
        # for the editor (`perspective review`): Chinese lines by first sentence id, chapters
        "zh": {k: v for k, v in inputs.zh.items() if v},
        "chapters": [list(c) for c in chapters_of(inputs)],
    }
