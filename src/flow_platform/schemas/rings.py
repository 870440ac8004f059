"""Deployment rings."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import Public


class RingCreate(BaseModel):
    name: str
    position: int | None = Field(default=None, description="Promotion order; default: after the last ring")
    description: str = ""


class RingPublic(Public):
    id: str
    workspace_id: str
    name: str
    position: int
    description: str
    built_in: bool
    created_at: datetime
