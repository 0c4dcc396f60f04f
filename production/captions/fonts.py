"""Where the caption font lives, so renderers can pass it to libass as ``fontsdir``.

Without a CJK font libass draws empty boxes ("tofu") for Chinese (docs/output-rules.md "Credit roll").
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .settings import CaptionError

CAPTION_FONT = "Noto Sans CJK SC"  # the family assets/caption_styles.toml names


def font_files(family: str = CAPTION_FONT) -> list[Path]:
    """Font files of ``family`` known to fontconfig (empty when it is not installed)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise CaptionError(
            "fc-list is not installed: install it with `sudo apt-get install fontconfig`"
        )
    out = subprocess.run(
        [fc_list, f":family={family}", "file"], capture_output=True, text=True, check=False
    )
    return sorted(
        {Path(line.split(":")[0].strip()) for line in out.stdout.splitlines() if line.strip()}
    )


def font_dir(family: str = CAPTION_FONT) -> Path:
    """The folder holding ``family``'s fonts, or a CaptionError saying how to install it."""
    files = font_files(family)
    if not files:
        raise CaptionError(
            f"font {family!r} is not installed, so Chinese captions would show empty boxes: "
            "install it with `sudo apt-get install fonts-noto-cjk` (or `make setup`)"
        )
    return files[0].parent
