"""Organization API keys (``fl_...``) and deploy keys (``fl_deploy_...``).

A key is its prefix + a 12-character lookup id + a 40-character secret + a 6-character
checksum, all base62. The checksum lets us reject a mistyped key without a database
look-up; the lookup id finds the row; only an HMAC of the whole key is stored, keyed
with a secret derived from the platform settings, so a copy of the database alone
cannot be used to check guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.base import utcnow
from ..store.tables import ApiKey, Workspace
from .errors import Forbidden, NotFound, Unauthenticated, field_error
from .roles import Role


class KeyKind(StrEnum):
    """What a key may reach: an org key acts with its role; a deploy key, for CI, reaches
    only its workspace's deployments (create, promote, roll back) and is refused elsewhere."""

    ORG = "org"
    DEPLOY = "deploy"

    @property
    def prefix(self) -> str:
        return _PREFIXES[self]


_PREFIXES = {KeyKind.ORG: "fl_", KeyKind.DEPLOY: "fl_deploy_"}
PREFIX = _PREFIXES[KeyKind.ORG]
_ALPHABET = string.ascii_letters + string.digits
_LOOKUP_LEN, _SECRET_LEN, _CHECK_LEN = 12, 40, 6
KEY_LEN = len(PREFIX) + _LOOKUP_LEN + _SECRET_LEN + _CHECK_LEN
_BODY_LEN = _LOOKUP_LEN + _SECRET_LEN + _CHECK_LEN
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    out = []
    for _ in range(_CHECK_LEN):
        value, digit = divmod(value, len(_ALPHABET))
        out.append(_ALPHABET[digit])
    return "".join(out)


def _hash(settings: Settings, key: str) -> str:
    return hmac.new(settings.derive_key("api-key-hash"), key.encode(), hashlib.sha256).hexdigest()


def kind_of(key: str) -> KeyKind:
    return KeyKind.DEPLOY if key.startswith(KeyKind.DEPLOY.prefix) else KeyKind.ORG


def parse(key: str) -> str | None:
    """The lookup id of a well-formed org or deploy key, or None."""
    prefix = kind_of(key).prefix
    if len(key) != len(prefix) + _BODY_LEN or not key.startswith(prefix) or key.startswith("fl_hsl_"):
        return None
    body = key[len(prefix) : -_CHECK_LEN]
    if not all(c in _ALPHABET for c in body) or _checksum(body) != key[-_CHECK_LEN:]:
        return None
    return body[:_LOOKUP_LEN]


@dataclass(frozen=True)
class MintedKey:
    row: ApiKey
    key: str  # shown once, never stored


def create_api_key(
    session: Session,
    settings: Settings,
    *,
    org_id: str,
    role: Role | str,
    workspace_id: str | None = None,
    name: str = "",
    kind: KeyKind | str = KeyKind.ORG,
    email: str | None = None,
) -> MintedKey:
    try:
        role = Role(role)
    except ValueError:
        raise field_error("role", f"role must be one of {', '.join(r.value for r in Role)}") from None
    try:
        kind = KeyKind(kind)
    except ValueError:
        raise field_error("kind", f"kind must be one of {', '.join(k.value for k in KeyKind)}") from None
    if kind is KeyKind.DEPLOY and workspace_id is None:
        raise field_error("workspace_id", "a deploy key is bound to one workspace: give workspace_id")
    if kind is KeyKind.DEPLOY and role is Role.VIEWER:
        raise field_error("role", "a deploy key deploys: its role must be builder or admin")
    if email is not None and "@" not in email:
        raise field_error("email", "email must look like name@example.com")
    if workspace_id is not None:
        ws = session.get(Workspace, workspace_id)
        if ws is None or ws.org_id != org_id:
            raise NotFound("workspace not found")
    body = _random(_LOOKUP_LEN) + _random(_SECRET_LEN)
    key = kind.prefix + body + _checksum(body)
    row = ApiKey(
        org_id=org_id,
        workspace_id=workspace_id,
        name=name,
        role=role.value,
        kind=kind.value,
        email=email,
        lookup_id=body[:_LOOKUP_LEN],
        key_hash=_hash(settings, key),
    )
    session.add(row)
    session.commit()
    return MintedKey(row=row, key=key)


def authenticate_api_key(session: Session, settings: Settings, key: str) -> ApiKey:
    """The live key row for ``key``; any failure is the same 401, whatever the cause."""
    lookup = parse(key)
    row = None
    if lookup is not None:
        row = session.scalar(select(ApiKey).where(ApiKey.lookup_id == lookup))
    if row is None or not hmac.compare_digest(row.key_hash, _hash(settings, key)):
        raise Unauthenticated("invalid API key")
    if row.revoked_at is not None:
        raise Unauthenticated("API key has been revoked")
    now = utcnow()
    # At most one write a minute per key: a write per request would serialize SQLite.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        session.commit()
    return row


def check_can_mint(bound_to: str | None, workspace_id: str | None) -> None:
    """A caller whose key is bound to a workspace mints only keys bound to that workspace.

    Otherwise an admin of one workspace could mint an org-wide key and reach every other.
    """
    if bound_to is not None and workspace_id != bound_to:
        raise Forbidden(
            "your API key is bound to one workspace: the keys it creates must be bound to the same"
            f" workspace (workspace_id {bound_to})"
        )


def read_api_keys(session: Session, org_id: str, *, bound_to: str | None = None) -> list[ApiKey]:
    """The org's keys; for a caller bound to a workspace (``bound_to``), only that workspace's."""
    query = select(ApiKey).where(ApiKey.org_id == org_id)
    if bound_to is not None:
        query = query.where(ApiKey.workspace_id == bound_to)
    return list(session.scalars(query.order_by(ApiKey.created_at)))


def revoke_api_key(session: Session, key_id: str, *, org_id: str | None = None, bound_to: str | None = None) -> ApiKey:
    """Revoke a key; a caller bound to a workspace (``bound_to``) sees only that workspace's keys."""
    row = session.get(ApiKey, key_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound("API key not found")
    if bound_to is not None and row.workspace_id != bound_to:
        raise NotFound("API key not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return row
