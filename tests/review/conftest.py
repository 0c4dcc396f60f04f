"""Review-editor fixtures: the faults suite's in-process CLI runner."""

from tests.faults.conftest import run_main  # noqa: F401 (a fixture, re-exported for these tests)
