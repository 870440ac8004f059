"""Liveness and version answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class HealthPublic(BaseModel):
    status: str
    database: str


class VersionInfo(BaseModel):
    version: str
    api: str
    python: str
    # Which protections confine hosted-service workers and deploy probes on this kernel.
    sandbox: dict[str, Any]
