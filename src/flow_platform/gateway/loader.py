"""Builds the gateway's `ServiceRoute` for one service from the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import NotFound
from ..domain.ids import parse_id
from ..runtime.bundle import Bundle, EndpointSpec
from ..store.tables import HostedService, ServiceEndpoint, ServiceVersion
from .routes import ServiceRoute, VersionRoute

EnvFactory = Callable[[HostedService], dict[str, str]]


def load_service_route(session: Session, service_id: str, env_for: EnvFactory) -> ServiceRoute | None:
    """The service with every published version, or None when there is no such service."""
    try:
        service = session.get(HostedService, parse_id(service_id, "service"))
    except NotFound:
        return None  # malformed ids are unknown ids
    if service is None:
        return None
    versions = session.scalars(
        select(ServiceVersion).where(ServiceVersion.service_id == service.id, ServiceVersion.status == "published")
    ).all()
    env = env_for(service) if versions else {}
    routes: dict[int, VersionRoute] = {}
    for version in versions:
        endpoints = session.scalars(
            select(ServiceEndpoint).where(ServiceEndpoint.version_id == version.id).order_by(ServiceEndpoint.created_at)
        ).all()
        specs = tuple(
            EndpointSpec(
                method=ep.method,
                path=ep.path,
                source=ep.source,
                entrypoint=ep.entrypoint,
                timeout_seconds=ep.timeout_seconds,
                request_schema=ep.request_schema,
                response_schema=ep.response_schema,
                auth_mode=ep.auth_mode,
                async_eligible=ep.async_eligible,
                name=ep.name,
                max_attempts=ep.max_attempts,
                limits=ep.limits,
                network=ep.network,
            )
            for ep in endpoints
        )
        bundle = Bundle(
            service_id=service.id,
            version=version.number,
            endpoints=specs,
            org_id=service.org_id,
            workspace_id=service.workspace_id,
            ring_id=service.ring_id or "",
            env=env,
        )
        routes[version.number] = VersionRoute.of(bundle)
    return ServiceRoute(service.id, service.org_id, service.workspace_id, service.status, routes)
