"""HTTP routes, one module per resource. Each feature adds its router to ``ROUTERS``.

Routers of workspace resources go in ``WORKSPACE_ROUTERS`` instead, with paths relative
to the workspace: the app serves each of them at both documented shapes (see
``api/workspace_paths.py``), one implementation behind both.
"""

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
]

WORKSPACE_ROUTERS: list[APIRouter] = [
    components.router,
    services.router,
    rings.router,
    deployments.component_router,
    deployments.workflow_router,
    connector_instances.router,
    service_tokens.router,
]
