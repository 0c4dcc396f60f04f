"""Stage fingerprints: a stage is up to date when its inputs' content and settings are unchanged."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .fsutil import write_json

_CHUNK = 1 << 20  # 1 MiB reads keep hashing of multi-GB recordings in constant memory
_memo: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """Content hash, memoised per (path, size, mtime) for the life of the process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _memo:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        _memo[key] = h.hexdigest()
    return _memo[key]


def fingerprint(files: list[Path], settings: Any, upstream: list[str]) -> str:
    payload = {
        "files": [[p.name, file_sha256(p)] for p in files if p.exists()],
        "settings": settings,
        "upstream": upstream,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class StageState:
    """build/.work/stages.json: stage name -> fingerprint of its last complete run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def is_current(self, stage: str, fp: str, outputs: list[Path]) -> bool:
        return self.data.get(stage) == fp and all(p.exists() for p in outputs)

    def record(self, stage: str, fp: str) -> None:
        self.data[stage] = fp
        write_json(self.path, self.data)

    def forget_from(self, stages: list[str]) -> None:
        for s in stages:
            self.data.pop(s, None)


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")
