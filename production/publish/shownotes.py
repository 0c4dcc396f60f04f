"""shownotes.md: description, chapters with timestamps, credits, links to the caption files."""

from __future__ import annotations

import html
import re

from .inputs import (
    TRANSCRIPT_FILE,
    PublishInputs,
    chapters_of,
    clock,
    url_for,
    validate,
)

# caption file language tag -> how the show notes name it
LANGUAGE_NAMES = {
    "en": "English",
    "zh-Hans": "Simplified Chinese 简体中文",
    "zh-Hant": "Traditional Chinese 繁體中文",
    "zh": "Chinese 中文",
}
# MIME type -> format name in the link text
FORMAT_NAMES = {"text/vtt": "WebVTT", "application/x-subrip": "SRT", "application/json": "JSON"}

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline Markdown markup
# block markup at a line start: headings, lists, setext underlines, ordered lists ("1." / "1)")
_LINE_START_SPECIAL = re.compile(r"^([ \t]*)(?:([#+\-=])|(\d+)([.)]))", re.MULTILINE)


def md_escape(text: str) -> str:
    """User text -> Markdown that renders it literally (HTML too: ``<script>`` shows as text)."""
    # leading indentation would turn a line into a code block (CommonMark §4.4)
    text = "\n".join(line.lstrip(" \t") for line in text.split("\n"))
    escaped = _INLINE_SPECIAL.sub(r"\\\1", text)
    escaped = html.escape(escaped, quote=False)
    return _LINE_START_SPECIAL.sub(_escape_line_start, escaped)


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(2):
        return f"{m.group(1)}\\{m.group(2)}"
    return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def shownotes_md(inputs: PublishInputs) -> str:
    """The show notes as Markdown."""
    validate(inputs)
    blocks = [
        _heading(inputs),
        _description(inputs),
        _chapters(inputs),
        inputs.credits_markdown.strip(),
        _files(inputs),
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"


def _heading(inputs: PublishInputs) -> str:
    title, show = md_escape(_one_line(inputs.title)), md_escape(_one_line(inputs.show))
    return f"# {title}\n\n*{show}* · {inputs.date.isoformat()}"


def _description(inputs: PublishInputs) -> str:
    return md_escape(inputs.description.strip())


def _chapters(inputs: PublishInputs) -> str:
    lines = [
        f"- {clock(start)} {md_escape(_one_line(title))}"
        for title, start, _end in chapters_of(inputs)
    ]
    return "## Chapters\n\n" + "\n".join(lines)


def _link(label: str, url: str) -> str:
    return f"[{md_escape(label)}](<{url}>)"


def _files(inputs: PublishInputs) -> str:
    lines = [f"- {_link('Audio (MP3)', url_for(inputs, inputs.audio_file.name))}"]
    if inputs.video_file is not None:
        lines.append(f"- {_link('Video (MP4)', url_for(inputs, inputs.video_file.name))}")
    for name, (mime, language) in inputs.caption_files.items():
        label = (
            f"{LANGUAGE_NAMES.get(language, language)} captions ({FORMAT_NAMES.get(mime, mime)})"
        )
        lines.append(f"- {_link(label, url_for(inputs, name))}")
    lines.append(f"- {_link('Transcript (JSON)', url_for(inputs, TRANSCRIPT_FILE))}")
    return "## Captions and transcript\n\n" + "\n".join(lines)
