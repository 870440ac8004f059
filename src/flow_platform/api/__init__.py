"""HTTP routes, one module per resource. Each feature adds its router to ``ROUTERS``."""

from fastapi import APIRouter

from . import api_keys, auth, components, orgs, service_tokens, services, system

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
    orgs.router,
    api_keys.router,
    components.router,
    services.router,
    service_tokens.router,
]
