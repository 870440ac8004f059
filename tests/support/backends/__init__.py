"""Modules a test puts on a subprocess's PYTHONPATH (nothing here shadows a real module)."""
