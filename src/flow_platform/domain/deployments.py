"""Deployment rules: who may deploy where, promotion order, rollback, and state transitions.

States (lower-case on the wire)::

    queued -> building -> deploying -> validating -> active -> superseded
                 |            |            |           |
                 +-> failed <-+            +-----------+-> rolling_back -> rolled_back

Every transition is a compare-and-set ``UPDATE ... WHERE id = ? AND status = ?`` whose
row count says whether this caller won, so two platform workers sharing one database
never both apply one. The deployer (``flow_platform.deployer``) drives the transitions
after ``queued``; the API only creates deployments and asks for rollbacks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, text, update
from sqlalchemy.orm import Session

from ..store.base import utcnow
from ..store.tables import Component, Deployment, Ring
from .errors import Conflict, Forbidden, NotFound, field_error
from .ids import parse_id
from .lookup import read_owned
from .rings import PRODUCTION, next_ring, read_ring
from .roles import Role

STATES = (
    "queued",
    "building",
    "deploying",
    "validating",
    "active",
    "failed",
    "rolling_back",
    "rolled_back",
    "superseded",
)
# States a deployer works in; a row left in one of them by a dead worker is resumed.
IN_FLIGHT = ("building", "deploying", "validating", "rolling_back")
KINDS = {"component": "component deployment", "workflow": "workflow deployment"}


def kind_of(component_type: str) -> str:
    return "workflow" if component_type == "workflow" else "component"


def begin_write(session: Session) -> None:
    """Start a write transaction now, before the first read.

    SQLite (WAL) refuses to upgrade a read transaction to a write one once another
    connection has committed since the read began (SQLITE_BUSY_SNAPSHOT, which skips
    the busy timeout); the deployer writes all the time, so writers here take the write
    lock first and wait for it instead. PostgreSQL needs nothing of the kind.
    """
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE deployments SET id = id WHERE 1 = 0"))


def check_may_deploy(role: Role, ring: Ring) -> None:
    if not role.allows(Role.BUILDER):
        raise Forbidden(f"deploying needs the builder role; you are {role.value}")
    if ring.name == PRODUCTION and not role.allows(Role.ADMIN):
        raise Forbidden(f"only admins deploy to {PRODUCTION}; you are {role.value}")


def _new_deployment(
    component: Component, ring: Ring, *, created_by: str, notes: str, promoted_from_id: str | None = None
) -> Deployment:
    now = utcnow()
    return Deployment(
        workspace_id=component.workspace_id,
        ring_id=ring.id,
        component_id=component.id,
        kind=kind_of(component.component_type),
        component_type=component.component_type,
        component_name=component.name,
        component_version=component.version,
        status="queued",
        notes=notes,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        queued_at=now,
        promoted_from_id=promoted_from_id,
        attempts=0,
    )


def create_deployments(
    session: Session,
    *,
    workspace_id: str,
    kind: str,
    role: Role,
    created_by: str,
    ring_id: str,
    components: list[dict[str, Any]],
    notes: str = "",
) -> list[Deployment]:
    """One queued deployment per listed component, all or none."""
    begin_write(session)
    try:
        ring = read_ring(session, workspace_id, ring_id)
    except NotFound:
        raise field_error("ring_id", f"ring {ring_id} is not a ring of this workspace") from None
    check_may_deploy(role, ring)
    if not components:
        raise field_error("components", "list at least one component to deploy")
    rows = []
    for i, item in enumerate(components):
        component_id = item.get("component_id") if isinstance(item, dict) else None
        if not isinstance(component_id, str):
            raise field_error(f"components.{i}.component_id", "component_id is required")
        try:
            component = read_owned(session, Component, component_id, "component", owner=workspace_id)
        except NotFound:
            message = f"component {component_id} is not in this workspace"
            raise field_error(f"components.{i}.component_id", message) from None
        declared = item.get("component_type") or component.component_type
        if declared != component.component_type:
            raise field_error(
                f"components.{i}.component_type",
                f"component {component.name} is a {component.component_type}, not a {declared}",
            )
        if kind_of(component.component_type) != kind:
            other = "workflow-deployments" if kind == "component" else "component-deployments"
            raise field_error(
                f"components.{i}.component_type", f"a {component.component_type} is deployed through {other}"
            )
        rows.append(_new_deployment(component, ring, created_by=created_by, notes=notes))
    session.add_all(rows)
    session.commit()
    return rows


def read_deployment(session: Session, workspace_id: str, deployment_id: str, kind: str | None = None) -> Deployment:
    what = KINDS.get(kind or "", "deployment")
    row = read_owned(session, Deployment, deployment_id, what, owner=workspace_id)
    if kind is not None and row.kind != kind:
        raise NotFound(f"{what} not found")
    return row


def read_deployments(
    session: Session,
    workspace_id: str,
    *,
    kind: str,
    ring_id: str | None = None,
    component_id: str | None = None,
    status: str | None = None,
) -> list[Deployment]:
    stmt = select(Deployment).where(Deployment.workspace_id == workspace_id, Deployment.kind == kind)
    if ring_id:
        stmt = stmt.where(Deployment.ring_id == parse_id(ring_id, "ring"))
    if component_id:
        stmt = stmt.where(Deployment.component_id == parse_id(component_id, "component"))
    if status:
        if status not in STATES:
            raise field_error("status", f"status must be one of {', '.join(STATES)}")
        stmt = stmt.where(Deployment.status == status)
    return list(session.scalars(stmt.order_by(Deployment.created_at, Deployment.id)))


def rollback_deployment(session: Session, workspace_id: str, deployment_id: str, *, role: Role) -> Deployment:
    """Ask for an active deployment to be rolled back; the deployer re-activates the previous one."""
    begin_write(session)
    row = read_deployment(session, workspace_id, deployment_id)
    check_may_deploy(role, session.get_one(Ring, row.ring_id))
    if not transition(session, row.id, "active", "rolling_back", worker_id=None, lease_until=None):
        session.rollback()
        raise Conflict(f"only an active deployment can be rolled back; this one is {row.status}")
    session.commit()
    session.refresh(row)
    return row


def promote_deployment(
    session: Session,
    workspace_id: str,
    deployment_id: str,
    *,
    target_ring_id: str,
    role: Role,
    created_by: str,
) -> Deployment:
    """Deploy the same component version to the next ring, from an active source only."""
    begin_write(session)
    source = read_deployment(session, workspace_id, deployment_id)
    try:
        target = read_ring(session, workspace_id, target_ring_id)
    except NotFound:
        raise field_error("target_ring_id", f"ring {target_ring_id} is not a ring of this workspace") from None
    check_may_deploy(role, target)
    if source.status != "active":
        raise Conflict(f"only an active deployment can be promoted; this one is {source.status}")
    here = session.get_one(Ring, source.ring_id)
    expected = next_ring(session, here)
    if expected is None:
        raise Conflict(f"{here.name!r} is the last ring; there is nothing to promote to")
    if expected.id != target.id:
        raise Conflict(
            f"promotion goes one ring at a time: from {here.name!r} the next ring is {expected.name!r},"
            f" not {target.name!r}",
            code="PROMOTION_OUT_OF_ORDER",
        )
    component = session.get_one(Component, source.component_id)
    row = _new_deployment(component, target, created_by=created_by, notes=source.notes, promoted_from_id=source.id)
    session.add(row)
    session.commit()
    return row


def transition(session: Session, deployment_id: str, from_state: str, to_state: str, **values: Any) -> bool:
    """Compare-and-set one state change inside the caller's transaction; True when it applied.

    ``worker_id`` in ``values`` is written; pass ``expect_worker`` to also require the
    current owner, so a deployer that lost its claim cannot move a row it no longer holds.
    """
    if to_state not in STATES:
        raise ValueError(to_state)
    expect_worker = values.pop("expect_worker", _ANY)
    now = values.pop("now", None) or utcnow()
    stmt = update(Deployment).where(Deployment.id == deployment_id, Deployment.status == from_state)
    if expect_worker is not _ANY:
        stmt = stmt.where(Deployment.worker_id == expect_worker)
    stmt = stmt.values(status=to_state, updated_at=now, **{f"{to_state}_at": now}, **values)
    result: CursorResult[Any] = session.execute(stmt.execution_options(synchronize_session=False))  # type: ignore[assignment]
    return result.rowcount == 1


_ANY = object()


def lease(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def timestamps(row: Deployment) -> dict[str, datetime]:
    """When the deployment last entered each state it has been in."""
    return {state: at for state in STATES if (at := getattr(row, f"{state}_at")) is not None}
