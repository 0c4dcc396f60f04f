"""The catalogue at a glance: for each episode, each stage up to date, stale (and which input
changed) or failed — as a plain ``perspective produce`` of that folder would see it.

Freshness is decided by the pipeline itself (``pipeline.stage_fingerprint`` and the stage
table), never by a copy of its logic here. To say *why* a stage is stale, each run also keeps
what its fingerprint was made of (file hashes by name, settings, upstream fingerprints) in
``build/.work/status.json`` (production/records.py), and a stage that raised keeps its error there; this module
compares that record with the inputs now. Reading status writes nothing and takes no lock.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import StageState
from .episode import load_episode
from .errors import ProductionError
from .pipeline import stage_fingerprint
from .records import FingerprintParts, plain, read_record
from .stagekit import Context, ProduceOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageStatus:
    stage: str
    state: str  # "up to date" | "stale" | "failed" | "not built"
    reasons: tuple[str, ...] = ()


@dataclass
class EpisodeStatus:
    folder: Path
    stages: list[StageStatus] = field(default_factory=list)
    error: str = ""  # the episode cannot be read at all (bad episode.toml, missing folder)

    @property
    def state(self) -> str:
        if self.error:
            return "error"
        states = {s.state for s in self.stages}
        for worst in ("failed", "stale", "not built"):
            if worst in states:
                return worst
        return "up to date"

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "state": self.state,
            "error": self.error,
            "stages": [{"stage": s.stage, "state": s.state, "reasons": list(s.reasons)} for s in self.stages],
        }


# ---------------------------------------------------------------- why a stage is stale
_REPR = re.compile(r"^[A-Za-z_][\w.]*\((.*)\)$", re.S)  # a dataclass repr, as stages give settings


def _repr_fields(text: str) -> dict[str, str] | None:
    """``Name(a=1, b='x, y')`` -> {"a": "1", "b": "'x, y'"}; None when it is not such a repr."""
    match = _REPR.match(text)
    if not match:
        return None
    fields: dict[str, str] = {}
    depth, quote, start, body = 0, "", 0, match.group(1) + ","
    for i, ch in enumerate(body):
        if quote:
            quote = "" if ch == quote and body[i - 1] != "\\" else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            key, eq, value = body[start:i].strip().partition("=")
            if not eq:
                return None
            fields[key] = value
            start = i + 1
    return fields


def _changed_settings(before: Any, now: Any, prefix: str = "") -> list[str]:
    if isinstance(before, str) and isinstance(now, str) and before != now:
        old_fields, new_fields = _repr_fields(before), _repr_fields(now)
        if old_fields is not None and new_fields is not None:
            before, now = old_fields, new_fields
            prefix = "" if prefix == "settings." else prefix  # "setting profile", not "settings.profile"
    if isinstance(before, dict) and isinstance(now, dict):
        keys = sorted(set(before) | set(now))
        return [k for key in keys for k in _changed_settings(before.get(key), now.get(key), f"{prefix}{key}.")]
    return [prefix.rstrip(".") or "settings"] if before != now else []


def explain(before: dict[str, Any] | None, now: FingerprintParts) -> list[str]:
    """Which inputs differ between the recorded run and now, in words."""
    if not before:
        return ["inputs changed (no record of the last run's inputs)"]
    reasons: list[str] = []
    old_files: dict[str, str] = before.get("files", {})
    for name in sorted(set(old_files) | set(now.files)):
        if name not in now.files:
            reasons.append(f"{name} removed")
        elif name not in old_files:
            reasons.append(f"{name} added")
        elif old_files[name] != now.files[name]:
            reasons.append(f"{name} changed")
    reasons += [f"setting {key} changed" for key in _changed_settings(before.get("settings"), plain(now.settings))]
    if before.get("version") != now.version:
        reasons.append(f"stage code version {before.get('version')} -> {now.version}")
    old_up: dict[str, str] = before.get("upstream", {})
    reasons += [f"{name} changed" for name, fp in now.upstream.items() if old_up.get(name) != fp]
    return reasons or ["inputs changed"]


# ---------------------------------------------------------------- the catalogue
def episode_status(folder: str | Path) -> EpisodeStatus:
    from .stages import STAGES

    result = EpisodeStatus(Path(folder))
    try:
        episode = load_episode(folder)
    except ProductionError as err:
        result.error = str(err)
        return result
    record = read_record(episode.layout.work)
    recorded_inputs: dict[str, Any] = record.get("inputs", {})
    failed: dict[str, str] = record.get("failed", {})
    state = StageState(episode.layout.state, episode.build_dir)
    ctx = Context(episode, ProduceOptions(), _silent, state)
    tokens: dict[str, str] = {}
    blocked: str | None = None  # first stage whose products could not be restored
    for stage in STAGES:
        ctx.stage = stage
        if blocked is not None and any(d not in tokens for d in stage.reads):
            result.stages.append(_unknown(stage.name, state, failed, blocked))
            continue
        try:
            fp, parts = stage_fingerprint(ctx, stage, tokens)
            outputs = stage.outputs(ctx)
        except (ProductionError, KeyError, OSError, ValueError, RuntimeError) as err:
            log.debug("status: cannot fingerprint %s: %s", stage.name, err)
            blocked = blocked or stage.name
            result.stages.append(_unknown(stage.name, state, failed, blocked))
            continue
        recorded = state.stages.get(stage.name)
        if stage.name in failed:
            result.stages.append(StageStatus(stage.name, "failed", (failed[stage.name],)))
        elif state.is_current(stage.name, fp, outputs):
            result.stages.append(StageStatus(stage.name, "up to date"))
        elif recorded is None:
            result.stages.append(StageStatus(stage.name, "not built"))
        elif recorded.get("fingerprint") == fp:  # the inputs are the same: the outputs on disk are not
            result.stages.append(StageStatus(stage.name, "stale", tuple(state.stale_outputs(stage.name, outputs))))
        else:
            reasons = explain(recorded_inputs.get(stage.name), parts)
            result.stages.append(StageStatus(stage.name, "stale", tuple(reasons)))
        current = result.stages[-1].state == "up to date"
        try:
            stage.load(ctx)  # what later stages' inputs are computed from, as the run does
            # what it hands on: a stage that would re-run hands on something new, as a produce would
            tokens[stage.name] = state.token(stage.name) if current else f"changed:{fp}"
        except (ProductionError, KeyError, OSError, ValueError, RuntimeError) as err:
            log.debug("status: cannot restore %s: %s", stage.name, err)
            blocked = blocked or stage.name
    return result


def _silent(stage: str, fraction: float, message: str = "") -> None:
    return None


def _unknown(stage: str, state: StageState, failed: dict[str, str], blocked: str) -> StageStatus:
    """A stage whose inputs cannot be known now (an upstream stage's results are not on disk)."""
    if stage in failed:
        return StageStatus(stage, "failed", (failed[stage],))
    if stage not in state.stages:
        return StageStatus(stage, "not built")
    return StageStatus(stage, "stale", (f"{blocked} must run first",))


def catalogue_status(folders: list[Path]) -> list[EpisodeStatus]:
    return [episode_status(f) for f in folders]
