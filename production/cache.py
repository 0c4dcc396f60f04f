"""Stage fingerprints and the record of what each stage wrote.

A stage is up to date when (1) its fingerprint is unchanged: its code version, the content of
its input files and assets, its settings and the results of the stages it reads; and (2) the
outputs on disk are the ones it wrote (same names, sizes and content as recorded when it
finished). Nothing machine-specific goes into a fingerprint: no absolute path, no package
version, so a copied checkout or episode folder is still up to date, and a toolkit release
re-runs only the stages whose code version it bumps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from .fsutil import write_json

_CHUNK = 1 << 20  # 1 MiB reads keep hashing of multi-GB recordings in constant memory
_memo: dict[tuple[str, int, int], str] = {}
STATE_VERSION = 2  # stages.json format; an older file counts as empty (every stage re-runs)


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


def portable(value: object) -> object:
    """``value`` as plain JSON data that is the same on every machine: dataclasses become dicts,
    a Path becomes its file name and content hash (or just its name when it does not exist)."""
    if isinstance(value, Path):
        return {"file": value.name, "sha256": file_sha256(value) if value.is_file() else None}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: portable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): portable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [portable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def fingerprint(
    stage: str, version: int, files: Sequence[Path], settings: Mapping[str, object], upstream: Sequence[str]
) -> str:
    payload = {
        "stage": stage,
        "version": version,
        "files": [portable(p) for p in files],
        "settings": portable(settings),
        "upstream": list(upstream),
    }
    return hash_text(json.dumps(payload, sort_keys=True))


class StageState:
    """build/.work/stages.json: per stage, the fingerprint of its last complete run and the
    outputs it wrote then (path relative to build/ → size, mtime, SHA-256)."""

    def __init__(self, path: Path, build: Path) -> None:
        self.path = path
        self.build = build
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        ok = isinstance(data, dict) and data.get("version") == STATE_VERSION and isinstance(data.get("stages"), dict)
        self.stages: dict[str, dict[str, object]] = data["stages"] if ok else {}

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.build).as_posix()

    def recorded_outputs(self, stage: str) -> dict[str, list[object]]:
        outputs = self.stages.get(stage, {}).get("outputs", {})
        return dict(outputs) if isinstance(outputs, dict) else {}

    def stale_outputs(self, stage: str, outputs: Sequence[Path]) -> list[str]:
        """Why the outputs on disk are not the ones ``stage`` recorded (empty: they are)."""
        recorded = self.recorded_outputs(stage)
        problems = []
        for path in outputs:
            rel = self._rel(path)
            entry = recorded.get(rel)
            if not path.is_file():
                problems.append(f"{rel} is missing")
            elif not isinstance(entry, list) or len(entry) != 3:
                problems.append(f"{rel} was not written by this stage")
            else:
                st = path.stat()
                if st.st_size != entry[0]:
                    problems.append(f"{rel} changed size")
                elif st.st_mtime_ns != entry[1] and file_sha256(path) != entry[2]:
                    problems.append(f"{rel} changed")
        return problems

    def is_current(self, stage: str, fp: str, outputs: Sequence[Path]) -> bool:
        return self.stages.get(stage, {}).get("fingerprint") == fp and not self.stale_outputs(stage, outputs)

    def token(self, stage: str) -> str:
        """What later stages' fingerprints take from ``stage``: its fingerprint and its outputs'
        content, so a re-run that writes different bytes re-runs its readers and one that writes
        the same bytes does not."""
        return str(self.stages.get(stage, {}).get("token", ""))

    def record(self, stage: str, fp: str, outputs: Sequence[Path]) -> None:
        # an output the stage did not write is left out: the next run finds it missing and re-runs
        written = {
            self._rel(p): [p.stat().st_size, p.stat().st_mtime_ns, file_sha256(p)] for p in outputs if p.is_file()
        }
        contents = sorted((rel, entry[2]) for rel, entry in written.items())
        token = hash_text(json.dumps([fp, contents]))
        self.stages[stage] = {"fingerprint": fp, "token": token, "outputs": written}
        write_json(self.path, {"version": STATE_VERSION, "stages": self.stages})


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
