"""The platform's JWT signing keys, derived from the settings' master secret.

Ed25519 (JWT ``alg: EdDSA``) because verification costs tens of microseconds, which the
gateway pays on every call, and because the algorithm is pinned at verification: a
token that names any other algorithm (``none``, HS256 signed with our public key, RS256)
is refused before its signature is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..settings import Settings

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class KeyPair:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    kid: str

    def public_pem(self) -> bytes:
        return self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@cache
def _keypair(seed: bytes) -> KeyPair:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return KeyPair(private=private, public=public, kid=raw[:8].hex())


def keypair(settings: Settings, purpose: str = "jwt-signing") -> KeyPair:
    return _keypair(settings.derive_key(purpose))
