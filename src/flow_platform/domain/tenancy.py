"""Organizations and workspaces, and the bootstrap that creates the first of each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.tables import Org, Ring, Workspace
from .api_keys import MintedKey, create_api_key
from .errors import NotFound, field_error
from .ids import parse_id
from .persist import commit_or_conflict
from .roles import Role

# Built-in rings in promotion order; gaps leave room for rings created in between.
BUILT_IN_RINGS = (("dev", 10), ("staging", 20), ("production", 30))


def read_org(session: Session, org_id: str) -> Org:
    org = session.get(Org, parse_id(org_id, "organization"))
    if org is None:
        raise NotFound("organization not found")
    return org


def read_workspaces(session: Session, org_id: str) -> list[Workspace]:
    stmt = select(Workspace).where(Workspace.org_id == org_id).order_by(Workspace.created_at, Workspace.name)
    return list(session.scalars(stmt))


def read_workspace(session: Session, org_id: str, workspace_id: str) -> Workspace:
    ws = session.get(Workspace, parse_id(workspace_id, "workspace"))
    if ws is None or ws.org_id != org_id:
        raise NotFound("workspace not found")
    return ws


def create_workspace(session: Session, org_id: str, name: str) -> Workspace:
    name = name.strip()
    if not name:
        raise field_error("name", "name must not be empty")
    ws = Workspace(org_id=org_id, name=name)
    session.add(ws)
    commit_or_conflict(session, f"a workspace named {name!r} already exists", flush_only=True)
    for ring_name, position in BUILT_IN_RINGS:
        session.add(Ring(workspace_id=ws.id, name=ring_name, position=position, built_in=True))
    session.commit()
    return ws


@dataclass(frozen=True)
class Bootstrapped:
    org: Org
    workspace: Workspace
    key: MintedKey


def bootstrap(
    session: Session, settings: Settings, *, org_name: str, workspace_name: str, email: str | None = None
) -> Bootstrapped:
    """An org, its first workspace (with the built-in rings) and an admin key for it."""
    if not org_name.strip():
        raise field_error("org", "organization name must not be empty")
    org = Org(name=org_name.strip())
    session.add(org)
    session.flush()
    ws = create_workspace(session, org.id, workspace_name)
    key = create_api_key(session, settings, org_id=org.id, role=Role.ADMIN, name="bootstrap admin", email=email)
    return Bootstrapped(org=org, workspace=ws, key=key)
