"""Hosted services: lifecycle, versions, endpoints, and the snapshot the gateway serves.

States: draft -> active (first publish) <-> suspended; any state -> archived (final).
Versions: version 1 is created as a draft with the service; a draft takes endpoints,
publishing freezes it, and `create_version` opens the next draft as a copy of the
latest version. Published versions keep serving until the service is archived.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..runtime.bundle import PARAM_SEGMENT
from ..runtime.schema import unsupported_keywords
from ..sandbox.policy import LIMIT_NAMES, MAXIMA, NETWORK_MODES
from ..store.base import utcnow
from ..store.tables import HostedService, Ring, ServiceEndpoint, ServiceVersion
from .auth_modes import AuthMode
from .components import read_component
from .errors import Conflict, NotFound, field_error
from .ids import INT32_MAX, ascii_number, parse_id
from .lookup import read_owned
from .persist import commit_or_conflict
from .skills import build_snapshot

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EXECUTION_MODES = ("invocation", "persistent")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
AUTH_MODES = tuple(mode.value for mode in AuthMode)
MAX_TIMEOUT_SECONDS = 300.0
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS = 3, 10
# A leading `v{N}` or `async` segment is how the gateway reads pins and async calls.
_RESERVED_FIRST_SEGMENT = re.compile(r"^/(v\d+|async)(/|$)")
_PATH = re.compile(r"^(/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$|^/$")


# -- services ----------------------------------------------------------------------


def create_service(
    session: Session,
    *,
    org_id: str,
    workspace_id: str,
    created_by: str,
    slug: str | None,
    name: str | None,
    execution_mode: str | None = "invocation",
    ring_id: str | None = None,
    description: str = "",
) -> HostedService:
    if not slug or not SLUG.match(slug):
        raise field_error("slug", "slug must be lowercase letters, digits and hyphens (at most 63)")
    if not name:
        raise field_error("name", "name is required")
    mode = execution_mode or "invocation"
    if mode not in EXECUTION_MODES:
        raise field_error("execution_mode", f"execution_mode must be one of {', '.join(EXECUTION_MODES)}")
    if mode == "invocation" and not ring_id:
        raise field_error("ring_id", "ring_id is required for invocation mode")
    if ring_id:
        try:
            ring = read_owned(session, Ring, ring_id, "ring", owner=workspace_id)
        except NotFound:
            raise field_error("ring_id", "ring_id is not a ring of this workspace") from None
        ring_id = ring.id
    row = HostedService(
        org_id=org_id,
        workspace_id=workspace_id,
        slug=slug,
        name=name,
        description=description,
        execution_mode=mode,
        ring_id=ring_id,
        status="draft",
        created_by=created_by,
    )
    session.add(row)
    commit_or_conflict(session, f"a service with slug {slug!r} already exists in this workspace", flush_only=True)
    session.add(ServiceVersion(service_id=row.id, number=1, status="draft"))
    session.commit()
    return row


def read_service(session: Session, workspace_id: str, service_id: str) -> HostedService:
    row = read_owned(session, HostedService, service_id, "service", owner=workspace_id)
    return row


def read_services(session: Session, workspace_id: str) -> list[HostedService]:
    stmt = select(HostedService).where(HostedService.workspace_id == workspace_id).order_by(HostedService.created_at)
    return list(session.scalars(stmt))


_TRANSITIONS = {
    "suspend": ({"active"}, "suspended"),
    "reactivate": ({"suspended"}, "active"),
    "archive": ({"draft", "active", "suspended"}, "archived"),
}


def change_service_status(session: Session, service: HostedService, action: str) -> HostedService:
    allowed, target = _TRANSITIONS[action]
    if service.status not in allowed:
        raise Conflict(f"cannot {action} a service that is {service.status}", code="INVALID_STATE")
    service.status = target
    service.updated_at = utcnow()
    session.commit()
    return service


# -- versions ----------------------------------------------------------------------


def read_versions(session: Session, service: HostedService) -> list[ServiceVersion]:
    stmt = select(ServiceVersion).where(ServiceVersion.service_id == service.id).order_by(ServiceVersion.number)
    return list(session.scalars(stmt))


def read_version(session: Session, service: HostedService, version_id: str) -> ServiceVersion:
    """A version by id, or by number (`2`) for convenience on the command line."""
    row: ServiceVersion | None = None
    if version_id.isascii() and version_id.isdigit():
        number = ascii_number(version_id, INT32_MAX)  # ServiceVersion.number is an SQL INTEGER
        if number is not None:
            row = session.scalar(
                select(ServiceVersion).where(ServiceVersion.service_id == service.id, ServiceVersion.number == number)
            )
    else:
        try:
            row = session.get(ServiceVersion, parse_id(version_id, "version"))
        except NotFound:
            row = None
    if row is None or row.service_id != service.id:
        raise NotFound("version not found", code="VERSION_NOT_FOUND")
    return row


def create_version(session: Session, service: HostedService) -> ServiceVersion:
    """A new draft holding a copy of the latest version's endpoints."""
    _not_archived(service)
    versions = read_versions(session, service)
    if any(v.status == "draft" for v in versions):
        raise Conflict("the service already has a draft version; publish it first", code="DRAFT_EXISTS")
    latest = versions[-1]
    draft = ServiceVersion(service_id=service.id, number=latest.number + 1, status="draft")
    session.add(draft)
    commit_or_conflict(session, "another version was created at the same time; try again", flush_only=True)
    for ep in read_endpoints(session, latest):
        copy = {
            c.key: getattr(ep, c.key) for c in ServiceEndpoint.__table__.columns if c.key not in ("id", "created_at")
        }
        session.add(ServiceEndpoint(**{**copy, "version_id": draft.id}))
    service.updated_at = utcnow()
    session.commit()
    return draft


def publish_version(session: Session, service: HostedService, version: ServiceVersion) -> ServiceVersion:
    _not_archived(service)
    if version.status != "draft":
        raise Conflict("this version is already published", code="VERSION_PUBLISHED")
    if not read_endpoints(session, version):
        raise Conflict("a version needs at least one endpoint before it is published", code="NO_ENDPOINTS")
    version.status = "published"
    version.published_at = utcnow()
    version.skill_snapshot = build_snapshot(service, version, read_endpoints(session, version))
    if service.status == "draft":
        service.status = "active"
    service.updated_at = utcnow()
    session.commit()
    return version


def read_skills(session: Session, service: HostedService, version: str | None = None) -> dict[str, Any]:
    """The skill snapshot of a published version (default: the latest)."""
    if version is not None:
        row = read_version(session, service, version)
    else:
        published = [v for v in read_versions(session, service) if v.status == "published"]
        if not published:
            raise NotFound("the service has no published version yet", code="VERSION_NOT_FOUND")
        row = published[-1]
    if row.status != "published" or row.skill_snapshot is None:
        raise NotFound(f"version {row.number} is not published: skills are built at publish", code="VERSION_NOT_FOUND")
    return row.skill_snapshot


def _not_archived(service: HostedService) -> None:
    if service.status == "archived":
        raise Conflict("the service is archived", code="INVALID_STATE")


def _draft(version: ServiceVersion) -> None:
    if version.status != "draft":
        raise Conflict("published versions are frozen; create a new version", code="VERSION_PUBLISHED")


# -- endpoints ---------------------------------------------------------------------


def read_endpoints(session: Session, version: ServiceVersion) -> list[ServiceEndpoint]:
    stmt = select(ServiceEndpoint).where(ServiceEndpoint.version_id == version.id).order_by(ServiceEndpoint.created_at)
    return list(session.scalars(stmt))


def create_endpoint(
    session: Session, service: HostedService, version: ServiceVersion, data: dict[str, Any]
) -> ServiceEndpoint:
    _not_archived(service)
    _draft(version)
    path = data.get("path")
    if not isinstance(path, str) or not _PATH.match(path):
        raise field_error("path", "path must start with '/' and hold plain segments or {params}")
    names = PARAM_SEGMENT.findall(path)
    if len(names) != len(set(names)):
        raise field_error("path", "each {param} name may appear once in a path")
    if _RESERVED_FIRST_SEGMENT.match(path):
        raise field_error("path", "a path may not start with /v{N} or /async: the gateway reads those")
    method = str(data.get("method") or "").upper()
    if method not in METHODS:
        raise field_error("method", f"method must be one of {', '.join(METHODS)}")
    auth_mode = data.get("auth_mode") or "platform"
    if auth_mode not in AUTH_MODES:
        raise field_error("auth_mode", f"auth_mode must be one of {', '.join(AUTH_MODES)}")
    timeout = data.get("timeout_seconds")
    timeout = DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        raise field_error("timeout_seconds", f"timeout_seconds must be > 0 and <= {MAX_TIMEOUT_SECONDS:g}")
    attempts = data.get("max_attempts")
    attempts = DEFAULT_MAX_ATTEMPTS if attempts is None else attempts
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise field_error("max_attempts", f"max_attempts must be between 1 and {MAX_ATTEMPTS}")
    for key in ("request_schema", "response_schema"):
        schema = data.get(key)
        if schema is not None and not isinstance(schema, dict | bool):
            raise field_error(key, f"{key} must be a JSON Schema object")
        unsupported = unsupported_keywords(schema) if isinstance(schema, dict) else []
        if unsupported:
            raise field_error(key, f"{key} uses keywords this platform does not enforce: {', '.join(unsupported)}")
    limits = _endpoint_limits(data.get("limits"))
    network = data.get("network") or "none"
    if network not in NETWORK_MODES:
        raise field_error("network", f"network must be one of {', '.join(NETWORK_MODES)}")
    block_id = data.get("code_block_id")
    if not isinstance(block_id, str) or not block_id:
        raise field_error("code_block_id", "code_block_id is required")
    source, entrypoint = read_code_block(session, service.workspace_id, block_id)
    row = ServiceEndpoint(
        version_id=version.id,
        method=method,
        path=path,
        name=str(data.get("name") or ""),
        description=str(data.get("description") or ""),
        code_block_id=block_id,
        source=source,
        entrypoint=entrypoint,
        request_schema=data.get("request_schema"),
        response_schema=data.get("response_schema"),
        timeout_seconds=float(timeout),
        auth_mode=auth_mode,
        async_eligible=bool(data.get("async_eligible", False)),
        expose_as_agent_tool=bool(data.get("expose_as_agent_tool", False)),
        tool_description=str(data.get("tool_description") or ""),
        max_attempts=attempts,
        limits=limits,
        network=network,
    )
    _check_overlap(session, version, method, path)
    session.add(row)
    commit_or_conflict(session, f"{method} {path} already exists in this version")
    return row


def _endpoint_limits(raw: Any) -> dict[str, int] | None:
    """The sandbox limits an endpoint sets: known names, each an integer from 1 to its maximum."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise field_error("limits", f"limits must be an object with any of {', '.join(LIMIT_NAMES)}")
    chosen: dict[str, int] = {}
    for name, value in raw.items():
        if name not in LIMIT_NAMES:
            raise field_error(f"limits.{name}", f"unknown limit {name!r}; known: {', '.join(LIMIT_NAMES)}")
        if value is None:
            continue
        maximum = getattr(MAXIMA, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
            raise field_error(f"limits.{name}", f"limits.{name} must be an integer from 1 to {maximum}")
        chosen[name] = value
    return chosen or None


def _check_overlap(session: Session, version: ServiceVersion, method: str, path: str) -> None:
    shape = PARAM_SEGMENT.sub("{}", path)
    for ep in read_endpoints(session, version):
        if ep.method == method and PARAM_SEGMENT.sub("{}", ep.path) == shape:
            raise Conflict(f"{method} {path} overlaps {ep.method} {ep.path}")


def read_code_block(session: Session, workspace_id: str, block_id: str) -> tuple[str, str]:
    """The source and entrypoint of a codeblock component of the workspace."""
    try:
        block = read_component(session, workspace_id, block_id)
    except NotFound:
        raise field_error("code_block_id", "code_block_id is not a component of this workspace") from None
    if block.component_type != "codeblock" or not block.source:
        raise field_error("code_block_id", "code_block_id must name a codeblock component with source")
    return block.source, block.entrypoint or "main"


def delete_endpoint(session: Session, service: HostedService, version: ServiceVersion, endpoint_id: str) -> None:
    _draft(version)
    row = session.get(ServiceEndpoint, parse_id(endpoint_id, "endpoint"))
    if row is None or row.version_id != version.id:
        raise NotFound("endpoint not found")
    session.delete(row)
    session.commit()
