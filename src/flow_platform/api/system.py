"""Liveness and version: unauthenticated, cheap, and never touching tenant data."""

from __future__ import annotations

import platform as _py
from typing import Any

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
def version(platform: PlatformDep) -> dict[str, Any]:
    """Also which protections confine hosted-service workers and deploy probes here."""
    from ..sandbox.report import report

    return {"version": __version__, "api": "v1", "python": _py.python_version(), "sandbox": report(platform.settings)}
