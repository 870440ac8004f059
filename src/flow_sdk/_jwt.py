"""Read a JWT's claims without verifying it: only to see when a stored token expires."""

from __future__ import annotations

import base64
import json
from typing import Any


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWT, or None when the token is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def expires_at(token: str) -> float | None:
    claims = unverified_claims(token)
    if claims is None:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None
