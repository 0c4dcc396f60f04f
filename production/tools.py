"""External programs: find them, run them with argument lists (never a shell), keep evidence."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from .errors import RenderError, ToolMissingError

# program -> Debian package that provides it
PACKAGES = {
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "espeak-ng": "espeak-ng",
    "flite": "flite",
}


def require(program: str) -> str:
    """Return the full path of ``program`` or raise a ToolMissingError naming the package."""
    found = shutil.which(program)
    if found is None:
        package = PACKAGES.get(program, program)
        raise ToolMissingError(
            f"{program} is not installed or not on PATH: install it with "
            f"`sudo apt-get install {package}` (or `make setup`) and run again"
        )
    return found


def run(args: Sequence[str], *, what: str, input: bytes | None = None, timeout: float | None = None) -> bytes:
    """Run a program and return its stdout; on failure raise RenderError with stderr's tail."""
    exe = require(args[0])
    try:
        proc = subprocess.run([exe, *args[1:]], input=input, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise RenderError(f"{what} timed out after {timeout:.0f} s") from err
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RenderError(f"{what} failed ({args[0]} exit {proc.returncode}): {' | '.join(tail)}")
    return proc.stdout
