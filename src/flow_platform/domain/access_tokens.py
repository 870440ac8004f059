"""Platform access tokens: an API key is exchanged for a short-lived JWT.

Claims: ``iss``, ``aud``, ``sub`` (the API key id), ``org_id``, ``workspace_id``,
``role``, ``typ`` = ``access``, ``jti``, ``iat``, ``exp``. Verification pins the
algorithm, requires every one of those registered claims and allows a small leeway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from ..settings import (
    DEFAULT_ACCESS_TOKEN_TTL_MINUTES,
    MAX_ACCESS_TOKEN_TTL_MINUTES,
    Settings,
)
from ..store.base import utcnow
from .errors import Unauthenticated, field_error
from .signing import ALGORITHM, keypair

TOKEN_TYPE = "access"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "jti", "sub"]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    ttl_minutes: int


def clamp_ttl(ttl_minutes: int | None) -> int:
    """Default when absent, 422 when not positive, quietly clamped to the documented maximum."""
    if ttl_minutes is None:
        return DEFAULT_ACCESS_TOKEN_TTL_MINUTES
    if ttl_minutes <= 0:
        raise field_error("ttl_minutes", "ttl_minutes must be greater than 0")
    return min(ttl_minutes, MAX_ACCESS_TOKEN_TTL_MINUTES)


def issue_access_token(
    settings: Settings,
    *,
    key_id: str,
    org_id: str,
    workspace_id: str | None,
    role: str,
    ttl_minutes: int | None = None,
    bound_workspace: bool = False,
    kind: str = "org",
) -> IssuedToken:
    """`bound_workspace`: the token acts in `workspace_id` only, whatever its key may do."""
    ttl = clamp_ttl(ttl_minutes)
    now = utcnow()
    expires = now + timedelta(minutes=ttl)
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": key_id,
        "org_id": org_id,
        "workspace_id": workspace_id,
        "role": role,
        "typ": TOKEN_TYPE,
        "jti": secrets.token_hex(16),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if bound_workspace:
        claims["bound_workspace"] = workspace_id
    if kind != "org":
        # Lets the gateway refuse a deploy key's token without a database read.
        claims["kind"] = kind
    keys = keypair(settings)
    token = jwt.encode(claims, keys.private, algorithm=ALGORITHM, headers={"kid": keys.kid})
    return IssuedToken(token=token, expires_at=expires.replace(microsecond=0), ttl_minutes=ttl)


def verify_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims, or Unauthenticated with a reason safe to show the caller."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keypair(settings).public,
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("access token has expired", code="TOKEN_EXPIRED") from None
    except jwt.PyJWTError:
        raise Unauthenticated("invalid access token") from None
    if claims.get("typ") != TOKEN_TYPE or not claims.get("org_id") or not claims.get("role"):
        raise Unauthenticated("invalid access token")
    return claims
