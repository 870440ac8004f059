"""Organizations and workspaces."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from .common import Public


class OrgPublic(Public):
    id: str
    name: str
    created_at: datetime


class WorkspaceCreate(BaseModel):
    name: str


class WorkspacePublic(Public):
    id: str
    org_id: str
    name: str
    created_at: datetime
