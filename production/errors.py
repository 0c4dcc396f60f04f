"""One exception family. Every message says what is wrong and what to do next."""

from __future__ import annotations


class ProductionError(Exception):
    """Base of every error the library raises on purpose.

    The CLI prints ``str(err)`` on one line and exits 1.
    """


class EpisodeError(ProductionError):
    """The episode folder or episode.toml is not usable."""


class ScriptError(ProductionError):
    """The script or its translation cannot be read or understood."""


class AudioError(ProductionError):
    """An audio file is missing, unreadable or unusable."""


class AlignmentError(ProductionError):
    """The script and the recording cannot be aligned (or don't belong together)."""


class ToolMissingError(ProductionError):
    """A required external program (ffmpeg, espeak-ng, …) is not installed."""


class RenderError(ProductionError):
    """An external renderer (ffmpeg) failed; the message keeps its evidence."""


class LockedError(ProductionError):
    """Another run holds the episode's build lock."""


class OutputError(ProductionError):
    """An output path would overwrite one of the command's inputs or a file the toolkit did not write."""


class FilesystemError(ProductionError):
    """A file or folder cannot be created, written or found (permissions, full disk, long names …)."""
