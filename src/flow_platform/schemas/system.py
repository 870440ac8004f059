"""Liveness and version answers."""

from __future__ import annotations

from pydantic import BaseModel


class HealthPublic(BaseModel):
    status: str
    database: str


class VersionInfo(BaseModel):
    version: str
    api: str
    python: str
