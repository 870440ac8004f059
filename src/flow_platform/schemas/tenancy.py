"""Organizations and workspaces."""

from __future__ import annotations

from datetime import datetime

from .common import Name, Public, RequestModel


class OrgPublic(Public):
    id: str
    name: str
    created_at: datetime


class WorkspaceCreate(RequestModel):
    name: Name


class WorkspacePublic(Public):
    id: str
    org_id: str
    name: str
    created_at: datetime
