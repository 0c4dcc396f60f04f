"""What each stage's last run was made of, and which stage failed: build/.work/status.json.

The pipeline writes it (beside stages.json) so `perspective status` (production/status.py) can
say *why* a stage is stale (which file or setting changed), not only that it is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ProductionError
from .fsutil import write_json

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"  # in build/.work/, beside stages.json


@dataclass(frozen=True)
class FingerprintParts:
    """What one stage's fingerprint is made of."""

    files: dict[str, str]  # file name -> sha256 of its content
    settings: Any
    version: int  # the stage's code version
    upstream: dict[str, str]  # stage read -> what it handed on (its token)


def plain(obj: Any) -> Any:
    """JSON-able form of settings (dataclass reprs, dates, paths become strings), for comparison."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def read_record(work: Path) -> dict[str, Any]:
    try:
        data = json.loads((work / STATUS_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(work: Path, data: dict[str, Any]) -> None:
    try:
        write_json(work / STATUS_FILE, data)
    except ProductionError as err:  # a status record is never worth failing a production for
        log.warning("could not keep the status record: %s", err)


def record_inputs(work: Path, stage: str, inputs: FingerprintParts) -> None:
    """After a stage completed: what its fingerprint was made of; clears an earlier failure."""
    data = read_record(work)
    data.setdefault("inputs", {})[stage] = {
        "files": inputs.files,
        "settings": plain(inputs.settings),
        "version": inputs.version,
        "upstream": inputs.upstream,
    }
    data.setdefault("failed", {}).pop(stage, None)
    _write(work, data)


def record_failure(work: Path, stage: str, err: BaseException) -> None:
    data = read_record(work)
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    data.setdefault("failed", {})[stage] = message
    _write(work, data)
