"""The episode MP4 in Debian's headless Chromium: it plays, seeks, and draws a frame there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from production.video import VideoReport

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never a playwright-downloaded browser
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
WAIT_S = 10.0
SEEK_TO_S = 7.25  # inside the body, mid-cue, between keyframes (4 s apart)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]

PAGE = """<!doctype html><meta charset="utf-8"><body style="margin:0;background:#000">
<video id="v" src="{src}" muted preload="auto" width="960" height="540"></video>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def wait_for(page: Any, expression: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        value = page.evaluate(expression)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_the_mp4_plays_and_seeks_in_chromium(browser: Any, burned: VideoReport, tmp_path: Path) -> None:
    html = burned.path.parent / "player.html"
    html.write_text(PAGE.format(src=burned.path.as_uri()), encoding="utf-8")
    page = browser.new_page(viewport={"width": 960, "height": 540})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    assert wait_for(page, "document.getElementById('v').readyState >= 2"), "the video never loaded"
    assert page.evaluate("document.getElementById('v').error") is None
    assert page.evaluate("document.getElementById('v').duration") == pytest.approx(burned.duration_ms / 1000, abs=0.1)
    page.evaluate("document.getElementById('v').play()")
    assert wait_for(page, "document.getElementById('v').currentTime > 0.5"), "it does not play"
    page.evaluate(
        f"""(() => {{ const v = document.getElementById('v'); v.pause(); window.drawn = null;
        window.seeked = false; v.addEventListener('seeked', () => {{ window.seeked = true; }}, {{once: true}});
        v.requestVideoFrameCallback((now, meta) => {{ window.drawn = meta.mediaTime; }});
        v.currentTime = {SEEK_TO_S}; }})()"""
    )
    assert wait_for(page, "window.seeked"), "the seek never completed"
    drawn = wait_for(page, "window.drawn")
    assert drawn is not None, "no frame was drawn after the seek"
    assert page.evaluate("document.getElementById('v').currentTime") == pytest.approx(SEEK_TO_S, abs=0.05)
    assert drawn == pytest.approx(SEEK_TO_S, abs=0.6)  # the frame shown is the one at (or before) the seek
    page.screenshot(path=str(tmp_path / "shot.png"))
    shot = np.asarray(Image.open(tmp_path / "shot.png").convert("RGB"), dtype=np.int16)
    assert shot.std() > 10, "the page shows no picture"  # the artwork, not a black box
    assert errors == []
    page.close()
