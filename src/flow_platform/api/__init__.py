"""HTTP routes, one module per resource. Each feature adds its router to ``ROUTERS``."""

from fastapi import APIRouter

from . import api_keys, auth, orgs, service_tokens, system

ROUTERS: list[APIRouter] = [
    system.router,
    auth.router,
    orgs.router,
    api_keys.router,
    service_tokens.router,
]
