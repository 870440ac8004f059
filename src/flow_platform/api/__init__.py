"""HTTP routes, one module per resource. Each feature adds its router to ``ROUTERS``."""

from fastapi import APIRouter

from . import (
    api_keys,
    auth,
    components,
    connector_instances,
    deployments,
    orgs,
    rings,
    service_tokens,
    services,
    system,
)

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
    orgs.router,
    api_keys.router,
    components.router,
    services.router,
    rings.router,
    deployments.component_router,
    deployments.workflow_router,
    connector_instances.router,
    service_tokens.router,
]
