"""Token exchange and the current principal."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .common import Int64, Public, RequestModel


class TokenRequest(RequestModel):
    api_key: str | None = Field(
        default=None, max_length=512, pattern=r"^[\x21-\x7e]*$", description="An org API key; X-API-Key works too."
    )
    ttl_minutes: Int64 | None = Field(default=None, description="Default 60, clamped to 1440.")


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    expires_at: datetime
    org_id: str
    workspace_id: str | None
    role: str


class PrincipalPublic(Public):
    subject: str
    org_id: str
    workspace_id: str | None
    role: str
    auth_method: str
    expires_at: datetime | None
    email: str | None = Field(description="The key owner's email, when the key was created with one.")
    kind: str = Field(description="`org`, or `deploy` for an `fl_deploy_` key.")
