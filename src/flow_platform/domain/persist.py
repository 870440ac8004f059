"""Writing rows whose uniqueness the database enforces."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict


def commit_or_conflict(session: Session, message: str, *, flush_only: bool = False) -> None:
    """Commit (or flush), turning a unique-constraint violation into a 409 with ``message``.

    The constraint, not a prior SELECT, decides: two racing requests cannot both win.
    """
    try:
        session.flush() if flush_only else session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(message) from None
