"""Hosted-service tokens: mint, revoke, revoke all, and the revocations of a service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from .common import Int64, Label, Public, RequestModel, Text


class ServiceTokenCreate(RequestModel):
    claims: dict[str, Any] | None = Field(
        default=None, description="A JSON object of at most 4096 bytes; reserved names are refused."
    )
    ttl_minutes: Int64 | None = Field(default=None, description="Default 60, at most 10080 (7 days).")


class ServiceTokenCreated(Public):
    token: str = Field(description="fl_hsl_...; shown only in this answer, never stored.")
    token_type: str = "Bearer"
    jti: str
    service_id: str
    claims: dict[str, Any]
    issued_at: datetime
    expires_at: datetime
    ttl_minutes: int


class ServiceTokenRevoke(RequestModel):
    jti: Label
    expires_at: datetime | None = Field(
        default=None,
        description="The token's expires_at as mint answered it: the revocation is kept until then "
        "(plus a leeway). Absent: kept for the longest TTL a token can have.",
    )
    reason: Text | None = None


class ServiceTokenRevoked(Public):
    """The same answer whether or not the jti was ever minted or already revoked."""

    service_id: str
    jti: str
    expires_at: datetime
    reason: str
    revoked: bool = True


class ServiceTokenRevokeAll(RequestModel):
    reason: Text | None = None


class ServiceTokenCutoffPublic(BaseModel):
    service_id: str
    issued_before: datetime = Field(description="Tokens of the service issued before this are refused.")
    reason: str
    revoked_by: str
    revoked_at: datetime


class RevocationPublic(Public):
    kind: str = Field(description='"token" (one jti) or "all" (a revoke_all cutoff).')
    service_id: str
    jti: str | None
    issued_before: datetime | None
    reason: str
    revoked_by: str
    revoked_at: datetime
    expires_at: datetime = Field(description="Until when the revocation matters; pruned after that plus a leeway.")
    expired: bool
