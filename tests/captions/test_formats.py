"""Writers and readers per format: round trips, escaping, the registry."""

from __future__ import annotations

import pysubs2
import pytest
import srt
import webvtt
from hypothesis import given
from hypothesis import strategies as st

from production.captions import CaptionError, CaptionSettings
from production.captions.formats import EXTENSION_TO_FORMAT, FORMATS, get_format
from production.captions.formats import ass as ass_format
from production.captions.formats import srt as srt_format
from production.captions.formats import vtt as vtt_format
from production.models import Cue

HOSTILE = "a {\\an8}b} <i>i</i> --> c\\Nd \\h & &amp; <v X> {"
SETTINGS = CaptionSettings()


def test_registry_by_name_and_extension() -> None:
    assert set(FORMATS) == {"srt", "vtt", "ass"}
    assert EXTENSION_TO_FORMAT == {".srt": "srt", ".vtt": "vtt", ".ass": "ass"}
    assert get_format("x.bilingual.ass").name == "ass"
    assert get_format("VTT").name == "vtt"
    with pytest.raises(CaptionError, match="unknown caption format"):
        get_format("x.sub")


def test_srt_hostile_text_is_literal_for_srt_and_pysubs2() -> None:
    cues = [Cue(1000, 2500, (HOSTILE, "two"), "en")]
    text = get_format("srt").dumps(cues, SETTINGS)
    assert "-->" not in text.split("\n", 2)[2]  # only on the timing line
    assert "<i" not in text and "{\\" not in text and "\\N" not in text
    parsed = list(srt.parse(text))
    assert [srt_format.unescape(ln) for ln in parsed[0].content.split("\n")] == [HOSTILE, "two"]
    # pysubs2, a second reader, keeps the same visible text (no tags applied)
    event = pysubs2.SSAFile.from_string(text, format_="srt").events[0]
    assert "i" in event.plaintext and event.plaintext.count("\n") == 1


def test_vtt_hostile_text_is_entities() -> None:
    cues = [Cue(0, 1200, (HOSTILE,), "en")]
    text = get_format("vtt").dumps(cues, SETTINGS)
    body = text.split("\n")[4]
    assert "-->" not in body and "<" not in body and ">" not in body
    caption = webvtt.from_string(text).captions[0]
    assert vtt_format.unescape(caption.text) == HOSTILE


def test_vtt_speaker_voice_tag() -> None:
    cues = [Cue(0, 1200, ("Hello there,", "friends."), "en"), Cue(1300, 2500, ("Bye.",), "en")]
    text = get_format("vtt").dumps(cues, CaptionSettings(speaker="Stephanie <Li>"))
    assert vtt_format.voices(text) == ["Stephanie &lt;Li&gt;", "Stephanie &lt;Li&gt;"]
    assert get_format("vtt").loads(text, "en") == cues


def test_ass_hostile_text_is_escaped_for_libass() -> None:
    cues = [Cue(0, 1200, ("杭州{\\i1}六小龙", HOSTILE), "bilingual")]
    text = get_format("ass").dumps(cues, SETTINGS)
    dialogue = [ln for ln in text.splitlines() if ln.startswith("Dialogue:")]
    assert len(dialogue) == 2
    zh_text, en_text = (ln.split(",", 9)[9] for ln in dialogue)
    assert zh_text == "杭州\\{\\\u2060i1\\}六小龙"
    assert "\\N" not in en_text and "{" not in en_text.replace("\\{", "")
    events = pysubs2.SSAFile.from_string(text).events
    assert [ass_format.unescape(e.text) for e in events] == ["杭州{\\i1}六小龙", HOSTILE]


def test_ass_styles_and_stacking() -> None:
    cues = [
        Cue(0, 1000, ("杭州六小龙", "Hangzhou's six small dragons"), "bilingual"),
        Cue(
            1100,
            2500,
            ("深圳", "Shenzhen's strength in hardware", "manufacturing could grow"),
            "bilingual",
        ),
    ]
    subs = pysubs2.SSAFile.from_string(get_format("ass").dumps(cues, SETTINGS))
    assert subs.info["PlayResX"] == "1920" and subs.info["PlayResY"] == "1080"
    assert set(subs.styles) == {"Chinese", "English"}
    zh, en = subs.styles["Chinese"], subs.styles["English"]
    assert zh.fontname == en.fontname == "Noto Sans CJK SC"
    assert zh.fontsize > en.fontsize and zh.marginv > en.marginv
    first_zh, first_en, second_zh, second_en = subs.events
    assert (first_zh.style, first_en.style) == ("Chinese", "English")
    assert first_zh.marginv == 0  # the style's margin: above one English line
    assert second_zh.marginv > zh.marginv  # moved up over two English lines
    assert second_en.text == "Shenzhen's strength in hardware\\Nmanufacturing could grow"


def test_stacked_lines_are_told_apart_by_position() -> None:
    cues = [
        Cue(0, 1000, ("DeepSeek-R1", "DeepSeek-R1"), "bilingual"),
        Cue(1100, 2000, ("Alone.",), "bilingual"),
    ]
    subs = pysubs2.SSAFile.from_string(get_format("ass").dumps(cues, SETTINGS))
    assert [e.style for e in subs.events] == ["Chinese", "English", "English"]
    assert get_format("ass").loads(get_format("ass").dumps(cues, SETTINGS), "bilingual") == cues


def test_bad_style_sheet_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "styles.toml"
    bad.write_text(
        '[script]\nplay_res_x = 1920\nplay_res_y = 1080\n[styles.Chinese]\nfont = "X"\nsize = 60\n'
    )
    with pytest.raises(CaptionError, match="lack style"):
        ass_format.AssFormat(bad).dumps([Cue(0, 900, ("x",), "en")], SETTINGS)
    bad.write_text('[script]\nplay_res_x = 1920\n[styles.Chinese]\nprimary_colour = "red"\n')
    with pytest.raises(CaptionError, match="unusable"):
        ass_format.AssFormat(bad).dumps([Cue(0, 900, ("x",), "en")], SETTINGS)


def test_unreadable_files_are_clear_errors() -> None:
    with pytest.raises(CaptionError, match="SRT"):
        get_format("srt").loads("1\nnot a time\nhello\n", "en")
    with pytest.raises(CaptionError, match="WebVTT"):
        get_format("vtt").loads("NOT VTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", "en")


# ------------------------------------------------------------------- property: round trips

LATIN = list("abcXYZ 09.,!?'\"-<>{}\\/&;:N%$")
CHINESE = LATIN + list("杭州六小龙，。“”·")


def _line(alphabet: list[str]) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=40)
        .map(str.strip)
        .filter(bool)
    )


@st.composite
def cue_lists(draw, lang: str) -> list[Cue]:
    """Cues on the 10 ms grid; stacked ones are a Chinese line over 1-2 Latin lines."""
    n = draw(st.integers(1, 6))
    t = draw(st.integers(0, 10_000)) * 10
    cues = []
    for _ in range(n):
        duration = draw(st.integers(84, 700)) * 10
        lines = tuple(draw(st.lists(_line(LATIN), min_size=1, max_size=2)))
        if lang == "bilingual":
            lines = ("中" + draw(_line(CHINESE)), *lines)
        cues.append(Cue(t, t + duration, lines, lang))
        t += duration + draw(st.integers(8, 300)) * 10
    return cues


@given(cue_lists("en"))
def test_property_srt_and_vtt_round_trip(cues) -> None:
    for name in ("srt", "vtt"):
        fmt = get_format(name)
        assert fmt.loads(fmt.dumps(cues, SETTINGS), "en") == cues


@given(cue_lists("bilingual"))
def test_property_ass_and_srt_round_trip_stacked_cues(cues) -> None:
    for name in ("ass", "srt"):
        fmt = get_format(name)
        assert fmt.loads(fmt.dumps(cues, SETTINGS), "bilingual") == cues
