"""Encryption at rest for connector credentials.

Fernet (AES-128-CBC + HMAC-SHA256, authenticated) with a 32-byte key that the
caller derives from the platform secret for this purpose alone
(``Settings.derive_key("connector-credentials")``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted (the platform secret changed?)."""


def _fernet(key: bytes) -> Fernet:
    if len(key) != 32:
        raise ValueError("the credentials key must be 32 bytes")
    return Fernet(base64.urlsafe_b64encode(key))


def seal(key: bytes, credentials: dict[str, Any]) -> str:
    return _fernet(key).encrypt(json.dumps(credentials).encode()).decode()


def unseal(key: bytes, token: str) -> dict[str, Any]:
    try:
        data = _fernet(key).decrypt(token.encode())
    except InvalidToken:
        raise CredentialsError("connector credentials cannot be decrypted") from None
    value = json.loads(data)
    if not isinstance(value, dict):
        raise CredentialsError("connector credentials are malformed")
    return value
