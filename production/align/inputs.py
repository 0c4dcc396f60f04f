"""What to align: script text → FragmentInputs, by sentence or by line."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ScriptError
from ..models import Sentence
from .base import FragmentInput

UNITS = ("sentence", "line")


def fragments_from_sentences(sentences: Sequence[Sentence]) -> list[FragmentInput]:
    return [FragmentInput(s.id, s.text, s.spoken) for s in sentences]


def fragments_from_lines(text: str) -> list[FragmentInput]:
    """Every non-empty line is one fragment, taken as is (docs/contracts.md "Commands": ``--unit line``)."""
    from ..textnorm import spoken_form

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ScriptError("the script has no non-empty lines to align; check the file")
    return [FragmentInput(f"f{i:04d}", line, spoken_form(line)) for i, line in enumerate(lines, 1)]


def fragments_from_script(text: str, unit: str = "sentence") -> list[FragmentInput]:
    if unit == "line":
        return fragments_from_lines(text)
    if unit != "sentence":
        raise ScriptError(f"unknown unit {unit!r}; use one of: {', '.join(UNITS)}")
    from ..script import parse_script

    return fragments_from_sentences(parse_script(text).sentences)
