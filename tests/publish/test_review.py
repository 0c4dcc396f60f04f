"""review.html without a browser: self-contained, escaped, every sentence seekable, marks placed."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.errors import ProductionError
from production.models import Sentence
from production.publish import PublishInputs, review_html
from production.publish.review import SYNTHETIC_BANNER, script_json

from .conftest import HOSTILE, SENTENCES, SLUG

HREF = f"{SLUG}.mp3"


class Page(HTMLParser):
    """Elements with their attributes, the text, and each <script>/<style> body."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data
        else:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def by_class(self, cls: str) -> list[dict[str, str]]:
        return [a for _t, a in self.elements if cls in a.get("class", "").split()]

    @property
    def visible_text(self) -> str:
        return " ".join("".join(self.text).split())


def test_page_is_self_contained(inputs: PublishInputs) -> None:
    html = review_html(inputs, HREF)
    page = Page(html)
    assert not re.search(r"https?://", html), "the page must not reach the network"
    assert page.all("audio", id="player")[0]["src"] == HREF
    assert [a.get("type") for a in page.all("script")] == ["application/json", None]
    assert all("src" not in a for a in page.all("script"))
    assert not [a for a in page.all("link") if a.get("rel") == "stylesheet"]
    assert "{{" not in html, "every template placeholder is filled"


def test_csp_allows_exactly_the_inline_script_and_style(inputs: PublishInputs) -> None:
    page = Page(review_html(inputs, HREF))
    csp = page.all("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert "default-src 'none'" in csp
    assert f"script-src {sha(page.raw['script'][1])}" in csp
    assert f"style-src {sha(page.raw['style'][0])}" in csp


def test_every_sentence_is_seekable_at_its_start(inputs: PublishInputs) -> None:
    spans = Page(review_html(inputs, HREF)).by_class("sentence")
    assert [(s["id"], int(s["data-start"]), int(s["data-end"])) for s in spans] == [
        (s.id, s.start_ms, s.end_ms) for s in SENTENCES
    ]
    assert all(s["role"] == "button" and s["tabindex"] == "0" for s in spans)


def test_paragraphs_and_chinese(inputs: PublishInputs) -> None:
    page = Page(review_html(inputs, HREF))
    assert [p["data-paragraph"] for p in page.by_class("para")] == ["0", "1"]
    assert "欢迎收听新版《CBN视角》。电池现在有了护照。" in page.visible_text


def test_deviations_and_qc_marked_at_their_sentence(inputs: PublishInputs) -> None:
    html = review_html(inputs, HREF)
    page = Page(html)
    marked = {s["id"]: s["class"].split() for s in page.by_class("sentence")}
    assert "has-deviation" in marked["s0002"] and "has-qc" in marked["s0002"]
    assert "has-deviation" in marked["s0003"]  # by time: 3000 ms falls in s0003
    assert "has-deviation" not in marked["s0001"] and "has-qc" not in marked["s0001"]
    # the marks sit right after their sentence and link to the list entries
    s2 = html.index('id="s0002"')
    assert html.index('href="#dev-0"') > s2 and html.index('href="#qc-0"') > s2
    assert html.index('href="#dev-1"') > html.index('id="s0003"')
    assert [int(li["data-start"]) for li in page.by_class("deviation") if li.get("id")] == [
        1500,
        3000,
    ]
    assert [li["id"] for li in page.by_class("qc") if li.get("id")] == ["qc-0"]
    assert "Deviations from the script (2)" in page.visible_text
    assert "script “carry” → spoken “have”" in page.visible_text


def test_whole_file_qc_findings_are_listed_not_marked(inputs: PublishInputs) -> None:
    issue = {
        "cue_index": -1,
        "lang": "zh-Hans",
        "rule": "missing-file",
        "severity": "error",
        "message": "no zh-Hans SRT",
        "start_ms": None,
    }
    page = Page(review_html(dataclasses.replace(inputs, qc_issues=(issue,)), HREF))
    assert not page.by_class("has-qc")
    assert not [a for a in page.by_class("mark") if "qc" in a["class"].split()]
    (item,) = [li for li in page.by_class("qc") if li.get("id")]
    assert "data-start" not in item and "error" in item["class"]
    assert "zh-Hans whole file · missing-file: no zh-Hans SRT" in page.visible_text


def test_synthetic_banner_only_when_synthetic(inputs: PublishInputs) -> None:
    assert SYNTHETIC_BANNER not in Page(review_html(inputs, HREF)).visible_text
    page = Page(review_html(dataclasses.replace(inputs, synthetic_host_read=True), HREF))
    assert page.all("div", id="synthetic-banner")
    assert SYNTHETIC_BANNER in page.visible_text


def test_caption_data_for_the_highlight(inputs: PublishInputs) -> None:
    page = Page(review_html(inputs, HREF))
    data = json.loads(page.raw["script"][0])
    assert data["cues"][1] == [1400, 2500, "Batteries now\ncarry passports."]
    assert data["sentences"][0] == ["s0001", 200, 1200]
    assert [c["id"] for c in page.by_class("cue")] == ["cue-0", "cue-1", "cue-2"]


def test_out_of_spec_loudness_is_flagged(inputs: PublishInputs) -> None:
    ok = review_html(inputs, HREF)
    hot = review_html(
        dataclasses.replace(
            inputs, loudness={**inputs.loudness, "true_peak_dbtp": -0.2, "integrated_lufs": -13.0}
        ),
        HREF,
    )
    assert "out-of-spec" not in ok.split("</style>")[1]
    assert hot.split("</style>")[1].count('class="out-of-spec"') == 2


def test_hostile_text_everywhere_stays_text(inputs: PublishInputs) -> None:
    hostile_inputs = dataclasses.replace(
        inputs,
        title=HOSTILE,
        show=HOSTILE,
        host=HOSTILE,
        sentences=(Sentence("s0001", HOSTILE, HOSTILE, 0, 100, 900), *inputs.sentences[1:]),
        zh={"s0001": HOSTILE},
        captions_en=(
            dataclasses.replace(inputs.captions_en[0], lines=(HOSTILE,)),
            *inputs.captions_en[1:],
        ),
        deviations=(
            {
                "kind": HOSTILE,
                "time_ms": 500,
                "script": HOSTILE,
                "spoken": HOSTILE,
                "fragment_id": "s0001",
            },
        ),
        qc_issues=(
            {
                "cue_index": 0,
                "lang": "en",
                "rule": HOSTILE,
                "severity": HOSTILE,
                "message": HOSTILE,
                "start_ms": 100,
            },
        ),
        qc_summary={HOSTILE: HOSTILE},
        credits_json={"roles": [{"role": HOSTILE, "names": [HOSTILE]}]},
        loudness={"integrated_lufs": -16.0, "profile": HOSTILE},
    )
    html = review_html(hostile_inputs, HOSTILE)
    page = Page(html)
    assert len(page.all("script")) == 2 and not page.all("img")
    assert page.all("audio", id="player")[0]["src"] == HOSTILE
    assert page.visible_text.count(" ".join(HOSTILE.split())) >= 10
    data = page.raw["script"][0]
    assert "</" not in data and "<!--" not in data
    assert json.loads(data)["cues"][0][2] == HOSTILE
    titles = [a["title"] for a in page.by_class("mark")]
    assert any(HOSTILE in t for t in titles)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # `inputs` is read-only here
@given(st.text(max_size=60))
def test_property_any_sentence_text_round_trips(inputs: PublishInputs, text: str) -> None:
    sentences = (Sentence("s0001", text, text, 0, 100, 900),)
    page = Page(review_html(dataclasses.replace(inputs, sentences=sentences, captions_en=()), HREF))
    assert len(page.all("script")) == 2
    (span,) = page.by_class("sentence")
    assert span["data-start"] == "100"
    assert " ".join(text.split()) in page.visible_text


@given(
    st.recursive(
        st.text() | st.integers() | st.none(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=8,
    )
)
def test_property_script_json_is_inert_and_exact(obj: object) -> None:
    text = script_json(obj)
    assert "<" not in text and ">" not in text
    assert json.loads(text) == obj


def test_unaligned_sentence_is_refused(inputs: PublishInputs) -> None:
    with pytest.raises(ProductionError, match="run the align stage"):
        review_html(dataclasses.replace(inputs, sentences=(Sentence("s0001", "x", "x", 0),)), HREF)
