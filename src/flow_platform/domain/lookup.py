"""Reading one row of a tenant: the lookup every resource shares.

A malformed id, an unknown id and another tenant's id all get the same 404, so an id
never tells an outsider that something exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from .errors import NotFound
from .ids import parse_id

Row = TypeVar("Row")


def read_owned(
    session: Session,
    model: type[Row],
    row_id: str,
    what: str,
    *,
    owner: str,
    owner_column: str = "workspace_id",
    code: str | None = None,
) -> Row:
    """The `model` row `row_id` whose `owner_column` is `owner`, or NotFound("{what} not found")."""
    row: Any = session.get(model, parse_id(row_id, what))
    if row is None or getattr(row, owner_column) != owner:
        raise NotFound(f"{what} not found", code=code)
    result: Row = row
    return result
