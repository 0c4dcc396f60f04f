"""shownotes.md: description, chapters, credits, caption links; user text rendered literally."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from production.publish import PublishInputs, md_escape, shownotes_md

from .conftest import HOSTILE, SLUG

BASE = "https://media.example.com/perspective/2026-11-27/"


class _Text(HTMLParser):
    """Rendered HTML -> (visible text, tags seen)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render(markdown: str) -> _Text:
    parser = _Text()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    return parser


def squash(text: str) -> str:
    return " ".join(text.split())


def test_sections_in_order(inputs: PublishInputs) -> None:
    md = shownotes_md(inputs)
    assert md.startswith("# Batteries: the passport question\n")
    order = [
        md.index(part)
        for part in (
            inputs.description,
            "## Chapters",
            "**Credits · 制作团队**",
            "## Captions and transcript",
        )
    ]
    assert order == sorted(order)
    assert "- 0:00 Intro\n- 0:01 Battery passports\n" in md
    assert inputs.credits_markdown.strip() in md


def test_links_to_every_caption_file_and_the_transcript(inputs: PublishInputs) -> None:
    links = render(shownotes_md(inputs)).links
    assert links == [
        f"{BASE}{SLUG}.mp3",
        f"{BASE}{SLUG}.en.vtt",
        f"{BASE}{SLUG}.en.srt",
        f"{BASE}{SLUG}.zh-Hans.vtt",
        f"{BASE}transcript.json",
    ]


def test_chapter_timestamps_past_an_hour(inputs: PublishInputs) -> None:
    chapters = (("Start", 0, 60_000), ("Late", 3_725_000, 3_800_000))
    md = shownotes_md(dataclasses.replace(inputs, chapters=chapters, duration_ms=3_800_000))
    assert "- 0:00 Start\n- 1:02:05 Late\n" in md


def test_hostile_text_renders_literally(inputs: PublishInputs) -> None:
    md = shownotes_md(
        dataclasses.replace(
            inputs, title=HOSTILE, description=HOSTILE, chapters=((HOSTILE, 0, 4000),)
        )
    )
    rendered = render(md)
    assert "script" not in rendered.tags
    assert squash("".join(rendered.text)).count(squash(HOSTILE)) == 3


LINE_STARTS = st.sampled_from(
    ["# ", "- ", "+ ", "1. ", "2) ", "> ", "    ", "===", "---", "***", "```", ""]
)
TOKENS = list("ab &<>*_`[]()!#\\|~-=+.:1/\"'{}\n中") + [
    "&amp;",
    "&#65;",
    "http://x.y",
    "<b>",
    "[a](b)",
]
MARKUP = st.lists(st.sampled_from(TOKENS), max_size=20).map("".join)


@given(st.lists(st.tuples(LINE_STARTS, MARKUP), max_size=4))
def test_property_md_escape_renders_the_text_literally(lines: list[tuple[str, str]]) -> None:
    text = "\n".join(start + rest for start, rest in lines)
    rendered = render(md_escape(text))
    assert set(rendered.tags) <= {"p", "br"}
    assert squash("".join(rendered.text)) == squash(text)
