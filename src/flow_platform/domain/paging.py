"""Cursor paging shared by every list route: cut a page from rows in the route's order."""

from __future__ import annotations

import base64
import json
import operator
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..schemas.common import Page, PageQuery
from .errors import InvalidRequest

T = TypeVar("T")
R = TypeVar("R")


def paginate(
    rows: Sequence[R],
    query: PageQuery,
    public: Callable[[R], T],
    key: Callable[[R], str] = operator.attrgetter("id"),
) -> Page[T]:
    """Cut one page from rows in the route's own order.

    The cursor names the last item sent (its key) and its position: the next page
    starts after that item wherever it now is, so rows added or removed in between
    neither repeat nor skip the ones still there; only when that very item is gone
    does the position stand in for it.
    """
    start = 0
    if query.cursor:
        after, position = _decode_cursor(query.cursor)
        keys = [key(r) for r in rows]
        start = keys.index(after) + 1 if after in keys else min(position, len(rows))
    chunk = rows[start : start + query.limit]
    end = start + len(chunk)
    cursor = _encode_cursor(key(chunk[-1]), end) if chunk and end < len(rows) else None
    return Page(items=[public(r) for r in chunk], next_cursor=cursor)


def _encode_cursor(after: str, position: int) -> str:
    raw = json.dumps([after, position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        after, position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(after, str) or not isinstance(position, int) or position < 0:
            raise ValueError(cursor)
    except (ValueError, TypeError):
        raise InvalidRequest(
            "cursor is not one this server issued", details=[{"field": "cursor", "message": "invalid cursor"}]
        ) from None
    return after, position
