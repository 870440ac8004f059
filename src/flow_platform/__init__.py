"""Flow platform emulator."""

__version__ = "0.1.0"
