"""The show's bundled files (artwork, stings, role names, caption styles, review page, sample episode).

The top-level ``assets/`` folder of the repository is the package ``production._assets`` of the
built wheel, and ``episodes/`` is ``production._sample_episodes`` (a package-dir mapping in
pyproject.toml), so the same look-up works in a checkout, an editable install and a plain
``pip install``. Every module finds its files through this one; none builds paths from
``__file__``.
"""

from __future__ import annotations

import atexit
import contextlib
from functools import cache
from importlib import resources
from pathlib import Path

ASSETS_PACKAGE = "production._assets"
SAMPLES_PACKAGE = "production._sample_episodes"

_extracted = contextlib.ExitStack()  # only used when the package lives in a zip archive
atexit.register(_extracted.close)


@cache
def _folder(package: str) -> Path:
    root = resources.files(package)
    if isinstance(root, Path):
        return root
    return _extracted.enter_context(resources.as_file(root))  # a zipped install: extracted once per process


def assets_dir() -> Path:
    """The folder holding the bundled assets (``assets/`` in a checkout)."""
    return _folder(ASSETS_PACKAGE)


def asset(relative: str) -> Path:
    """The path of one bundled asset, e.g. ``asset("artwork/cover.png")`` (it may not exist)."""
    return assets_dir() / relative


def sample_episodes_dir() -> Path:
    """The folder holding the bundled sample episode(s) (``episodes/`` in a checkout)."""
    return _folder(SAMPLES_PACKAGE)
