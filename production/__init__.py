"""CBN Perspective production toolkit: the library (no CLI code lives here)."""

__version__ = "0.1.2"
