"""The component catalog: validated on the way in, immutable once stored."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.tables import Component
from .errors import Unprocessable, field_error
from .lookup import read_owned
from .persist import commit_or_conflict

COMPONENT_TYPES = frozenset(
    {
        "codeblock",
        "workflow",
        "agent",
        "tool",
        "model",
        "prompt",
        "schema",
        "transform",
        "validation",
        "state",
        "observability",
    }
)
# semver.org 2.0.0, without the leading "v" some tools allow.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def semver_key(version: str) -> tuple[Any, ...]:
    """Sort key with semver precedence: a pre-release sorts before its release."""
    m = SEMVER.match(version)
    if m is None:
        return (0, 0, 0, 0, ())
    major, minor, patch, pre = int(m[1]), int(m[2]), int(m[3]), m[4]
    if pre is None:
        return (major, minor, patch, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, parts)


def _check_source(source: str) -> None:
    try:
        compile(source, "<codeblock>", "exec")
    except SyntaxError as exc:
        message = f"source has a syntax error on line {exc.lineno}: {exc.msg}"
        raise Unprocessable(message, details=[{"field": "source", "message": message, "line": exc.lineno}]) from None


def _resolve_steps(session: Session, workspace_id: str, steps: list[Any]) -> list[dict[str, str]]:
    if not steps:
        raise field_error("steps", "a workflow needs at least one step")
    resolved = []
    for i, step in enumerate(steps):
        if isinstance(step, str):
            row = session.get(Component, step)
            label = step
        elif isinstance(step, dict) and step.get("name") and step.get("version"):
            row = session.scalar(
                select(Component).where(
                    Component.workspace_id == workspace_id,
                    Component.component_type == "codeblock",
                    Component.name == step["name"],
                    Component.version == step["version"],
                )
            )
            label = f"{step['name']}@{step['version']}"
        else:
            raise field_error(f"steps.{i}", "a step is a codeblock id or {name, version}")
        if row is None or row.workspace_id != workspace_id or row.component_type != "codeblock":
            raise field_error(f"steps.{i}", f"step {label} is not a codeblock in this workspace")
        resolved.append({"component_id": row.id, "name": row.name, "version": row.version})
    return resolved


def create_component(
    session: Session,
    *,
    workspace_id: str,
    created_by: str,
    component_type: str,
    name: str | None,
    version: str | None,
    description: str = "",
    source: str | None = None,
    entrypoint: str | None = None,
    steps: list[Any] | None = None,
    config: dict[str, Any] | None = None,
) -> Component:
    if component_type not in COMPONENT_TYPES:
        raise field_error("component_type", f"unknown component type {component_type!r}")
    if not name or not NAME.match(name):
        raise field_error("name", "name is required: letters, digits, '.', '_' or '-', at most 200")
    if not version or not SEMVER.match(version):
        raise field_error("version", f"version must be semantic (e.g. 1.0.0), got {version!r}")
    config = dict(config or {})
    if component_type == "codeblock":
        entrypoint = entrypoint or "main"
        if not entrypoint.isidentifier():
            raise field_error("entrypoint", "entrypoint must be a Python identifier")
        if source is not None:
            _check_source(source)
    elif source is not None or entrypoint is not None:
        raise field_error("source", "only codeblock components carry source")
    if component_type == "workflow":
        config["steps"] = _resolve_steps(session, workspace_id, steps or [])
    elif steps is not None:
        raise field_error("steps", "only workflow components have steps")
    row = Component(
        workspace_id=workspace_id,
        component_type=component_type,
        name=name,
        version=version,
        description=description,
        source=source,
        entrypoint=entrypoint,
        config=config,
        created_by=created_by,
    )
    session.add(row)
    commit_or_conflict(session, f"{component_type} {name} {version} already exists; components are immutable")
    return row


def read_component(session: Session, workspace_id: str, component_id: str) -> Component:
    row = read_owned(session, Component, component_id, "component", owner=workspace_id)
    return row


def read_components(
    session: Session, workspace_id: str, *, component_type: str | None = None, name: str | None = None
) -> list[Component]:
    stmt = select(Component).where(Component.workspace_id == workspace_id)
    if component_type:
        stmt = stmt.where(Component.component_type == component_type)
    if name:
        stmt = stmt.where(Component.name == name)
    rows = list(session.scalars(stmt.order_by(Component.created_at)))
    return sorted(rows, key=lambda r: (r.component_type, r.name, semver_key(r.version)))
