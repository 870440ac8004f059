"""Identifier checks: a malformed id is simply one that does not exist."""

from __future__ import annotations

import uuid

from .errors import NotFound

INT32_MAX = 2**31 - 1  # an SQL INTEGER column on PostgreSQL
INT64_MAX = 2**63 - 1


def parse_id(value: str, what: str = "resource") -> str:
    """Return the canonical form of a UUID, or raise the same 404 an unknown id gets."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"{what} not found") from None


def ascii_number(text: str, maximum: int) -> int | None:
    """``text`` as a number from 0 to ``maximum`` if it is one, written in ASCII digits; else None.

    ``str.isdigit`` and ``int`` also take other scripts' digits and superscripts
    ("²", "①", "٣"), and ``int`` refuses strings of thousands of digits, so the form and
    the length are checked before converting.
    """
    if not (0 < len(text) <= len(str(maximum)) and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None
