"""Identifier checks: a malformed id is simply one that does not exist."""

from __future__ import annotations

import uuid

from .errors import NotFound


def parse_id(value: str, what: str = "resource") -> str:
    """Return the canonical form of a UUID, or raise the same 404 an unknown id gets."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"{what} not found") from None
