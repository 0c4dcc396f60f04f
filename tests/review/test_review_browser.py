"""The review editor end to end: real server, Debian's Chromium, real produce (slow).

Edit in the browser (keyboard nudge, one word, a chapter renamed in both languages, a 20 s
clip), save, restart the server and reload (the fixes are still there), then produce: every
caption file, transcript.json, chapters.json, the MP3's CHAP frames and a frame of the MP4
change, only the stages after align run, and the clip is the main MP4's spec at 1080×1920.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from production.captions import CaptionSettings, output_names
from production.pipeline import ProduceOptions, produce_episode
from tests.pipeline.conftest import SCRIPT, TOML, ZH
from tests.publish.test_review_browser import CHROMIUM, LAUNCH_ARGS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]
WAIT_S = 20.0
NUDGE_MS = 300  # three presses of "]"
CLIP_MS = 20_000
NEW_WORD = "huge"  # replaces "big" in s0005 "That is a big change."
TITLE_EN, TITLE_ZH = "Why batteries need passports", "电池为何需要护照"


# the tiny test episode plus a paragraph, so its read is long enough for a 20 s clip
EXTRA_EN = (
    "Analysts expect prices to fall as the new factories grow. Some worry that supply will stay tight "
    "until the end of the decade. Others say recycling will close the gap within a few years.\n"
)
EXTRA_ZH = (
    "分析人士预计，随着新工厂扩大，价格将会下降。有人担心供应会一直紧张到本世纪末。也有人说回收将在几年内弥补缺口。\n"
)


def make_longer_episode(root: Path) -> Path:
    from production.demo import synthesise_host_read

    folder = root / "2026-11-27-tiny"
    folder.mkdir(parents=True)
    (folder / "script.txt").write_text(
        SCRIPT.replace("Thanks for listening.\n", EXTRA_EN + "Thanks for listening.\n"), encoding="utf-8"
    )
    (folder / "script.zh.txt").write_text(ZH.replace("感谢收听。\n", EXTRA_ZH + "感谢收听。\n"), encoding="utf-8")
    (folder / "episode.toml").write_text(TOML, encoding="utf-8")
    synthesise_host_read(folder)
    return folder


class Server:
    """`perspective review EP --no-open` as a child process; its URL is the first stdout line."""

    def __init__(self, folder: Path) -> None:
        cmd = [str(Path(sys.executable).parent / "perspective"), "review", str(folder), "--no-open"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{32}/", self.url), self.url

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _wait(page: Any, expression: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        value = page.evaluate(expression)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _open(browser: Any, server: Server) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url)
    assert _wait(page, "document.getElementById('ed-status').textContent === 'loaded'"), errors
    page.errors = errors
    return page


def _change(page: Any, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.dispatch_event(selector, "change")


def _probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def _frame(mp4: Path, at_s: float, out: Path) -> bytes:
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-ss",
            f"{at_s:.3f}",
            "-i",
            str(mp4),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            str(out),
        ],
        check=True,
    )
    return out.read_bytes()


def _chap_titles(mp3: Path) -> list[str]:
    from mutagen.id3 import ID3

    tags = ID3(mp3)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    return [str(c.sub_frames["TIT2"].text[0]) for c in chaps]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def test_edit_save_reload_and_every_output_follows(browser: Any, tmp_path: Path) -> None:
    folder = make_longer_episode(tmp_path)
    first = produce_episode(folder)
    assert not first.error, first.error
    build = folder / "build"
    slug = folder.name
    captions = output_names(slug, True, CaptionSettings().traditional)
    before = {n: (build / n).read_text(encoding="utf-8") for n in captions}
    transcript0 = json.loads((build / "transcript.json").read_text(encoding="utf-8"))
    s5 = next(seg for seg in transcript0["segments"] if "big change" in seg["body"])
    mp4_before = build / "before.mp4"
    shutil.copyfile(build / f"{slug}.mp4", mp4_before)
    mp4_before_frame = _frame(mp4_before, s5["startTime"] + 0.6, tmp_path / "before.gray")

    server = Server(folder)
    try:
        page = _open(browser, server)
        page.click("#s0005")
        start0 = int(page.get_attribute("#ed-start", "data-ms"))
        for _ in range(NUDGE_MS // 100):
            page.keyboard.press("]")
        assert int(page.get_attribute("#ed-start", "data-ms")) == start0 + NUDGE_MS
        _change(page, "#ed-text", f"That is a {NEW_WORD} change.")
        _change(page, "#ed-chapters li:nth-child(2) .ch-title", TITLE_EN)
        _change(page, "#ed-chapters li:nth-child(2) .ch-title-zh", TITLE_ZH)
        clip_from = int(page.get_attribute("#s0002", "data-start")) / 1000
        page.fill("#clip-name", "teaser")
        page.fill("#clip-start", f"{clip_from:.1f}")
        page.fill("#clip-end", f"{clip_from + CLIP_MS / 1000:.1f}")
        page.click("#clip-add")
        page.click("#ed-save")
        assert _wait(page, "document.getElementById('ed-status').textContent.startsWith('Saved')"), page.evaluate(
            "document.getElementById('ed-status').textContent"
        )
        assert page.errors == []
        page.screenshot(path=str(tmp_path / "editor.png"))
    finally:
        server.stop()
    saved = (folder / "corrections.toml").read_text(encoding="utf-8")
    assert f'to = "That is a {NEW_WORD} change."' in saved and TITLE_ZH in saved and 'name = "teaser"' in saved

    # a new server (new port, new token): the reloaded page shows what was saved
    server = Server(folder)
    try:
        page = _open(browser, server)
        page.click("#s0005")
        assert int(page.get_attribute("#ed-start", "data-ms")) == start0 + NUDGE_MS
        assert page.text_content("#s0005") == f"That is a {NEW_WORD} change."
        assert page.input_value("#ed-chapters li:nth-child(2) .ch-title") == TITLE_EN
        assert page.input_value("#ed-chapters li:nth-child(2) .ch-title-zh") == TITLE_ZH
        assert page.text_content("#ed-clips").startswith("teaser")
        assert page.text_content("#ed-problems") == ""
    finally:
        server.stop()

    second = produce_episode(folder, ProduceOptions())
    assert not second.error, second.error
    assert second.ran == ["captions", "master", "video", "clips", "publish"], second.summary
    assert {"ingest", "align", "credits"} <= set(second.skipped)

    for name in captions:  # every caption file changed; every one with English has the new word
        text = (build / name).read_text(encoding="utf-8")
        assert text != before[name], name
        if ".zh-" not in name:
            assert NEW_WORD in text, name
    transcript = json.loads((build / "transcript.json").read_text(encoding="utf-8"))
    s5_after = next(seg for seg in transcript["segments"] if NEW_WORD in seg["body"])
    assert round((s5_after["startTime"] - s5["startTime"]) * 1000) == NUDGE_MS
    chapters = json.loads((build / "chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert chapters[1]["title"] == f"{TITLE_EN} · {TITLE_ZH}"
    assert _chap_titles(build / f"{slug}.mp3")[1] == f"{TITLE_EN} · {TITLE_ZH}"
    frame_after = _frame(build / f"{slug}.mp4", s5["startTime"] + 0.6, tmp_path / "after.gray")
    assert len(frame_after) == len(mp4_before_frame) and frame_after != mp4_before_frame

    clip, main = _probe(build / "clips" / "teaser.mp4"), _probe(build / f"{slug}.mp4")
    cv = next(s for s in clip["streams"] if s["codec_type"] == "video")
    mv = next(s for s in main["streams"] if s["codec_type"] == "video")
    assert (cv["width"], cv["height"]) == (1080, 1920)
    for key in ("codec_name", "profile", "pix_fmt", "r_frame_rate"):
        assert cv[key] == mv[key], key
    ca = next(s for s in clip["streams"] if s["codec_type"] == "audio")
    ma = next(s for s in main["streams"] if s["codec_type"] == "audio")
    assert (ca["codec_name"], ca["sample_rate"], ca["channels"]) == (
        ma["codec_name"],
        ma["sample_rate"],
        ma["channels"],
    )
    assert abs(float(clip["format"]["duration"]) - CLIP_MS / 1000) < 0.2

    # a fix whose sentence has left the script: check warns, produce applies it to nothing
    with (folder / "corrections.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[zh]]\nsentence = "s0002"\ntext = "A sentence nobody wrote."\nto = "没有这句"\n')
    from production.check import check_episode

    warnings = [f.message for f in check_episode(folder) if "[[zh]] s0002" in f.message]
    assert len(warnings) == 1 and "no longer in the script" in warnings[0], warnings
