"""transcript.json and chapters.json: Podcasting 2.0 shapes, times in seconds with ms precision."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.errors import ProductionError
from production.models import Sentence
from production.publish import PublishInputs, chapters_json, transcript_json
from production.publish.inputs import seconds

from .conftest import HOSTILE, SENTENCES


def test_transcript_has_one_segment_per_sentence_in_seconds(inputs: PublishInputs) -> None:
    doc = transcript_json(inputs)
    assert doc["version"] == "1.0.0"
    assert [seg["body"] for seg in doc["segments"]] == [s.text for s in SENTENCES]
    assert doc["segments"][1] == {
        "speaker": "Ana Host",
        "startTime": 1.4,
        "endTime": 2.5,
        "body": "Batteries now carry passports.",
    }
    assert all(isinstance(seg["startTime"], float) for seg in doc["segments"])


def test_transcript_leaves_out_an_unknown_speaker(inputs: PublishInputs) -> None:
    doc = transcript_json(dataclasses.replace(inputs, host="  "))
    assert all("speaker" not in seg for seg in doc["segments"])


def test_transcript_keeps_hostile_text_as_data(inputs: PublishInputs) -> None:
    hostile = (Sentence("s0001", HOSTILE, HOSTILE, 0, 0, 900),)
    doc = transcript_json(dataclasses.replace(inputs, sentences=hostile, host=HOSTILE))
    again = json.loads(json.dumps(doc, ensure_ascii=False))
    assert again["segments"][0]["body"] == HOSTILE
    assert again["segments"][0]["speaker"] == HOSTILE.strip()


def test_transcript_refuses_unaligned_sentences(inputs: PublishInputs) -> None:
    unaligned = (*SENTENCES[:2], Sentence("s0003", "x", "x", 1))
    with pytest.raises(ProductionError, match="s0003 has no usable timing"):
        transcript_json(dataclasses.replace(inputs, sentences=unaligned))


def test_chapters_in_podcasting_2_format(inputs: PublishInputs) -> None:
    doc = chapters_json(inputs)
    assert doc == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "title": "Intro", "endTime": 1.3},
            {"startTime": 1.3, "title": "Battery passports", "endTime": 4.026},
        ],
    }


def test_no_chapters_means_one_chapter_for_the_episode(inputs: PublishInputs) -> None:
    doc = chapters_json(dataclasses.replace(inputs, chapters=()))
    assert doc["chapters"] == [{"startTime": 0.0, "title": inputs.title, "endTime": 4.026}]


@pytest.mark.parametrize(
    "chapters",
    [
        (("A", 0, 1000), ("B", 500, 400)),  # ends before it starts
        (("A", 1000, 2000), ("B", 0, 500)),  # out of order
        (("  ", 0, 1000),),  # untitled
    ],
)
def test_bad_chapters_are_refused(
    inputs: PublishInputs, chapters: tuple[tuple[str, int, int], ...]
) -> None:
    with pytest.raises(ProductionError, match="chapter"):
        chapters_json(dataclasses.replace(inputs, chapters=chapters))


@given(st.integers(min_value=0, max_value=24 * 3600 * 1000))
def test_property_seconds_keep_every_millisecond(ms: int) -> None:
    assert round(seconds(ms) * 1000) == ms
