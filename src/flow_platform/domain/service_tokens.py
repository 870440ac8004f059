"""Hosted-service tokens (``fl_hsl_...``): mint, revoke one, revoke all, list revocations.

A service token is ``fl_hsl_`` + a JWT signed with an Ed25519 key derived for this
purpose alone (never the access-token key), so neither kind of token can pass for the
other. Its claims::

    iss  the platform           aud  "flow:hosted-service:<service_id>"
    sub  the service id         typ  "service"  (access tokens say "access")
    jti  128 random bits + exp  iat, exp  seconds since the epoch
    org_id                      ...and the caller's own claims, side by side

Rules (documented in docs/service-tokens.md):

- ``ttl_minutes`` defaults to 60 and may be at most 10080 (7 days); <= 0 or more is 422.
- ``claims`` is a JSON object of at most 4096 bytes (compact UTF-8 JSON) and may not
  set a name the platform sets itself (``RESERVED_CLAIMS``); both are 422.
- Minted tokens are not stored. ``revoke`` stores the jti until the token expires plus
  ``PRUNE_LEEWAY``: the later of the ``expires_at`` passed and the expiry the jti
  carries (its last 8 hex digits), so a wrong or missing ``expires_at`` cannot end a
  revocation while its token still lives. It is idempotent and answers the same whether or not the jti was
  ever minted. ``revoke_all`` stores a per-service cutoff: tokens issued before it are
  refused, tokens minted after it work.
- Every revocation write bumps the single-row revocation counter in the same
  transaction; verifiers (``service_token_verifier``) read only that counter per call.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.base import utcnow
from ..store.tables import RevocationCounter, ServiceTokenCutoff, ServiceTokenRevocation
from .errors import NotFound, field_error
from .services import read_service
from .signing import ALGORITHM, keypair

PREFIX = "fl_hsl_"
SIGNING_PURPOSE = "service-token-signing"
TOKEN_TYPE = "service"
DEFAULT_TTL_MINUTES = 60
# A week: long enough for a partner integration's nightly job, short enough that the
# revocation table (rows live as long as the tokens they refuse) stays small.
MAX_TTL_MINUTES = 7 * 24 * 60
MAX_CLAIMS_BYTES = 4096
# The spec's own example mints with claims {"tenant_id": ..., "role": "reader"}, and the
# spec is the contract, so "role" is a caller claim here, not a reserved one: in a token
# whose typ and audience are a service's it cannot be mistaken for a platform role.
RESERVED_CLAIMS = frozenset({"sub", "aud", "iss", "exp", "iat", "nbf", "jti", "typ", "org_id"})
# Revocation rows outlive their token by this much: more than any verifier's JWT
# leeway, so a row is never pruned while its token could still be accepted.
PRUNE_LEEWAY = timedelta(minutes=10)
MAX_REASON_LENGTH = 1000
_JTI = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MINTED_JTI = re.compile(r"^[0-9a-f]{32}([0-9a-f]{8})$")


def new_jti(exp: int) -> str:
    """128 random bits, then the token's expiry in hex (see ``expiry_in_jti``)."""
    return secrets.token_hex(16) + format(exp, "08x")


def expiry_in_jti(jti: str) -> datetime | None:
    match = _MINTED_JTI.match(jti)
    return datetime.fromtimestamp(int(match.group(1), 16), UTC) if match else None


def audience_for(service_id: str) -> str:
    return f"flow:hosted-service:{service_id}"


def check_service(session: Session, *, org_id: str, workspace_id: str, service_id: str) -> str:
    """The id of a hosted service of this workspace (archived ones too, so their tokens
    can still be revoked), or the same 404 an unknown or malformed id gets."""
    service = read_service(session, workspace_id, service_id)
    if service.org_id != org_id:
        raise NotFound("service not found")
    return service.id


def db_now(session: Session) -> datetime:
    """The database's clock on PostgreSQL, so that workers on several hosts agree on
    cutoffs; the local clock for SQLite, which is always on this host."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        value: datetime = session.scalar(text("SELECT clock_timestamp()"))
        return value.astimezone(UTC)
    return utcnow()


# -- mint -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MintedServiceToken:
    token: str  # shown once, never stored
    jti: str
    service_id: str
    claims: dict[str, Any]
    issued_at: datetime
    expires_at: datetime
    ttl_minutes: int


def check_ttl(ttl_minutes: int | None) -> int:
    if ttl_minutes is None:
        return DEFAULT_TTL_MINUTES
    if ttl_minutes <= 0 or ttl_minutes > MAX_TTL_MINUTES:
        raise field_error("ttl_minutes", f"ttl_minutes must be between 1 and {MAX_TTL_MINUTES}")
    return ttl_minutes


def check_claims(claims: Any) -> dict[str, Any]:
    if claims is None:
        return {}
    if not isinstance(claims, dict):
        raise field_error("claims", "claims must be a JSON object")
    reserved = sorted(RESERVED_CLAIMS.intersection(claims))
    if reserved:
        raise field_error("claims", f"claims may not set reserved names: {', '.join(reserved)}")
    try:
        size = len(json.dumps(claims, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    except ValueError:
        raise field_error("claims", "claims must be plain JSON") from None
    if size > MAX_CLAIMS_BYTES:
        raise field_error("claims", f"claims take {size} bytes as JSON; at most {MAX_CLAIMS_BYTES} are allowed")
    return dict(claims)


def mint_service_token(
    session: Session,
    settings: Settings,
    *,
    org_id: str,
    workspace_id: str,
    service_id: str,
    claims: Any = None,
    ttl_minutes: int | None = None,
    now: datetime | None = None,
) -> MintedServiceToken:
    service_id = check_service(session, org_id=org_id, workspace_id=workspace_id, service_id=service_id)
    ttl = check_ttl(ttl_minutes)
    user_claims = check_claims(claims)
    now = now or db_now(session)
    iat = math.floor(now.timestamp())
    cutoff = session.get(ServiceTokenCutoff, service_id)
    if cutoff is not None:
        # A token minted after revoke_all must work even within the cutoff's second:
        # issue it at the cutoff (cutoffs are whole seconds; refused is iat < cutoff).
        iat = max(iat, int(cutoff.cutoff_at.timestamp()))
    session.rollback()  # end the read transaction: minting writes nothing
    exp = iat + ttl * 60
    jti = new_jti(exp)
    payload = {
        **user_claims,
        "iss": settings.issuer,
        "sub": service_id,
        "aud": audience_for(service_id),
        "typ": TOKEN_TYPE,
        "jti": jti,
        "iat": iat,
        "exp": exp,
        "org_id": org_id,
    }
    keys = keypair(settings, SIGNING_PURPOSE)
    token = PREFIX + jwt.encode(payload, keys.private, algorithm=ALGORITHM, headers={"kid": keys.kid})
    return MintedServiceToken(
        token=token,
        jti=jti,
        service_id=service_id,
        claims=user_claims,
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(exp, UTC),
        ttl_minutes=ttl,
    )


# -- revoke -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Revoked:
    """The answer to ``revoke``: built from the request alone, so it tells nothing about
    whether the jti was ever minted or already revoked."""

    service_id: str
    jti: str
    expires_at: datetime
    reason: str


def _bump_counter(session: Session) -> int:
    # Taking the counter row first also serialises revocation writers (a row lock on
    # PostgreSQL, the write lock on SQLite), so the check-then-write below cannot race.
    stmt = (
        update(RevocationCounter)
        .where(RevocationCounter.id == 1)
        .values(version=RevocationCounter.version + 1)
        .returning(RevocationCounter.version)
    )
    return int(session.execute(stmt).scalar_one())


def _check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise field_error("reason", f"reason may be at most {MAX_REASON_LENGTH} characters")
    return reason


def revoke_service_token(
    session: Session,
    *,
    org_id: str,
    workspace_id: str,
    service_id: str,
    jti: str,
    expires_at: datetime | None,
    reason: str | None,
    revoked_by: str,
    now: datetime | None = None,
) -> Revoked:
    service_id = check_service(session, org_id=org_id, workspace_id=workspace_id, service_id=service_id)
    if not isinstance(jti, str) or not _JTI.match(jti):
        raise field_error("jti", "jti must be 1 to 64 letters, digits, '-' or '_'")
    reason = _check_reason(reason)
    now = now or db_now(session)
    longest = now + timedelta(minutes=MAX_TTL_MINUTES)  # no token can live past this
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at > longest + PRUNE_LEEWAY:
            raise field_error("expires_at", f"no service token lives past {MAX_TTL_MINUTES} minutes from now")
    # Keep the row while the token can live: the later of what the caller says and what
    # the jti says (capped: a made-up jti cannot pin a row for longer than any token), and
    # without either as long as any token can live. Built from the request alone.
    known = [e for e in (expires_at, expiry_in_jti(jti)) if e is not None]
    expires_at = min(max(known), longest) if known else longest
    version = _bump_counter(session)
    row = session.scalar(
        select(ServiceTokenRevocation).where(
            ServiceTokenRevocation.service_id == service_id, ServiceTokenRevocation.jti == jti
        )
    )
    if row is None:
        session.add(
            ServiceTokenRevocation(
                workspace_id=workspace_id,
                service_id=service_id,
                jti=jti,
                expires_at=expires_at,
                reason=reason,
                revoked_by=revoked_by,
                revoked_at=now,
                version=version,
            )
        )
    elif row.expires_at < expires_at:
        # Keep the longer of the two: never shorten a revocation. The row takes this
        # write's version, so verifiers that loaded it already reload the longer expiry.
        row.expires_at, row.version = expires_at, version
    _prune(session, now)
    try:
        session.commit()
    except IntegrityError:  # pragma: no cover - writers are serialised by the counter row
        session.rollback()
    return Revoked(service_id=service_id, jti=jti, expires_at=expires_at, reason=reason)


def revoke_all_service_tokens(
    session: Session,
    *,
    org_id: str,
    workspace_id: str,
    service_id: str,
    reason: str | None,
    revoked_by: str,
    now: datetime | None = None,
) -> ServiceTokenCutoff:
    service_id = check_service(session, org_id=org_id, workspace_id=workspace_id, service_id=service_id)
    reason = _check_reason(reason)
    version = _bump_counter(session)
    now = now or db_now(session)
    # Whole seconds, rounded up: every token minted so far has iat <= now < cutoff.
    cutoff_at = datetime.fromtimestamp(math.floor(now.timestamp()) + 1, UTC)
    row = session.get(ServiceTokenCutoff, service_id)
    if row is None:
        row = ServiceTokenCutoff(
            service_id=service_id,
            workspace_id=workspace_id,
            cutoff_at=cutoff_at,
            reason=reason,
            revoked_by=revoked_by,
            revoked_at=now,
            version=version,
        )
        session.add(row)
    else:
        # Mint may have issued tokens at the old cutoff's second: move strictly past it.
        row.cutoff_at = max(cutoff_at, row.cutoff_at + timedelta(seconds=1))
        row.reason, row.revoked_by, row.revoked_at, row.version = reason, revoked_by, now, version
    _prune(session, now)
    session.commit()
    return row


# -- read and prune ---------------------------------------------------------------------
@dataclass(frozen=True)
class RevocationEntry:
    kind: str  # "token" (one jti) or "all" (a revoke_all cutoff)
    service_id: str
    jti: str | None
    issued_before: datetime | None
    reason: str
    revoked_by: str
    revoked_at: datetime
    expires_at: datetime  # until when the revocation matters
    expired: bool


def read_revocations(
    session: Session,
    *,
    org_id: str,
    workspace_id: str,
    service_id: str,
    include_expired: bool = False,
    now: datetime | None = None,
) -> list[RevocationEntry]:
    """Revocations of a service, newest first; expired ones (still awaiting pruning) on request."""
    service_id = check_service(session, org_id=org_id, workspace_id=workspace_id, service_id=service_id)
    now = now or db_now(session)  # the clock mint and revoke use, so `expired` agrees with them
    entries: list[RevocationEntry] = []
    cutoff = session.get(ServiceTokenCutoff, service_id)
    if cutoff is not None and cutoff.workspace_id == workspace_id:
        # The cutoff matters until the last token it refuses would have expired anyway.
        until = cutoff.cutoff_at + timedelta(minutes=MAX_TTL_MINUTES)
        entries.append(
            RevocationEntry(
                "all",
                service_id,
                None,
                cutoff.cutoff_at,
                cutoff.reason,
                cutoff.revoked_by,
                cutoff.revoked_at,
                until,
                until <= now,
            )
        )
    rows = session.scalars(
        select(ServiceTokenRevocation)
        .where(ServiceTokenRevocation.workspace_id == workspace_id, ServiceTokenRevocation.service_id == service_id)
        .order_by(ServiceTokenRevocation.revoked_at.desc(), ServiceTokenRevocation.jti)
    )
    for r in rows:
        entries.append(
            RevocationEntry(
                "token",
                r.service_id,
                r.jti,
                None,
                r.reason,
                r.revoked_by,
                r.revoked_at,
                r.expires_at,
                r.expires_at <= now,
            )
        )
    if not include_expired:
        entries = [e for e in entries if not e.expired]
    return sorted(entries, key=lambda e: e.revoked_at, reverse=True)


def _prune(session: Session, now: datetime) -> None:
    horizon = now - PRUNE_LEEWAY
    session.execute(delete(ServiceTokenRevocation).where(ServiceTokenRevocation.expires_at < horizon))
    session.execute(
        delete(ServiceTokenCutoff).where(ServiceTokenCutoff.cutoff_at < horizon - timedelta(minutes=MAX_TTL_MINUTES))
    )


def prune_revocations(session: Session, now: datetime | None = None) -> None:
    """Delete revocations whose tokens have expired (plus leeway). Revocation writes do this
    too; pruning needs no counter bump, since what it removes can no longer be accepted."""
    _prune(session, now or db_now(session))
    session.commit()
