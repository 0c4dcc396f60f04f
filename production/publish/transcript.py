"""Podcasting 2.0 JSON documents: the transcript and the chapters.

Formats: podcastindex-org/podcast-namespace, transcripts.md ("version" 1.0.0, one segment
per sentence here) and chapters/jsonChapters.md ("version" 1.2.0, times in seconds).
"""

from __future__ import annotations

from typing import Any

from .inputs import PublishInputs, chapters_of, seconds, validate

TRANSCRIPT_VERSION = "1.0.0"  # Podcasting 2.0 JSON transcript format version
CHAPTERS_VERSION = "1.2.0"  # Podcasting 2.0 JSON chapters format version


def transcript_json(inputs: PublishInputs) -> dict[str, Any]:
    """``{"version": "1.0.0", "segments": [{speaker, startTime, endTime, body}, …]}``.

    One segment per sentence."""
    validate(inputs)
    return {
        "version": TRANSCRIPT_VERSION,
        "segments": [_segment(inputs, s) for s in inputs.sentences],
    }


def _segment(inputs: PublishInputs, sentence: Any) -> dict[str, Any]:
    segment: dict[str, Any] = {}
    if inputs.host.strip():
        segment["speaker"] = inputs.host.strip()
    segment["startTime"] = seconds(sentence.start_ms)
    segment["endTime"] = seconds(sentence.end_ms)
    segment["body"] = sentence.text
    return segment


def chapters_json(inputs: PublishInputs) -> dict[str, Any]:
    """``{"version": "1.2.0", "chapters": [{startTime, title, endTime}]}``; the whole episode
    is one chapter when the pipeline gives none."""
    validate(inputs)
    chapters = [
        {"startTime": seconds(start), "title": title, "endTime": seconds(end)}
        for title, start, end in chapters_of(inputs)
    ]
    return {"version": CHAPTERS_VERSION, "chapters": chapters}
