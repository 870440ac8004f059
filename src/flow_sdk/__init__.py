"""Python client for the Flow platform."""
