"""Organization API keys; the key itself appears only in the answer that creates it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .common import Label, Public, Ref, RequestModel, Word


class ApiKeyCreate(RequestModel):
    role: Word = Field(description="admin, builder or viewer; a deploy key's role bounds the rings it reaches.")
    name: Label = ""
    workspace_id: Ref | None = None
    kind: Word = Field(
        default="org",
        description="`org` (an `fl_` key) or `deploy` (an `fl_deploy_` key, bound to `workspace_id`, that may"
        " only create, promote and roll back that workspace's deployments).",
    )
    email: Label | None = Field(default=None, description="The key owner's email, shown by /auth/me.")


class ApiKeyPublic(Public):
    id: str
    org_id: str
    workspace_id: str | None
    name: str
    role: str
    kind: str
    email: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    api_key: str
