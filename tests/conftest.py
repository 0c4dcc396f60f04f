"""Shared test fixtures. Real components only: ffmpeg, espeak-ng, fonts are the real ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared/corpus next to the project (CI has it; a user's machine usually doesn't)
CORPUS = Path(os.environ.get("PERSPECTIVE_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
SEEDS = REPO_ROOT.parent / "shared" / "seeds"

# Bounded fuzzing in CI; `make fuzz` runs many more examples.
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"speech corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def seed_script() -> Path:
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"seed scripts not present at {SEEDS}")
    return files[0]
