"""Alignment engines behind one interface.

``get_engine(name, **settings)`` returns an object with ``align(audio_path, fragments,
progress) -> Alignment``. Engines are imported lazily so that tts-dtw never loads torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import AlignmentError
from .base import (
    Engine,
    FragmentInput,
    ProgressFn,
    alignment_from_dict,
    alignment_to_dict,
    read_alignment,
    write_alignment,
)

# engine name -> "module:Class"
ENGINES = {
    "tts-dtw": "production.align.tts_dtw:TtsDtwEngine",
    "whisper": "production.align.whisper:WhisperEngine",
}

__all__ = [
    "ENGINES",
    "Engine",
    "FragmentInput",
    "ProgressFn",
    "alignment_from_dict",
    "alignment_to_dict",
    "get_engine",
    "read_alignment",
    "write_alignment",
]


def get_engine(name: str, **settings: Any) -> Engine:
    try:
        target = ENGINES[name]
    except KeyError:
        raise AlignmentError(f"unknown alignment engine {name!r}; choose one of: {', '.join(ENGINES)}") from None
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(**settings)
