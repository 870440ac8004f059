"""Liveness and version: unauthenticated, cheap, and never touching tenant data."""

from __future__ import annotations

import platform as _py

from fastapi import APIRouter
from sqlalchemy import text

from .. import __version__
from ..schemas.system import HealthPublic, VersionInfo
from .deps import PlatformDep

router = APIRouter(tags=["system"])


@router.get("/health", response_model=HealthPublic)
def health(platform: PlatformDep) -> dict[str, str]:
    with platform.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": platform.engine.dialect.name}


@router.get("/version", response_model=VersionInfo)
def version() -> dict[str, str]:
    return {"version": __version__, "api": "v1", "python": _py.python_version()}
