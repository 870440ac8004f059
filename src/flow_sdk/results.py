"""What client methods return: plain dicts that also read as attributes.

Every JSON object the platform answers becomes a ``Result``: a ``dict`` subclass, so
``ring["id"]``, ``json.dumps(ring)`` and ``ring == {...}`` work as before, and
``ring.id`` works too. A name that is also a dict method (``items``, ``keys``, ``get``,
``values``...) is the method, as on any dict: read such fields by key.

The classes below name the known fields of the main resources, for type checkers and
editors: ``ring: Ring = cast(Ring, client.rings.get(ring_id))``. They add no behaviour;
fields the platform adds later still read both ways.
"""

from __future__ import annotations

from typing import Any


class Result(dict[str, Any]):
    """A JSON object from the platform, readable as ``obj["field"]`` and as ``obj.field``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this result has no field {name!r} (fields: {', '.join(self)})") from None

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(k for k in self if k.isidentifier())})


class Org(Result):
    id: str
    name: str


class Workspace(Result):
    id: str
    org_id: str
    name: str


class Ring(Result):
    id: str
    workspace_id: str
    name: str
    order: int


class Component(Result):
    id: str
    workspace_id: str
    component_type: str
    name: str
    version: str
    description: str
    source: str | None
    entrypoint: str | None
    config: dict[str, Any]
    created_by: str
    created_at: str


class Deployment(Result):
    id: str
    workspace_id: str
    ring_id: str
    component_id: str
    component_type: str
    component_name: str
    component_version: str
    status: str
    error: str | None
    created_by: str
    created_at: str


class HostedService(Result):
    id: str
    org_id: str
    workspace_id: str
    slug: str
    name: str
    description: str
    execution_mode: str
    status: str
    latest_version: int | None
    invoke_url: str


class Endpoint(Result):
    id: str
    version_id: str
    method: str
    path: str
    name: str
    description: str
    code_block_id: str
    timeout_seconds: float
    auth_mode: str
    async_eligible: bool
    expose_as_agent_tool: bool
    tool_description: str
    max_attempts: int


class Job(Result):
    job_id: str
    service_id: str
    status: str
    lane: str
    status_code: int | None
    result: Any
    error: dict[str, Any] | None
    attempts: int
    max_attempts: int
    attempt_log: list[dict[str, Any]]


class CurrentUser(Result):
    subject: str
    org_id: str
    workspace_id: str | None
    role: str
    email: str | None
    kind: str
    auth_method: str
    expires_at: str | None


__all__ = [
    "Component",
    "CurrentUser",
    "Deployment",
    "Endpoint",
    "HostedService",
    "Job",
    "Org",
    "Result",
    "Ring",
    "Workspace",
]
