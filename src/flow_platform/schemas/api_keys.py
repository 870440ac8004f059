"""Organization API keys; the key itself appears only in the answer that creates it."""

from __future__ import annotations

from datetime import datetime

from .common import Label, Public, Ref, RequestModel, Word


class ApiKeyCreate(RequestModel):
    role: Word
    name: Label = ""
    workspace_id: Ref | None = None


class ApiKeyPublic(Public):
    id: str
    org_id: str
    workspace_id: str | None
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    api_key: str
