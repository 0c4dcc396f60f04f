"""Fuzzing (Hypothesis): no input crashes a parser, the pairer, caption segmentation or a writer
with anything but a ProductionError, and what a writer accepts reads back the same.

Bounded in CI (the "ci" profile in tests/conftest.py); `make fuzz` runs the "fuzz" profile.
Complements the property tests named in tests/README.md (script, translation, captions, feed,
review, shownotes, tags).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from production.align import read_alignment, write_alignment
from production.captions import CaptionSet, CaptionSettings, build_captions, write_captions
from production.captions.formats import get_format
from production.credits import (
    credits_json,
    episode_credit_roll,
    id3_tipl,
    podcast_persons,
    shownotes_paragraph,
    write_credits_json,
)
from production.episode import FIELDS, load_episode
from production.errors import ProductionError
from production.models import Alignment, Credit, Cue, Deviation, Fragment, Sentence, Word, ZhPair
from production.script import decode_bytes, parse_script
from production.translation import pair_translation

# any text Python can hold in a file (no lone surrogates), including controls and markup
TEXT = st.text(max_size=60)
HOSTILE_BITS = [
    "{\\pos(0,0)}",
    "-->",
    "<script>",
    "</p>",
    "&amp;",
    "%{pts}",
    "[0:v]",
    ";",
    "'",
    "$(x)",
    "`x`",
    "\\N",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\u2028",
    "\ufeff",
    "\u200b",
    "中文",
    "，。",
]
WORDY = st.lists(st.one_of(st.sampled_from(HOSTILE_BITS), st.text(max_size=8)), max_size=12).map("".join)
ANY_TEXT = st.one_of(TEXT, WORDY)
# tests that write files (each write is fsynced) run a third of the profile's examples
IO_EXAMPLES = max(10, settings().max_examples // 3)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A folder that survives Hypothesis examples (function fixtures do not reset per example)."""
    folder = Path(tempfile.mkdtemp(prefix="perspective-fuzz-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def fresh(scratch: Path) -> Path:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    return folder


# ================================================================== script and translation
@given(st.binary(max_size=400))
def test_fuzz_script_bytes_decode_or_script_error(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data, "script.txt")
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    assert isinstance(text, str) and encoding


@given(st.lists(ANY_TEXT, max_size=10).map("\n".join))
def test_fuzz_parse_script_hostile_lines(text: str) -> None:
    try:
        script = parse_script(text)
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    assert script.sentences and all(s.text.strip() for s in script.sentences)


ENGLISH = (
    "Title line\nHello! Welcome to the show. I am Ada.\nPrices rose. Costs fell, again.\n"
    "Thanks for listening.\nHost: Ada LIN\n"
)


ZH_LINE = st.one_of(ANY_TEXT, st.sampled_from(["你好。", "价格上涨了。成本下降了。", "谢谢收听。"]))


@given(st.one_of(st.lists(ZH_LINE, min_size=3, max_size=3), st.lists(ZH_LINE, max_size=8)).map("\n".join))
def test_fuzz_translation_pairer_any_text(zh: str) -> None:
    script = parse_script(ENGLISH)
    try:
        pairs = pair_translation(script, zh)
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    assert [i for p in pairs for i in p.en_ids] == [s.id for s in script.sentences]


# ================================================================== caption segmentation
@st.composite
def aligned_sentences(draw: st.DrawFn) -> tuple[list[Sentence], list[ZhPair] | None]:
    """Sentences with any words and any times: overlapping, zero-length, unsorted, untimed."""
    n = draw(st.integers(1, 5))
    sentences, t = [], draw(st.integers(0, 5000))
    for k in range(n):
        words = []
        for _ in range(draw(st.integers(0, 8))):
            start = t + draw(st.integers(-200, 800))
            words.append(Word(draw(ANY_TEXT), start, start + draw(st.integers(-50, 1500))))
            t = max(t, words[-1].end_ms)
        text = " ".join(w.text for w in words) or draw(ANY_TEXT)
        span = draw(
            st.one_of(
                st.none(),
                st.just((words[0].start_ms, words[-1].end_ms)) if words else st.none(),
                st.tuples(st.integers(-100, 60_000), st.integers(-100, 60_000)),
            )
        )
        start, end = span if span else (None, None)
        sentences.append(Sentence(f"s{k + 1:04d}", text, text, draw(st.integers(0, 2)), start, end, tuple(words)))
    if draw(st.booleans()):
        return sentences, None
    ids = [s.id for s in sentences]
    cut = draw(st.integers(1, len(ids)))
    pairs = [ZhPair(tuple(ids[:cut]), draw(ANY_TEXT))]
    if cut < len(ids):
        pairs.append(ZhPair(tuple(ids[cut:]), draw(ANY_TEXT)))
    return sentences, pairs


@given(aligned_sentences())
def test_fuzz_caption_segmentation_any_alignment(case: tuple[list[Sentence], list[ZhPair] | None]) -> None:
    sentences, pairs = case
    try:
        cs = build_captions(sentences, pairs, CaptionSettings())
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    for cues in cs.tracks().values():
        assert all(c.start_ms < c.end_ms for c in cues)
        assert all(a.end_ms <= b.start_ms for a, b in zip(cues, cues[1:], strict=False))


# ================================================================== caption writers
# what segmentation hands the writers: one-line, trimmed, non-empty text (script and translation
# lines are split at every line break before they become sentences)
CUE_LINE = ANY_TEXT.map(lambda t: " ".join(t.replace("\r", " ").replace("\n", " ").split())).filter(bool)


@st.composite
def any_cues(draw: st.DrawFn, lang: str) -> list[Cue]:
    """Cues on the segmenter's 10 ms grid (ASS counts centiseconds)."""
    cues, t = [], draw(st.integers(0, 1000)) * 10
    for _ in range(draw(st.integers(0, 4))):
        d = draw(st.integers(1, 800)) * 10
        cues.append(Cue(t, t + d, tuple(draw(st.lists(CUE_LINE, min_size=1, max_size=3))), lang))
        t += d + draw(st.integers(0, 50)) * 10
    return cues


def _plain(cues: list[Cue]) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(c.start_ms, c.end_ms, c.lines) for c in cues]


@given(any_cues("en"), st.sampled_from(["srt", "vtt", "ass"]))
def test_fuzz_caption_format_writers_round_trip_or_refuse(cues: list[Cue], name: str) -> None:
    fmt = get_format(name)
    try:
        text = fmt.dumps(cues, CaptionSettings())
    except ProductionError:
        return  # refused: nothing written
    assert _plain(fmt.loads(text, "en")) == _plain(cues)


LINE_BREAK_INJECTIONS = {
    "ass": "x\nDialogue: 0,0:00:00.00,0:00:09.00,English,,0,0,0,,PWNED",
    "srt": "x\n\n7\n00:00:00,000 --> 00:00:09,000\nPWNED",
    "vtt": "x\n\n00:00:00.000 --> 00:00:09.000\nPWNED",
}


@pytest.mark.parametrize("name", sorted(LINE_BREAK_INJECTIONS))
def test_a_line_break_inside_caption_text_is_refused_or_kept(name: str) -> None:
    fmt = get_format(name)
    cues = [Cue(0, 1000, (LINE_BREAK_INJECTIONS[name],), "en")]
    try:
        text = fmt.dumps(cues, CaptionSettings())
    except ProductionError:
        return  # refused: nothing written
    assert _plain(fmt.loads(text, "en")) == _plain(cues)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=IO_EXAMPLES)
@given(any_cues("en"), any_cues("zh-Hans"), any_cues("bilingual"))
def test_fuzz_write_captions_writes_whole_files_or_refuses(
    scratch: Path, en: list[Cue], zh: list[Cue], bi: list[Cue]
) -> None:
    out = fresh(scratch)
    try:
        paths = write_captions(CaptionSet(tuple(en), tuple(zh), tuple(bi)), out, "2026-11-27-fuzz")
    except ProductionError:
        assert not [p for p in out.iterdir() if ".part" in p.name]
        event("refused with a ProductionError")
        return
    event("accepted")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    for p in paths:
        p.read_bytes().decode("utf-8")  # whole UTF-8 text (empty when a track has no cues)


# ================================================================== alignment.json
FRAGMENTS = st.lists(
    st.builds(
        Fragment,
        id=ANY_TEXT,
        text=ANY_TEXT,
        start_ms=st.integers(0, 10**7),
        end_ms=st.integers(0, 10**7),
        words=st.lists(st.builds(Word, ANY_TEXT, st.integers(0, 10**7), st.integers(0, 10**7)), max_size=3).map(tuple),
        confidence=st.integers(0, 1000).map(lambda c: c / 1000),
    ),  # 3 decimals kept
    max_size=4,
).map(tuple)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=IO_EXAMPLES)
@given(
    st.builds(
        Alignment,
        ANY_TEXT,
        ANY_TEXT,
        st.integers(0, 10**8),
        FRAGMENTS,
        st.lists(st.builds(Deviation, ANY_TEXT, st.integers(0, 10**7), ANY_TEXT, ANY_TEXT, ANY_TEXT), max_size=2).map(
            tuple
        ),
    )
)
def test_fuzz_alignment_json_round_trips(scratch: Path, alignment: Alignment) -> None:
    path = write_alignment(fresh(scratch) / "alignment.json", alignment)
    assert read_alignment(path) == alignment


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
ALIGNMENT_KEYS = [
    "engine",
    "audio",
    "duration_ms",
    "fragments",
    "deviations",
    "id",
    "text",
    "start_ms",
    "end_ms",
    "words",
    "confidence",
    "kind",
    "time_ms",
]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=IO_EXAMPLES)
@given(st.one_of(JSON, st.dictionaries(st.sampled_from(ALIGNMENT_KEYS), JSON, max_size=6), st.binary(max_size=60)))
def test_fuzz_read_alignment_any_file(scratch: Path, content: Any) -> None:
    path = fresh(scratch) / "alignment.json"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    try:
        read_alignment(path)
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")


# ================================================================== episode.toml
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's


TOML_SCALAR = (
    st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.dates()
    | ANY_TEXT
    | st.sampled_from(["script.txt", "host.wav", "../x", "/etc/passwd", "2026-11-27", "tts-dtw", "podcast", "full"])
)
TOML_VALUE = st.recursive(
    TOML_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
SETTING_NAMES = ["fps", "crf", "max_lines", "profile", "mp3_bitrate_kbps", "burn_in", "speed", "width"]


@st.composite
def episode_tables(draw: st.DrawFn) -> dict[str, Any]:
    table: dict[str, Any] = {
        "title": "T",
        "date": dt.date(2026, 11, 27),
        "script": "script.txt",
        "host_audio": "host.wav",
    }
    for key in draw(st.lists(st.sampled_from([*FIELDS, "titel", "x"]), max_size=5)):
        if key in ("captions", "mastering", "video", "credit_roll") and draw(st.booleans()):
            table[key] = draw(st.dictionaries(st.sampled_from(SETTING_NAMES), TOML_VALUE, max_size=3))
        else:
            table[key] = draw(TOML_VALUE)
    return table


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=IO_EXAMPLES)
@given(
    st.one_of(
        episode_tables().map(lambda t: "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in t.items())), TEXT
    )
)
def test_fuzz_episode_toml_loads_or_episode_error(scratch: Path, toml: str) -> None:
    folder = fresh(scratch) / "2026-11-27-fuzz"
    folder.mkdir()
    for name in ("script.txt", "host.wav", "script.zh.txt"):
        (folder / name).write_bytes(b"x")
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    try:
        episode = load_episode(folder)  # the settings tables are resolved and checked here
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    for path in (episode.script, episode.host_audio, episode.translation, episode.cover):
        assert path is None or folder.resolve() in path.parents or "assets" in path.parts


# ================================================================== credits writers
NAMES = st.lists(ANY_TEXT, max_size=3)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=IO_EXAMPLES)
@given(
    st.lists(st.builds(Credit, ANY_TEXT, NAMES.map(tuple)), max_size=4),
    st.one_of(st.none(), st.dictionaries(ANY_TEXT, st.one_of(NAMES, ANY_TEXT, st.integers()), max_size=3)),
    st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=2),
)
def test_fuzz_credit_writers(
    scratch: Path, script_credits: list[Credit], table: dict[str, Any] | None, names_zh: dict[str, str]
) -> None:
    try:
        roll = episode_credit_roll(script_credits, table, names_zh)
    except ProductionError:
        event("refused with a ProductionError")
        return
    event("accepted")
    data = credits_json(roll)
    path = write_credits_json(roll, fresh(scratch) / "credits.json")
    assert json.loads(path.read_text(encoding="utf-8")) == data
    assert all(isinstance(p["name"], str) for p in podcast_persons(roll))
    assert all(isinstance(role, str) and isinstance(name, str) for role, name in id3_tipl(roll))
    assert isinstance(shownotes_paragraph(roll), str)


# ================================================================== the publish bundle
@pytest.fixture(scope="module")
def bundle_base(scratch: Path) -> Path:
    from tests.publish.conftest import make_sine_mp3

    return make_sine_mp3(scratch / "sine.mp3")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=IO_EXAMPLES)
@given(title=ANY_TEXT, host=ANY_TEXT, description=ANY_TEXT, sentence=ANY_TEXT, zh=ANY_TEXT, chapter=ANY_TEXT)
def test_fuzz_publish_bundle_any_text(
    scratch: Path, bundle_base: Path, title: str, host: str, description: str, sentence: str, zh: str, chapter: str
) -> None:
    from production.publish import write_bundle
    from tests.publish.conftest import SENTENCES, SLUG, make_inputs

    build = fresh(scratch) / SLUG / "build"
    build.mkdir(parents=True)
    shutil.copyfile(bundle_base, build / f"{SLUG}.mp3")
    inputs = make_inputs(
        build,
        title=title,
        host=host,
        description=description,
        sentences=(dataclasses.replace(SENTENCES[0], text=sentence), *SENTENCES[1:]),
        zh={"s0001": zh},
        chapters=((chapter, 0, 4000),),
        caption_files={},
        captions_en=(),
    )
    try:
        written = write_bundle(build, inputs)
    except ProductionError:
        assert not [p for p in build.rglob("*") if ".part" in p.name]
        event("refused with a ProductionError")
        return
    event("accepted")
    assert written
    for p in written:
        if p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))
