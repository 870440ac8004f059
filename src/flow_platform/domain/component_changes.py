"""Changing the catalog without breaking what uses it.

A component version is immutable: an update changes only its ``description``, and new
code or configuration is a new version (``create_component_version``). A version that a
deployment, a hosted-service endpoint or a workflow uses cannot be deleted; the 409 names
the user, so the caller knows what to retire first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.tables import Component, Deployment, HostedService, ServiceEndpoint, ServiceVersion
from .components import create_component, read_component, semver_key
from .errors import Conflict

MUTABLE_FIELDS = frozenset({"description"})


def update_component(session: Session, workspace_id: str, component_id: str, changes: dict[str, Any]) -> Component:
    row = read_component(session, workspace_id, component_id)
    frozen = sorted(k for k, v in changes.items() if k not in MUTABLE_FIELDS and v != getattr(row, k, None))
    if frozen:
        raise Conflict(
            f"{row.component_type} {row.name} {row.version} is immutable ({', '.join(frozen)}):"
            " create a new version with POST /components/{id}/versions",
            code="COMPONENT_IMMUTABLE",
        )
    if "description" in changes and changes["description"] is not None:
        row.description = str(changes["description"])
        session.commit()
    return row


def read_component_versions(session: Session, workspace_id: str, component_id: str) -> list[Component]:
    row = read_component(session, workspace_id, component_id)
    rows = session.scalars(
        select(Component).where(
            Component.workspace_id == workspace_id,
            Component.component_type == row.component_type,
            Component.name == row.name,
        )
    )
    return sorted(rows, key=lambda r: semver_key(r.version))


def create_component_version(
    session: Session, workspace_id: str, component_id: str, *, created_by: str, data: dict[str, Any]
) -> Component:
    """The next version of a component: what ``data`` does not give is copied from ``component_id``."""
    base = read_component(session, workspace_id, component_id)
    config = {k: v for k, v in base.config.items() if k != "steps"}
    steps = data.get("steps")
    if steps is None and base.component_type == "workflow":
        steps = [s["component_id"] for s in base.config.get("steps", [])]
    return create_component(
        session,
        workspace_id=workspace_id,
        created_by=created_by,
        component_type=base.component_type,
        name=base.name,
        version=data.get("version"),
        description=data["description"] if data.get("description") is not None else base.description,
        source=data["source"] if data.get("source") is not None else base.source,
        entrypoint=data["entrypoint"] if data.get("entrypoint") is not None else base.entrypoint,
        steps=steps,
        config={**config, **(data.get("config") or {})},
    )


def delete_component(session: Session, workspace_id: str, component_id: str) -> None:
    row = read_component(session, workspace_id, component_id)
    user = _first_user(session, row)
    if user is not None:
        raise Conflict(
            f"{row.component_type} {row.name} {row.version} is in use by {user}; retire that first",
            code="COMPONENT_IN_USE",
        )
    session.delete(row)
    session.commit()


def _first_user(session: Session, row: Component) -> str | None:
    deployment = session.scalar(
        select(Deployment).where(Deployment.component_id == row.id).order_by(Deployment.created_at.desc()).limit(1)
    )
    if deployment is not None:
        return f"deployment {deployment.id} ({deployment.status})"
    endpoint = session.execute(
        select(ServiceEndpoint.method, ServiceEndpoint.path, ServiceVersion.number, HostedService.slug)
        .join(ServiceVersion, ServiceVersion.id == ServiceEndpoint.version_id)
        .join(HostedService, HostedService.id == ServiceVersion.service_id)
        .where(ServiceEndpoint.code_block_id == row.id)
        .limit(1)
    ).first()
    if endpoint is not None:
        method, path, number, slug = endpoint
        return f"endpoint {method} {path} of hosted service {slug} (version {number})"
    workflows = session.scalars(
        select(Component).where(Component.workspace_id == row.workspace_id, Component.component_type == "workflow")
    )
    for workflow in workflows:
        if any(step.get("component_id") == row.id for step in workflow.config.get("steps", [])):
            return f"workflow {workflow.name} {workflow.version}"
    return None
