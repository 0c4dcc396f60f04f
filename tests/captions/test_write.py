"""write_captions + qc.check_files: fixed names, independent readers, the file-level QC."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pysubs2
import pytest
import srt
import webvtt

from production.align import write_alignment
from production.captions import (
    CaptionError,
    CaptionSet,
    CaptionSettings,
    build_captions,
    qc,
    write_captions,
)
from production.captions.formats import ass as ass_format
from production.captions.formats import srt as srt_format
from production.captions.formats import vtt as vtt_format
from production.models import Alignment, Fragment, Sentence, Word

from .synth import bilingual_script

SLUG = "2025-02-21-deepseek"
NAMES = [
    f"{SLUG}.en.srt",
    f"{SLUG}.en.vtt",
    f"{SLUG}.zh-Hans.srt",
    f"{SLUG}.zh-Hans.vtt",
    f"{SLUG}.bilingual.srt",
    f"{SLUG}.bilingual.ass",
]
HANT = [f"{SLUG}.zh-Hant.srt", f"{SLUG}.zh-Hant.vtt"]


@pytest.fixture(scope="module")
def built() -> tuple[CaptionSet, CaptionSettings]:
    settings = CaptionSettings(traditional=True, speaker="Stephanie Li")
    sentences, pairs = bilingual_script()
    return build_captions(sentences, pairs, settings), settings


@pytest.fixture()
def written(built, tmp_path) -> tuple[CaptionSet, CaptionSettings, Path, list[Path]]:
    cs, settings = built
    return cs, settings, tmp_path, write_captions(cs, tmp_path, SLUG, settings)


def test_names_are_the_contract(written) -> None:
    _, _, folder, paths = written
    assert [p.name for p in paths] == NAMES + HANT
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES + HANT)  # no temp files left


def test_english_only_without_translation(built, tmp_path) -> None:
    cs, _ = built
    paths = write_captions(CaptionSet(en=cs.en), tmp_path, SLUG, CaptionSettings(traditional=True))
    assert [p.name for p in paths] == NAMES[:2]
    issues = qc.check_files(tmp_path, SLUG)
    assert [i for i in issues if i.severity == "error"] == []
    assert [i.severity for i in issues if i.rule == "no-translation"] == ["warning"]


def test_bad_slug_is_a_clear_error(built, tmp_path) -> None:
    with pytest.raises(CaptionError, match="rename the episode folder"):
        write_captions(built[0], tmp_path, "../x", CaptionSettings())


def _timeline(cues) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(c.start_ms, c.end_ms, tuple(c.lines)) for c in cues]


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


def test_srt_files_parse_back_identically_with_srt_and_pysubs2(written) -> None:
    cs, _, folder, _ = written
    for suffix, cues in (
        ("en.srt", cs.en),
        ("zh-Hans.srt", cs.zh),
        ("bilingual.srt", cs.bilingual),
        ("zh-Hant.srt", cs.zh_hant),
    ):
        text = (folder / f"{SLUG}.{suffix}").read_text(encoding="utf-8")
        by_srt = [
            (
                _ms(s.start),
                _ms(s.end),
                tuple(srt_format.unescape(ln) for ln in s.content.split("\n")),
            )
            for s in srt.parse(text)
        ]
        assert by_srt == _timeline(cues), suffix
        # pysubs2 holds SRT text ASS-style: lines joined by \N (its plaintext would drop {...})
        by_pysubs2 = [
            (e.start, e.end, tuple(srt_format.unescape(ln) for ln in e.text.split("\\N")))
            for e in pysubs2.SSAFile.from_string(text, format_="srt")
        ]
        assert by_pysubs2 == _timeline(cues), suffix


def test_vtt_files_parse_back_identically_with_webvtt_py(written) -> None:
    cs, settings, folder, _ = written
    for suffix, cues in (("en.vtt", cs.en), ("zh-Hans.vtt", cs.zh), ("zh-Hant.vtt", cs.zh_hant)):
        captions = webvtt.read(str(folder / f"{SLUG}.{suffix}"))
        parsed = [
            (
                c.start_time.in_milliseconds(),
                c.end_time.in_milliseconds(),
                tuple(vtt_format.unescape(ln) for ln in c.text.split("\n")),
            )
            for c in captions
        ]
        assert parsed == _timeline(cues), suffix
        assert {c.voice for c in captions} == {settings.speaker}


def test_ass_parses_back_identically_with_pysubs2(written) -> None:
    cs, _, folder, _ = written
    subs = pysubs2.load(str(folder / f"{SLUG}.bilingual.ass"))
    assert set(subs.styles) == {"Chinese", "English"}
    stacked: dict[tuple[int, int], list[str]] = {}
    for event in subs:  # a Chinese event, then its English event, per cue
        stacked.setdefault((event.start, event.end), []).extend(
            ass_format.unescape(ln) for ln in event.text.split("\\N")
        )
    assert [(s, e, tuple(lines)) for (s, e), lines in stacked.items()] == _timeline(cs.bilingual)


def test_written_files_pass_the_file_qc(written) -> None:
    cs, settings, folder, _ = written
    issues = qc.check_files(folder, SLUG, settings)
    assert [i for i in issues if i.severity == "error"] == []
    figures = qc.summary(issues, qc.read_files(folder, SLUG))
    print(f"\nfile QC: {figures}")
    assert figures["errors"] == 0
    assert set(figures["cues"]) == set(NAMES + HANT)


def test_hostile_text_is_escaped_in_every_file(written) -> None:
    cs, _, folder, _ = written
    assert any("{\\an8}" in ln for c in cs.en for ln in c.lines)  # the test script has some
    for name in NAMES:
        text = (folder / name).read_text(encoding="utf-8")
        body = "\n".join(
            ln for ln in text.splitlines() if "-->" not in ln or "&gt;" in ln or "\u2060" in ln
        )
        if name.endswith(".ass"):
            events = [ln.split(",", 9)[9] for ln in text.splitlines() if ln.startswith("Dialogue:")]
            assert not any(re.search(r"(?<!\\)[{}]", e) for e in events)
        elif name.endswith(".vtt"):
            assert "<i>" not in body and "&lt;i&gt;" in body
        else:
            assert "<i>" not in body and "{\\" not in body


# ------------------------------------------------------------------ check_files finds faults


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_check_files_reports_missing_and_unreadable_files(written) -> None:
    _, settings, folder, _ = written
    (folder / f"{SLUG}.en.vtt").unlink()
    (folder / f"{SLUG}.zh-Hans.srt").write_text("1\nnonsense\n", encoding="utf-8")
    rules = {
        (i.rule, i.file) for i in qc.check_files(folder, SLUG, settings) if i.severity == "error"
    }
    assert ("missing-file", f"{SLUG}.en.vtt") in rules
    assert ("unreadable", f"{SLUG}.zh-Hans.srt") in rules


def test_check_files_reports_broken_rules_and_disagreement(written) -> None:
    cs, settings, folder, _ = written
    first = cs.en[0].lines[0]
    _rewrite(folder / f"{SLUG}.en.srt", first, first + " and then a great many more words than fit")
    issues = qc.check_files(folder, SLUG, settings)
    found = {(i.rule, i.file, i.cue_index) for i in issues}
    assert ("en-chars-per-line", f"{SLUG}.en.srt", 0) in found
    assert ("formats-disagree", f"{SLUG}.en.vtt", -1) in found


def test_check_files_reports_raw_markup(written) -> None:
    cs, settings, folder, _ = written
    _rewrite(folder / f"{SLUG}.en.srt", cs.en[1].lines[0], "<i>" + cs.en[1].lines[0])
    zh_line = cs.bilingual[0].lines[0]
    _rewrite(folder / f"{SLUG}.bilingual.ass", zh_line, "{\\i1}" + zh_line)
    markup = {
        (i.file, i.cue_index) for i in qc.check_files(folder, SLUG, settings) if i.rule == "markup"
    }
    assert (f"{SLUG}.en.srt", 1) in markup
    assert (f"{SLUG}.bilingual.ass", 0) in markup


def test_check_files_uses_alignment_for_sync(tmp_path) -> None:
    """alignment.json (host-audio clock) + the offset of the host audio on the captions' clock
    enable the in-time and trail rules; a wrong offset shows as sync errors."""
    intro_ms = 2000
    sentences, pairs = bilingual_script()
    fragments = tuple(Fragment(s.id, s.text, s.start_ms, s.end_ms, s.words) for s in sentences)
    duration = sentences[-1].end_ms
    write_alignment(tmp_path / "alignment.json", Alignment("test", "host.wav", duration, fragments))
    shifted = [
        Sentence(
            s.id,
            s.text,
            s.spoken,
            s.paragraph,
            s.start_ms + intro_ms,
            s.end_ms + intro_ms,
            tuple(Word(w.text, w.start_ms + intro_ms, w.end_ms + intro_ms) for w in s.words),
        )
        for s in sentences
    ]
    settings = CaptionSettings()
    write_captions(build_captions(shifted, pairs, settings), tmp_path, SLUG, settings)

    def errors(offset: int | None) -> set[str]:
        found = qc.check_files(tmp_path, SLUG, settings, speech_offset_ms=offset)
        return {i.rule for i in found if i.severity == "error"}

    assert errors(intro_ms) == set()
    assert "in-time" in errors(intro_ms + 400)
    assert errors(None) == set()  # without the offset the sync rules are not run
