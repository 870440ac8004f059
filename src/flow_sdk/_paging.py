"""Cursor paging on the wire: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

Shared by the sync and async clients so that both follow a cursor the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Large enough that most lists come back in one call; the server caps it.
DEFAULT_PAGE_SIZE = 500


def page_params(params: Mapping[str, Any] | None, cursor: str | None, page_size: int | None) -> dict[str, Any]:
    query = {k: v for k, v in (params or {}).items() if v is not None}
    if page_size is not None:
        query["limit"] = page_size
    if cursor is not None:
        query["cursor"] = cursor
    return query


def split_page(body: Any) -> tuple[list[Any], str | None]:
    """The items of one page and the cursor of the next (None on the last page).

    A bare list (an older server) is one page holding everything.
    """
    if isinstance(body, list):
        return body, None
    items: list[Any] = body["items"]
    cursor = body.get("next_cursor")
    return items, cursor if isinstance(cursor, str) and cursor else None
