"""review.html in Debian's headless Chromium: a click seeks; playing and seeking move the highlight.

Real browser, real MP3, the page's own Content-Security-Policy in force (so playwright's
string-evaluating waits are not used: the test polls with page.evaluate instead).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from production.publish import PublishInputs, write_bundle

from .conftest import HOSTILE

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never a playwright-downloaded browser
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEEK_TOLERANCE_S = 0.1
WAIT_S = 5.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Review:
    """One open review page, plus everything it tried to fetch and every error it raised."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.wait_for("document.getElementById('player').readyState >= 1")

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def wait_for(self, expression: str) -> Any:
        deadline = time.monotonic() + WAIT_S
        while True:
            value = self.js(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.02)

    @property
    def current_time(self) -> float:
        return float(self.js("document.getElementById('player').currentTime"))

    @property
    def highlighted(self) -> tuple[str | None, str | None, str]:
        return tuple(
            self.js(  # type: ignore[return-value]
                "[document.querySelector('.cue.current')?.id ?? null,"
                " document.querySelector('.sentence.current')?.id ?? null,"
                " document.getElementById('now-caption').textContent]"
            )
        )


@pytest.fixture
def review(browser: Any, build_dir: Path, inputs: PublishInputs) -> Iterator[Review]:
    hostile = dataclasses.replace(inputs, title=HOSTILE, synthetic_host_read=True)
    write_bundle(build_dir, hostile)
    opened = Review(browser, (build_dir / "review.html").as_uri())
    yield opened
    opened.page.close()


def test_clicking_a_sentence_seeks_to_its_start(review: Review, inputs: PublishInputs) -> None:
    for sentence in (inputs.sentences[1], inputs.sentences[2], inputs.sentences[0]):
        review.page.click(f"#{sentence.id}")
        assert review.current_time == pytest.approx(sentence.start_ms / 1000, abs=SEEK_TOLERANCE_S)
    review.page.focus("#s0003")
    review.page.keyboard.press("Enter")
    assert review.current_time == pytest.approx(2.7, abs=SEEK_TOLERANCE_S)
    review.page.click("#qc-0")
    assert review.current_time == pytest.approx(1.4, abs=SEEK_TOLERANCE_S)


def test_seeking_and_playing_move_the_highlight(review: Review) -> None:
    review.page.click("#s0002")
    assert review.highlighted == ("cue-1", "s0002", "Batteries now\ncarry passports.")
    review.js("document.getElementById('player').currentTime = 1.3")  # in the gap between cues
    assert review.wait_for("document.querySelector('.cue.current') === null")
    review.js("document.getElementById('player').currentTime = 0.5")
    assert review.wait_for("document.getElementById('cue-0').classList.contains('current')")
    # play across the 2.7 s boundary: timeupdate moves the highlight to the third caption
    review.js(
        "(() => { const a = document.getElementById('player'); a.currentTime = 2.45; a.play(); })()"
    )
    assert review.wait_for("document.getElementById('cue-2').classList.contains('current')")
    assert review.current_time > 2.7
    assert review.highlighted == ("cue-2", "s0003", "That is all for today.")
    assert review.js("document.querySelectorAll('.current').length") == 2


def test_page_is_offline_safe_and_escaped(review: Review) -> None:
    assert all(url.startswith("file://") for url in review.requests), review.requests
    assert review.errors == [] and review.dialogs == []
    assert review.js("document.querySelector('h1').textContent") == HOSTILE
    assert review.js("document.getElementById('synthetic-banner') !== null")
    assert review.js("document.scripts.length") == 2
