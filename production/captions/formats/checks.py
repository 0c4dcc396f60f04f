"""Checks every writer applies before it writes (shared so no format can forget one)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...models import Cue
from ..settings import CaptionError

# A line break inside one caption line would start a new line, block or ASS event in the file:
# the caller's text would become structure. Lines are separate items of Cue.lines instead.
LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]")


def refuse_line_breaks(cues: Sequence[Cue]) -> None:
    for index, cue in enumerate(cues):
        if any(LINE_BREAKS.search(line) for line in cue.lines):
            raise CaptionError(
                f"caption cue {index + 1} has a line break inside a line; pass each line as its own "
                "item of Cue.lines"
            )
