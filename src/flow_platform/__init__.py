"""Flow platform emulator."""
