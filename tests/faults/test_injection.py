"""Hostile text: ASS override tags, caption arrows, HTML, ffmpeg filter syntax and shell
metacharacters in titles, names, file names and caption text are shown literally everywhere and
never executed or interpreted. Subprocesses get argument lists, never a shell.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import mutagen.id3
import pysubs2
import pytest
import srt
import webvtt
from markdown_it import MarkdownIt
from rich.console import Console
from typer.testing import CliRunner

from cli.main import app
from production.captions.formats import ass as ass_format
from production.captions.formats import srt as srt_format
from production.captions.formats import vtt as vtt_format
from production.check import check_episode
from production.demo import synthesise_host_read

from .conftest import REPO, SCRIPT, TOML, ZH, assert_one_line_error, cli, part_files

LIBRARY = [REPO / "production", REPO / "cli"]
# calls that hand a string to a shell
SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
    ("os", "execlp"),
    ("os", "spawnlp"),
}


def hostile(marker: Path) -> str:
    """Every kind of markup and syntax at once; running any shell on it creates ``marker``."""
    return f"{{\\pos(0,0)}}<script>alert(1)</script> --> a:b,c;d'e[f]%{{pts}} $(touch {marker}) `touch {marker}`"


# ================================================================== no shell anywhere
def shell_uses(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{name}:{node.lineno} shell={ast.unparse(kw.value)}")
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in SHELL_CALLS:
            found.append(f"{name}:{node.lineno} {f.value.id}.{f.attr}")
    return found


def test_the_scan_finds_shell_calls() -> None:
    bad = "\n".join(
        [
            "import os, subprocess",
            "subprocess.run('ls', shell=True)",
            "os.system('ls')",
            "subprocess.run(['ls'], shell=False)",
        ]
    )
    assert [u.split(" ", 1)[1] for u in shell_uses(bad, "x.py")] == ["shell=True", "os.system"]


def test_library_never_uses_a_shell() -> None:
    files = [p for root in LIBRARY for p in root.rglob("*.py")]
    assert len(files) > 40
    uses = [u for p in files for u in shell_uses(p.read_text(encoding="utf-8"), str(p.relative_to(REPO)))]
    assert uses == []
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    assert not re.search(r"shell\s*=\s*True|os\.system\(|os\.popen\(", text)


# ================================================================== the CLI's own output
def test_ingest_prints_a_hostile_title_literally(episode: Path, tmp_path: Path) -> None:
    title = "[/bold][red]Red[/red] [link=file:///etc/passwd]x[/link] " + hostile(tmp_path / "m")
    toml = TOML.replace("title = \"Tiny test episode: R&D, rules; and 'quotes'\"", f"title = {json.dumps(title)}")
    (episode / "episode.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(episode)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == title
    assert not (tmp_path / "m").exists()


def test_error_lines_show_markup_in_names_literally(run_main, tmp_path: Path) -> None:
    folder = tmp_path / "ep [bold]x[red]y [link=https:x]z"
    folder.mkdir()
    proc = run_main("produce", "-q", folder)
    assert_one_line_error(proc, f"failed {folder}: no episode.toml in {folder}")


def test_progress_bar_shows_markup_in_messages_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.progress as progress

    monkeypatch.setattr(progress, "interactive", lambda: True)
    reporter = progress.Reporter()
    reporter.console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with reporter:
        reporter("video", 0.5, "rendering ep [/red] [bold]x.mp4")
        reporter("video", 1.0, "done [/x]")
    assert "[/x]" in reporter.console.file.getvalue()


# ================================================================== a whole hostile episode
def _cues(path: Path) -> list[list[str]]:
    """Lines of each cue as an independent reader sees them, the format's escaping undone."""
    if path.suffix == ".srt":
        return [
            [srt_format.unescape(ln) for ln in s.content.split("\n")]
            for s in srt.parse(path.read_text(encoding="utf-8"))
        ]
    if path.suffix == ".vtt":
        return [[vtt_format.unescape(ln) for ln in c.text.split("\n")] for c in webvtt.read(str(path))]
    return [[ass_format.unescape(ln) for ln in e.text.split("\\N")] for e in pysubs2.load(str(path))]


def _text_lines(path: Path) -> list[str]:
    return [ln for cue in _cues(path) for ln in cue]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class _Page(HTMLParser):
    """Tags, text and script elements (type, content) of an HTML page, entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.scripts: list[tuple[str, str]] = []
        self._script_type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self._script_type = dict(attrs).get("type") or "text/javascript"
            self.scripts.append((self._script_type, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_type = None

    def handle_data(self, data: str) -> None:
        if self._script_type is None:
            self.text.append(data)
        else:
            self.scripts[-1] = (self._script_type, self.scripts[-1][1] + data)


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def hostile_episode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """(episode folder, marker, hostile text): folder and recording named with spaces, Chinese
    and filter syntax; hostile text in the title, host, credit names and the spoken script.

    The marker's path is longer than a caption line, as a real temporary path often is: the
    captions show it in pieces, over lines and cues, and still meet every rule."""
    root = tmp_path_factory.mktemp("hostile")
    marker_dir = Path(tempfile.mkdtemp(prefix="pw", dir="/tmp"))
    marker = marker_dir / "a-folder-name-long-enough-to-overflow" / "m"  # over a caption line
    assert len(str(marker)) > 42
    bad = hostile(marker)
    folder = root / "2026-11-27 主持人 [final]; it's 50%{n}, ok=1"
    folder.mkdir()
    script = SCRIPT.replace("That is a big change.", f"That is a big change. She wrote {bad} on the board.")
    (folder / "script.txt").write_text(script, encoding="utf-8")
    (folder / "script.zh.txt").write_text(
        ZH.replace("这是一个很大的变化。", f"这是一个很大的变化。{bad}"), encoding="utf-8"
    )
    toml = (
        TOML.replace("host.wav", "主持人 录音 (final).wav")
        .replace("title = \"Tiny test episode: R&D, rules; and 'quotes'\"", f"title = {json.dumps(bad)}")
        .replace('host = "Ada LIN"', f"host = {json.dumps('Ada ' + bad)}")
    )
    toml += f'[credits]\n"Sound Editor" = [{json.dumps("Zoë " + bad)}, "LIN Ada"]\n'
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    synthesise_host_read(folder)
    proc = cli("produce", "-q", folder)
    assert proc.returncode == 0, proc.stderr
    yield folder, marker, bad
    shutil.rmtree(marker_dir)


def test_hostile_episode_produces_and_nothing_runs(hostile_episode: tuple[Path, Path, str]) -> None:
    folder, marker, _ = hostile_episode
    assert not marker.exists()
    assert [f for f in check_episode(folder) if f.severity == "error"] == []
    assert part_files(folder) == []


def test_hostile_caption_text_parses_back_literally(hostile_episode: tuple[Path, Path, str]) -> None:
    folder, _, bad = hostile_episode
    build = folder / "build"
    sentence = f"She wrote {bad} on the board."
    for suffix in (".en.srt", ".en.vtt"):
        (path,) = build.glob(f"*{suffix}")
        assert _squash(sentence) in _squash(" ".join(_text_lines(path))), path.name  # path cut over lines
        assert "{\\pos(0,0)}<script>alert(1)</script>" in _text_lines(path)
    (ass,) = build.glob("*.bilingual.ass")
    events = [e for e in pysubs2.load(str(ass)) if e.style == "English"]
    english = " ".join(ass_format.unescape(ln) for e in events for ln in e.text.split("\\N"))
    assert _squash(sentence) in _squash(english)
    assert all(e.plaintext for e in events)  # libass's reader sees text, not override blocks
    for suffix in (".zh-Hans.srt", ".zh-Hans.vtt"):
        (path,) = build.glob(f"*{suffix}")
        assert _squash(bad) in _squash("".join(_text_lines(path))), path.name
    (stacked,) = build.glob("*.bilingual.srt")  # each cue: the Chinese line over the English ones
    assert _squash(bad) in _squash("".join(cue[0] for cue in _cues(stacked)))
    assert _squash(sentence) in _squash(" ".join(ln for cue in _cues(stacked) for ln in cue[1:]))


def test_hostile_text_stays_text_in_feed_page_notes_and_tags(hostile_episode: tuple[Path, Path, str]) -> None:
    folder, _, bad = hostile_episode
    build = folder / "build"
    feed = feedparser.parse((build / "feed-item.xml").read_text(encoding="utf-8"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries[0].title == bad

    page = _page((build / "review.html").read_text(encoding="utf-8"))
    assert bad in "".join(page.text)  # shown as text
    for kind, content in page.scripts:  # in a script element only as inert JSON data
        assert "<script" not in content and "</script" not in content
        assert "alert(1)" not in content or kind == "application/json", kind

    notes = _page(MarkdownIt("commonmark").render((build / "shownotes.md").read_text(encoding="utf-8")))
    assert "script" not in notes.tags and bad in "".join(notes.text)
    assert f"Zoë {bad}" in "".join(notes.text)

    credits = json.loads((build / "credits.json").read_text(encoding="utf-8"))
    assert [f"Zoë {bad}", "LIN Ada"] in [r["names"] for r in credits["roles"]]
    transcript = json.loads((build / "transcript.json").read_text(encoding="utf-8"))
    assert {s["speaker"] for s in transcript["segments"]} == {f"Ada {bad}"}

    (mp3,) = build.glob("*.mp3")
    tags = mutagen.id3.ID3(mp3)
    assert str(tags["TIT2"]) == bad
    assert any(name == f"Zoë {bad}" for frame in tags.getall("TIPL") for _, name in frame.people)


def test_hostile_episode_video_renders_with_its_title(hostile_episode: tuple[Path, Path, str]) -> None:
    folder, _, bad = hostile_episode
    (mp4,) = (folder / "build").glob("*.mp4")
    info = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(mp4)],
            capture_output=True,
            check=True,
        ).stdout
    )
    kinds = sorted(s["codec_type"] for s in info["streams"])
    assert kinds == ["audio", "subtitle", "subtitle", "video"]
    assert info["format"]["tags"]["title"] == bad
    assert float(info["format"]["duration"]) > 20


def test_a_word_longer_than_a_line_keeps_the_minimum_duration() -> None:
    from production.captions import CaptionSettings, build_captions, qc
    from production.models import Sentence, Word

    long = "/tmp/f10/pytest-of-root/pytest-161/hostile0/pwned"  # 50 characters: over 42
    timed = [
        ("She", 0, 191),
        ("wrote", 191, 494),
        ("{\\pos(0,0)}<script>alert(1)</script>", 494, 4092),
        ("-->", 4092, 4163),
        ("a:b,c;d'e[f]%{pts}", 4163, 6626),
        ("$(touch", 6721, 7122),
        (long + ")", 7122, 13361),
        ("`touch", 13438, 13829),
        (long + "`", 13829, 19985),
        ("on", 19985, 20230),
        ("the", 20230, 20290),
        ("board.", 20290, 20760),
    ]
    words = tuple(Word(t, a, b) for t, a, b in timed)
    text = " ".join(t for t, _, _ in timed)
    sentence = Sentence("s0001", text, text, 0, 0, 20760, words)
    settings = CaptionSettings()
    cues = build_captions([sentence], None, settings).en
    assert " ".join(ln for c in cues for ln in c.lines).replace(" ", "") == text.replace(" ", "")
    assert [i.message for i in qc.check(cues, "en", settings) if i.severity == "error"] == []


def test_a_url_in_the_script_meets_every_caption_rule_in_every_track() -> None:
    """A URL longer than a line, in the English and in its translation: shown in pieces cut
    after its separators, over lines and cues as needed, never a QC error."""
    from production.captions import CaptionSettings, build_captions, qc
    from production.models import Sentence, Word, ZhPair

    url = "https://example.org/reports/2026/battery-passport-rules-explained.html"  # 70 characters
    text = f"The full rules are at {url} and the ministry says more will follow next year."
    words, t = [], 0
    for token in text.split():  # about 15 characters a second, 40 ms between words
        words.append(Word(token, t, t + 150 + 55 * len(token)))
        t = words[-1].end_ms + 40
    sentence = Sentence("s0001", text, text, 0, 0, t, tuple(words))
    zh = f"完整规则见{url}，部委表示明年还会有更多规定。"
    settings = CaptionSettings()
    cs = build_captions([sentence], [ZhPair(("s0001",), zh)], settings)
    for lang, track, cues in (("en", "en", cs.en), ("zh-Hans", "zh", cs.zh), ("bilingual", "bilingual", cs.bilingual)):
        issues = qc.check(cues, lang, settings, cs.speech[track])
        assert [i.message for i in issues if i.severity == "error"] == [], lang
        lines = [ln for c in cues for ln in c.lines]
        assert "\u2060" not in "".join(lines) and all(len(ln) <= 42 for ln in lines)
    shown = "".join(ln for c in cs.en for ln in c.lines)
    assert shown.replace(" ", "") == text.replace(" ", "")
    assert any(ln.endswith(("/", "-")) and url in shown.replace(" ", "") for c in cs.en for ln in c.lines)
    stacked = [ln for c in cs.bilingual for ln in c.lines[1:]]  # the English lines, cue by cue
    assert url in "".join(stacked).replace(" ", "")
