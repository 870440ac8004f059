"""Encryption at rest for connector credentials.

Fernet (AES-128-CBC + HMAC-SHA256, authenticated) with a key derived by HKDF from
the platform's secret, under a label of its own so the key differs from the one
that signs tokens even though both come from the same setting.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_LABEL = b"flow-platform/connector-credentials/v1"


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted (the platform secret changed?)."""


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, credentials: dict[str, Any]) -> str:
    return _fernet(secret).encrypt(json.dumps(credentials).encode()).decode()


def unseal(secret: str, token: str) -> dict[str, Any]:
    try:
        data = _fernet(secret).decrypt(token.encode())
    except InvalidToken:
        raise CredentialsError("connector credentials cannot be decrypted") from None
    value = json.loads(data)
    if not isinstance(value, dict):
        raise CredentialsError("connector credentials are malformed")
    return value
