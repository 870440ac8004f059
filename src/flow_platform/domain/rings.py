"""Deployment rings of a workspace: built-in dev -> staging -> production, plus any an admin adds."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.tables import Deployment, Ring
from .errors import Conflict, NotFound, field_error
from .lookup import read_owned
from .persist import commit_or_conflict

PRODUCTION = "production"
RING_NAME = re.compile(r"^[a-z][a-z0-9-]{0,99}$")
# A ring holds something while a deployment in one of these states points at it.
HOLDING_STATES = ("queued", "building", "deploying", "validating", "active", "rolling_back")


def read_rings(session: Session, workspace_id: str) -> list[Ring]:
    stmt = select(Ring).where(Ring.workspace_id == workspace_id).order_by(Ring.position, Ring.name)
    return list(session.scalars(stmt))


def read_ring(session: Session, workspace_id: str, ring_id: str) -> Ring:
    return read_owned(session, Ring, ring_id, "ring", owner=workspace_id)


def read_ring_by_name(session: Session, workspace_id: str, name: str) -> Ring:
    ring = session.scalar(select(Ring).where(Ring.workspace_id == workspace_id, Ring.name == name))
    if ring is None:
        raise NotFound(f"no ring named {name!r} in this workspace")
    return ring


def next_ring(session: Session, ring: Ring) -> Ring | None:
    """The ring after ``ring`` in promotion order, if any."""
    stmt = (
        select(Ring)
        .where(Ring.workspace_id == ring.workspace_id, Ring.position > ring.position)
        .order_by(Ring.position)
        .limit(1)
    )
    return session.scalar(stmt)


def create_ring(
    session: Session, workspace_id: str, *, name: str, position: int | None = None, description: str = ""
) -> Ring:
    if not RING_NAME.match(name or ""):
        raise field_error("name", "a ring name is lowercase letters, digits and '-', starting with a letter")
    if position is None:
        last = session.scalar(select(func.max(Ring.position)).where(Ring.workspace_id == workspace_id))
        position = (last or 0) + 10
    if position < 0:
        raise field_error("position", "position must not be negative")
    taken = session.scalar(select(Ring).where(Ring.workspace_id == workspace_id, Ring.position == position))
    if taken is not None:
        # Two rings at one position would make "the next ring" ambiguous for promotion.
        raise Conflict(f"position {position} is taken by ring {taken.name!r}")
    ring = Ring(workspace_id=workspace_id, name=name, position=position, description=description, built_in=False)
    session.add(ring)
    commit_or_conflict(session, f"a ring named {name!r} already exists")
    return ring


def delete_ring(session: Session, workspace_id: str, ring_id: str) -> Ring:
    ring = read_ring(session, workspace_id, ring_id)
    if ring.built_in:
        raise Conflict(f"{ring.name!r} is a built-in ring and cannot be deleted")
    holding = session.scalar(
        select(func.count()).where(Deployment.ring_id == ring.id, Deployment.status.in_(HOLDING_STATES))
    )
    if holding:
        raise Conflict(f"ring {ring.name!r} still has {holding} deployment(s) in progress or active; roll them back")
    session.delete(ring)
    session.commit()
    return ring
