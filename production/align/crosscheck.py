"""Engine choice for ``--engine auto``, and the cross-check of two engines' timings.

``auto`` uses whisper when a whisper model can be loaded without the network (a cached name or
an existing file) and tts-dtw otherwise, so a machine without a model still produces captions.
The cross-check runs both engines and flags every sentence whose start or end differ by more
than half a second: where two unrelated methods disagree, a person should listen.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ..errors import AlignmentError
from ..models import Alignment

log = logging.getLogger(__name__)

DISAGREEMENT_MS = 500  # a sentence boundary further apart than this between engines is flagged
FALLBACK_ENGINE = "tts-dtw"  # needs no model weights


def choose_engine(
    engine: str,
    whisper_model: str | None = None,
    download_root: str | os.PathLike[str] | None = None,
) -> str:
    """The engine to run: ``engine`` itself; "auto": whisper if its model is here, else tts-dtw."""
    from . import ENGINES

    if engine != "auto":
        if engine not in ENGINES:
            raise AlignmentError(
                f"unknown alignment engine {engine!r}; choose one of: auto, {', '.join(ENGINES)}"
            )
        return engine
    from .whisper import DEFAULT_MODEL, model_available, whisper_installed

    if not whisper_installed():
        log.info("engine auto: the [whisper] extra is not installed, using %s", FALLBACK_ENGINE)
        return FALLBACK_ENGINE

    model = whisper_model or DEFAULT_MODEL
    if model_available(model, download_root):
        log.info("engine auto: whisper model %s is available, using whisper", model)
        return "whisper"
    log.info(
        "engine auto: whisper model %s is not on this machine, using %s", model, FALLBACK_ENGINE
    )
    return FALLBACK_ENGINE


def cross_check(
    al_a: Alignment, al_b: Alignment, threshold_ms: int = DISAGREEMENT_MS
) -> list[dict[str, Any]]:
    """Fragments whose start or end differ by more than ``threshold_ms`` between two alignments.

    Each entry: id, text, engines [a, b], start_ms [a, b], end_ms [a, b], start_diff_ms and
    end_diff_ms (b minus a). Both alignments must cover the same fragments.
    """
    ids_a = [f.id for f in al_a.fragments]
    by_id = {f.id: f for f in al_b.fragments}
    if set(ids_a) != set(by_id):
        missing = sorted(set(ids_a) ^ set(by_id))[:5]
        raise AlignmentError(
            f"the two alignments cover different fragments ({', '.join(missing)}…); "
            "align the same script with both engines"
        )
    flagged = []
    for fa in al_a.fragments:
        fb = by_id[fa.id]
        start_diff, end_diff = fb.start_ms - fa.start_ms, fb.end_ms - fa.end_ms
        if abs(start_diff) > threshold_ms or abs(end_diff) > threshold_ms:
            flagged.append(
                {
                    "id": fa.id,
                    "text": fa.text,
                    "engines": [al_a.engine, al_b.engine],
                    "start_ms": [fa.start_ms, fb.start_ms],
                    "end_ms": [fa.end_ms, fb.end_ms],
                    "start_diff_ms": start_diff,
                    "end_diff_ms": end_diff,
                }
            )
    return flagged
